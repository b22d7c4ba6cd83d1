import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseError, Pool, TypeOverrides, types, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { HearthError } from '../errors.ts';
import { roomEvent } from '../domain/events.ts';
import type { Message } from '../domain/types.ts';
import { applyMigrations } from './postgres-migrations.ts';
import { ReadsThrough } from './reads-through.ts';
import { postedMessage } from './rows.ts';
import { buildSearchVector } from './search-postgres.ts';
import { exportRecords, type ExportOptions, type ExportResult } from './record-export.ts';
import { importRecords, type ImportOptions, type ImportResult } from './record-import.ts';
import { Conn, type Driver } from './sql-conn.ts';
import { POSTGRES, type Param } from './sql-dialect.ts';
import { createSqlTx } from './sql-tx.ts';
import type { PoolStats, PostDraft, Store, StoreReads, StoreTx, TransactionOptions, WritePause, PauseOptions } from './store.ts';
import { clearRecords, markImportVerified, readImportState, type ImportState } from './record-copy-target.ts';
import { gateCheckSql, holdPause, readPause, refuseIfPaused, writePause } from './write-gate.ts';

export { buildSearchQuery, buildSearchVector } from './search-postgres.ts';

/** How long a caller waits for a connection (a new one, or a free one from a busy pool). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The server tiers' Store: PostgreSQL through a pg.Pool.
 *
 * A transaction holds one pooled connection from BEGIN to COMMIT; concurrent transactions
 * run on separate connections and meet on row locks (nextSeq, lockRoom). Reads from outside
 * a transaction take any free connection and see committed data only. As in StoreSqlite, a
 * read through the Store from inside a transaction's work runs on that transaction, so it
 * sees its writes and never waits for a second connection.
 */
export class StorePostgres extends ReadsThrough implements Store {
  readonly #pool: Pool;
  readonly #server: string;
  readonly #reader: Reader;
  /** Tells which transaction a call comes from. */
  readonly #context = new AsyncLocalStorage<Reader>();
  #closing: Promise<void> | null = null;

  private constructor(pool: Pool, server: string) {
    super();
    this.#pool = pool;
    this.#server = server;
    this.#reader = reader(new Conn(POSTGRES, new PostgresDriver((text, values) => pool.query(text, values), server)));
  }

  /** Connects to the database at `url`, migrates it, and keeps up to `poolSize` connections. */
  static async open(url: string, poolSize: number): Promise<StorePostgres> {
    const pool = new Pool({
      connectionString: url,
      max: poolSize,
      types: TYPE_PARSERS,
      application_name: 'hearth',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    // An idle connection that breaks (a server restart, a failover) is dropped from the pool;
    // without a listener its error would crash the process. The next checkout reconnects,
    // or fails with an error that names the server.
    pool.on('error', () => undefined);
    const store = new StorePostgres(pool, describeServer(url));
    try {
      await store.#migrate();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (options?.gated === true && options.lazyCommit === true)
      return Promise.reject(new Error('a gated transaction is a command: its commit must be durable'));
    const begin = options?.gated === true ? GATED_BEGIN : options?.lazyCommit === true ? LAZY_BEGIN : 'BEGIN';
    return this.#inTransaction(begin, (tx) => work(tx.queries));
  }

  /** One round trip: hearth_post (postgres-migrations.ts, 0006-post-at-once) checks again under the room's lock, and writes. */
  postAtOnce(draft: PostDraft): Promise<Message | null> {
    return this.#postInOneStatement(POST_AT_ONCE, draft, 'postAtOnce');
  }

  /** One round trip: hearth_post_plain (0011-post-plain) checks what a context read would have, then calls hearth_post. */
  async postPlain(draft: PostDraft): Promise<Message | null> {
    if (draft.message.mentions.length > 0) throw new Error('postPlain() writes no mention; post a message that mentions someone in a transaction');
    return this.#postInOneStatement(POST_PLAIN, draft, 'postPlain');
  }

  async #postInOneStatement(statement: string, draft: PostDraft, what: string): Promise<Message | null> {
    if (this.#context.getStore()?.sql.live === true) throw new Error(`${what}() called inside a transaction; post in the transaction instead`);
    if (draft.message.file !== null) throw new Error(`${what}() writes no file; post a message with a file in a transaction`);
    const posted = postedMessage({ ...draft.message, seq: 0 });
    const event = roomEvent({ type: 'message.created', message: posted }, posted.roomId, 0, draft);
    const { id, roomId, authorId, clientMessageId, body, sound, createdAt } = posted;
    const params = [
      id,
      roomId,
      authorId,
      clientMessageId,
      body,
      JSON.stringify(posted.mentions),
      sound,
      createdAt,
      buildSearchVector(body),
      JSON.stringify(event),
    ];
    const row = await this.#reader.sql.row<{ seq: number | null }>(statement, ...params);
    const seq = row?.seq ?? null;
    return seq === null ? null : { ...posted, seq };
  }

  pauseWrites(pause: WritePause, options?: PauseOptions): Promise<void> {
    return this.#inTransaction('BEGIN', (tx) => writePause(tx.sql, pause, options?.leaseSeconds));
  }

  holdWritePause(since: string, leaseSeconds: number | null): Promise<boolean> {
    return this.#inTransaction('BEGIN', (tx) => holdPause(tx.sql, since, leaseSeconds));
  }

  resumeWrites(): Promise<void> {
    return this.#inTransaction('BEGIN', (tx) => writePause(tx.sql, null));
  }

  writePause(): Promise<WritePause | null> {
    return readPause(this.#reader.sql);
  }

  /** A snapshot (REPEATABLE READ) that writes wait for nothing on. */
  exportRecords(write: (line: string) => Promise<void> | void, options?: ExportOptions): Promise<ExportResult> {
    return this.#inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => exportRecords(tx.sql, write, options));
  }

  importRecords(lines: AsyncIterable<string> | Iterable<string>, options?: ImportOptions): Promise<ImportResult> {
    return importRecords((work) => this.#inTransaction('BEGIN', (tx) => work(tx.sql)), lines, options);
  }

  importState(): Promise<ImportState> {
    return this.#inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => readImportState(tx.sql));
  }

  markImportVerified(at: string): Promise<boolean> {
    return this.#inTransaction('BEGIN', (tx) => markImportVerified(tx.sql, at));
  }

  clearRecords(): Promise<void> {
    return this.#inTransaction('BEGIN', (tx) => clearRecords(tx.sql));
  }

  async #inTransaction<T>(begin: string, work: (tx: Reader) => Promise<T>): Promise<T> {
    if (this.#context.getStore()?.sql.live === true) {
      // It would hold a second connection while the first waits on it, and could deadlock the pool.
      throw new Error('transaction() called inside a transaction; use the tx it was given');
    }
    return this.#withClient(async (client, discard) => {
      const driver = new PostgresDriver((text, values) => client.query(text, values), this.#server);
      const tx = reader(new Conn(POSTGRES, driver));
      try {
        // Inside the try: a refused transaction has begun and holds its share lock on the gate
        // row, so it is rolled back like any other, not handed back to the pool still open
        // (where it would keep a resume, or a lease's renewal, waiting).
        if (begin === GATED_BEGIN) refuseIfPaused(await driver.lastRowOfScript(begin));
        else if (begin === LAZY_BEGIN) await driver.lastRowOfScript(begin);
        else await tx.sql.run(begin);
        const result = await this.#context.run(tx, () => work(tx));
        await tx.sql.run('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is not given to the next transaction.
        await client.query('ROLLBACK').catch(discard);
        throw error;
      } finally {
        tx.sql.end();
      }
    });
  }

  async ping(): Promise<void> {
    await this.#reader.sql.run('SELECT 1');
  }

  poolStats(): PoolStats {
    return { inUse: this.#pool.totalCount - this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  close(): Promise<void> {
    // pool.end() waits for checked-out connections, so a running transaction finishes first.
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  protected read<T>(use: (reads: StoreReads) => Promise<T>): Promise<T> {
    const current = this.#context.getStore();
    return use((current?.sql.live === true ? current : this.#reader).queries);
  }

  async #migrate(): Promise<void> {
    await this.#withClient((client) => applyMigrations(client));
  }

  /**
   * Runs `use` on a connection of its own. A connection that broke while checked out (its
   * error event, or a failed ROLLBACK reported through `discard`) is destroyed on release
   * instead of going back to the pool.
   */
  async #withClient<T>(use: (client: PoolClient, discard: (error: unknown) => void) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw new HearthError('unavailable', `cannot connect to PostgreSQL at ${this.#server}: ${reasonOf(error)}`, { cause: error });
    });
    let broken: Error | undefined;
    const discard = (error: unknown) => {
      broken ??= error instanceof Error ? error : new Error(String(error));
    };
    client.on('error', discard);
    try {
      return await use(client, discard);
    } finally {
      client.off('error', discard);
      client.release(broken);
    }
  }
}

// ---- connections and types ----

/**
 * int8 (bigint columns, count(*), serials) as a JS number: every Hearth counter stays far
 * below 2^53, and one that did not must fail loudly rather than round. timestamptz as the
 * ISO text the domain uses, exactly what the SQLite store returns.
 */
const TYPE_PARSERS = new TypeOverrides();
TYPE_PARSERS.setTypeParser(types.builtins.INT8, (text: string) => {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`PostgreSQL returned ${text}, beyond the integers JavaScript can hold`);
  return value;
});
const parseTimestamp = types.getTypeParser(types.builtins.TIMESTAMPTZ) as (text: string) => Date;
TYPE_PARSERS.setTypeParser(types.builtins.TIMESTAMPTZ, (text: string) => parseTimestamp(text).toISOString());

/** host:port/database of a connection URL, without credentials, for error messages. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${database === '' ? '' : `/${database}`}`;
  } catch {
    return 'the configured server';
  }
}

/**
 * SQLSTATE classes that say the server cannot take us now, not that the statement is wrong:
 * connection (08), operator intervention such as a shutdown (57P), credentials refused to a new
 * connection (28: a password rotated before this process got the new one) and resources (53: too
 * many connections). A retry later, or on a process that has rolled, succeeds.
 */
const UNAVAILABLE_CLASSES = ['08', '57P', '28', '53'];

function isServerUnavailable(code: string | undefined): boolean {
  return code !== undefined && UNAVAILABLE_CLASSES.some((prefix) => code.startsWith(prefix));
}

/** A readable reason; a refused connection to a name with several addresses is an AggregateError with no message. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') return error.errors.map(reasonOf).join('; ');
  if (error instanceof Error) return error.message || ((error as { code?: string }).code ?? error.name);
  return String(error);
}

type Run = (text: string, values: Param[]) => Promise<QueryResult<QueryResultRow>>;

/**
 * BEGIN and the write gate's check in one round trip (statements without parameters go as one
 * simple query), so gating a command costs no more round trips than it did without a gate.
 */
const GATED_BEGIN = `BEGIN; ${gateCheckSql(POSTGRES)}`;
const POST_PARAMS = '?, ?, ?, ?, ?, ?::jsonb, ?, ?::timestamptz, ?::tsvector, ?::jsonb';
const POST_AT_ONCE = `SELECT hearth_post(${POST_PARAMS}) AS seq`;
const POST_PLAIN = `SELECT hearth_post_plain(${POST_PARAMS}) AS seq`;
/** SET LOCAL lasts until the transaction ends: the connection goes back to the pool durable. */
const LAZY_BEGIN = 'BEGIN; SET LOCAL synchronous_commit TO OFF';

/** A connection's queries, with the connection (its liveness tells a transaction's context apart). */
interface Reader {
  readonly sql: Conn;
  readonly queries: StoreTx;
}

function reader(sql: Conn): Reader {
  return { sql, queries: createSqlTx(sql) };
}

/** SQLSTATEs PostgreSQL raises for text it cannot store: a NUL character, or \u0000 in JSON. */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** Runs the shared SQL (its `?` numbered, once per text) on a pool or a connection. */
class PostgresDriver implements Driver {
  readonly #run: Run;
  readonly #server: string;

  constructor(run: Run, server: string) {
    this.#run = run;
    this.#server = server;
  }

  async rows(text: string, values: readonly Param[]): Promise<unknown[]> {
    return (await this.#query(text, values)).rows;
  }

  async row(text: string, values: readonly Param[]): Promise<unknown> {
    return (await this.#query(text, values)).rows[0];
  }

  async run(text: string, values: readonly Param[]): Promise<number> {
    return (await this.#query(text, values)).rowCount ?? 0;
  }

  /** Runs statements without parameters as one simple query; the first row of the last one's result. */
  async lastRowOfScript<T>(script: string): Promise<T | undefined> {
    const results = (await this.#query(script, [])) as unknown as QueryResult<QueryResultRow>[];
    return results.at(-1)?.rows[0] as T | undefined;
  }

  async #query(text: string, values: readonly Param[]): Promise<QueryResult<QueryResultRow>> {
    try {
      return await this.#run(compiled(text), values as Param[]);
    } catch (error) {
      throw this.#explain(error);
    }
  }

  /**
   * SQL errors pass through as they are, except those that mean the server is going
   * away; those and anything else (the connection) become `unavailable` (503, retry
   * later) and say where the connection went.
   */
  #explain(error: unknown): unknown {
    if (error instanceof DatabaseError) {
      if (error.code !== undefined && UNSTORABLE_TEXT.has(error.code)) {
        return new HearthError('invalid_request', 'text must not contain NUL characters', { cause: error });
      }
      if (!isServerUnavailable(error.code)) return error;
    }
    return new HearthError('unavailable', `PostgreSQL at ${this.#server}: ${reasonOf(error)}`, { cause: error });
  }
}

/** Shared by every pool: the statements are a fixed set of texts. */
const COMPILED = new Map<string, string>();

function compiled(text: string): string {
  let result = COMPILED.get(text);
  if (result === undefined) {
    result = POSTGRES.compile(text);
    COMPILED.set(text, result);
  }
  return result;
}
