import type { StoreTx } from './store.ts';
import type { Dialect, Param } from './sql-dialect.ts';

type Build = (dialect: Dialect) => string;
const BUILT = new WeakMap<Build, Map<Dialect, string>>();

/** A result now (SQLite's synchronous driver) or later (PostgreSQL's); callers await either. */
export type Awaitable<T> = T | Promise<T>;

/** What a store's driver does: run one statement of the shared SQL (compiled by the driver, see Dialect). */
export interface Driver {
  rows(sql: string, params: readonly Param[]): Awaitable<unknown[]>;
  /** The first row only: SQLite then stops stepping the statement. */
  row(sql: string, params: readonly Param[]): Awaitable<unknown>;
  /** Returns the number of rows changed. */
  run(sql: string, params: readonly Param[]): Awaitable<number>;
}

/**
 * A connection as the queries see it: a transaction's, or the store's reader. A
 * transaction's refuses statements once it has ended, so a tx kept past its
 * transaction cannot write outside one.
 */
export class Conn {
  readonly dialect: Dialect;
  #driver: Driver | null;

  constructor(dialect: Dialect, driver: Driver) {
    this.dialect = dialect;
    this.#driver = driver;
  }

  get live(): boolean {
    return this.#driver !== null;
  }

  end(): void {
    this.#driver = null;
  }

  /** Rows typed as the caller declares them: both schemas type each column (STRICT in SQLite). */
  // Not async themselves, and SQLite's results come back as they are: every promise and
  // await between a query method and the driver costs a post microseconds on SQLite.
  rows<T>(sql: string, ...params: Param[]): Awaitable<T[]> {
    return this.#live.rows(sql, params) as Awaitable<T[]>;
  }

  row<T>(sql: string, ...params: Param[]): Awaitable<T | undefined> {
    return this.#live.row(sql, params) as Awaitable<T | undefined>;
  }

  run(sql: string, ...params: Param[]): Awaitable<number> {
    return this.#live.run(sql, params);
  }

  /** The statement `build` makes from this dialect's fragments, built once: a fresh string would be hashed again on every call. */
  statement(build: Build): string {
    let byDialect = BUILT.get(build);
    if (byDialect === undefined) BUILT.set(build, (byDialect = new Map()));
    let text = byDialect.get(this.dialect);
    if (text === undefined) byDialect.set(this.dialect, (text = build(this.dialect)));
    return text;
  }

  /** Its refusal is thrown where a statement is called, so it rejects the query method that called it. */
  get #live(): Driver {
    if (this.#driver === null) throw new Error('this transaction has ended; its tx can no longer be used');
    return this.#driver;
  }
}

/** What a query method sees as `this`: its connection and its sibling queries (see sql-tx.ts). */
export interface QueryContext extends StoreTx {
  readonly sql: Conn;
}

/** A table of query methods for some of StoreTx's methods; sql-tx.ts puts them together. */
export type QueryTable = Partial<StoreTx> & ThisType<QueryContext>;
