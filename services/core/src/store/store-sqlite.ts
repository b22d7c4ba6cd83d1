import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { ReadsThrough } from './reads-through.ts';
import { exportRecords, type ExportOptions, type ExportResult } from './record-export.ts';
import { importRecords, type ImportOptions, type ImportResult } from './record-import.ts';
import { Conn, type Driver } from './sql-conn.ts';
import { SQLITE, type Param } from './sql-dialect.ts';
import { createSqlTx } from './sql-tx.ts';
import { applyMigrations } from './sqlite-migrations.ts';
import type { Store, StoreReads, StoreTx, TransactionOptions, WritePause, PauseOptions } from './store.ts';
import { clearRecords, markImportVerified, readImportState, type ImportState } from './record-copy-target.ts';
import { gateCheckSql, holdPause, readPause, refuseIfPaused, writePause } from './write-gate.ts';

export { buildSearchPlan, type SearchPlan } from './search-sqlite.ts';

const BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded tier's Store: one SQLite file through node:sqlite.
 *
 * DatabaseSync has one connection, so a transaction owns it from BEGIN to COMMIT, and
 * transactions run one after another through a queue. A read from outside a transaction
 * waits its turn in the same queue: on the shared connection it would otherwise see an open
 * transaction's uncommitted writes, and a read of several statements (a message and its
 * boosts) could see one begin between them. A read from inside a transaction runs at once.
 */
export class StoreSqlite extends ReadsThrough implements Store {
  readonly #db: DatabaseSync;
  readonly #driver: SqliteDriver;
  readonly #reader: StoreTx;
  readonly #queue = new SerialQueue();
  /** Tells which transaction a call comes from, so work inside a transaction never waits for itself. */
  readonly #context = new AsyncLocalStorage<StoreTx>();
  #current: StoreTx | null = null;
  #closing: Promise<void> | null = null;
  /** Commands waiting for the group that will run them: the queue runs it once the transactions before it are done. */
  #forming: GroupMember[] = [];

  private constructor(db: DatabaseSync) {
    super();
    this.#db = db;
    this.#driver = new SqliteDriver(db);
    this.#reader = createSqlTx(new Conn(SQLITE, this.#driver));
  }

  /** Opens (creating if needed) the database at `file`, or a private one for ':memory:', and migrates it. */
  static async open(file: string): Promise<StoreSqlite> {
    if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });
    const db = new DatabaseSync(file);
    try {
      configure(db);
      applyMigrations(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new StoreSqlite(db);
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (options?.gated === true && options.lazyCommit === true)
      return Promise.reject(new Error('a gated transaction is a command: its commit must be durable'));
    if (options?.lazyCommit === true) return this.#inTransaction(work, 'BEGIN IMMEDIATE', 'lazy');
    if (options?.gated !== true) return this.#inGroup(work);
    return this.#inGroup(async (tx, conn) => {
      refuseIfPaused(await conn.row(gateCheckSql(SQLITE)));
      return work(tx);
    });
  }

  pauseWrites(pause: WritePause, options?: PauseOptions): Promise<void> {
    return this.#inTransaction((_tx, conn) => writePause(conn, pause, options?.leaseSeconds));
  }

  holdWritePause(since: string, leaseSeconds: number | null): Promise<boolean> {
    return this.#inTransaction((_tx, conn) => holdPause(conn, since, leaseSeconds));
  }

  resumeWrites(): Promise<void> {
    return this.#inTransaction((_tx, conn) => writePause(conn, null));
  }

  writePause(): Promise<WritePause | null> {
    return this.#queue.run(() => readPause(new Conn(SQLITE, this.#driver)));
  }

  /**
   * A read transaction, so the export is one snapshot (WAL), and another process (the server,
   * while `hearth export` runs) goes on writing meanwhile: an IMMEDIATE one would hold the
   * write lock for the whole export.
   */
  exportRecords(write: (line: string) => Promise<void> | void, options?: ExportOptions): Promise<ExportResult> {
    return this.#inTransaction((_tx, conn) => exportRecords(conn, write, options), 'BEGIN DEFERRED');
  }

  importRecords(lines: AsyncIterable<string> | Iterable<string>, options?: ImportOptions): Promise<ImportResult> {
    return importRecords((work) => this.#inTransaction((_tx, conn) => work(conn)), lines, options);
  }

  importState(): Promise<ImportState> {
    return this.#inTransaction((_tx, conn) => readImportState(conn), 'BEGIN DEFERRED');
  }

  markImportVerified(at: string): Promise<boolean> {
    return this.#inTransaction((_tx, conn) => markImportVerified(conn, at));
  }

  clearRecords(): Promise<void> {
    return this.#inTransaction((_tx, conn) => clearRecords(conn));
  }

  #inTransaction<T>(work: (tx: StoreTx, conn: Conn) => Promise<T>, begin: Begin = 'BEGIN IMMEDIATE', commit: Commit = 'durable'): Promise<T> {
    if (this.#isInsideCurrent()) return nestedTransaction();
    if (commit === 'durable') return this.#queue.run(() => this.#runTransaction(work, begin));
    // In WAL mode a NORMAL commit appends to the WAL without syncing it; the next FULL commit
    // syncs the WAL, and with it every frame before its own.
    return this.#queue.run(async () => {
      this.#db.exec('PRAGMA synchronous = NORMAL');
      try {
        return await this.#runTransaction(work, begin);
      } finally {
        this.#db.exec('PRAGMA synchronous = FULL');
      }
    });
  }

  async ping(): Promise<void> {
    await this.#queue.run(() => this.#db.prepare('SELECT 1').get());
  }

  /** One connection, used in turn: there is no pool to report on. */
  poolStats(): null {
    return null;
  }

  close(): Promise<void> {
    // Queued behind pending work, so nothing already accepted is cut off.
    this.#closing ??= this.#queue.run(() => {
      this.#db.exec('PRAGMA optimize');
      this.#db.close();
    });
    return this.#closing;
  }

  protected read<T>(use: (reads: StoreReads) => Promise<T>): Promise<T> {
    if (this.#isInsideCurrent()) return use(this.#current ?? this.#reader);
    return this.#queue.run(() => use(this.#reader));
  }

  #isInsideCurrent(): boolean {
    return this.#current !== null && this.#context.getStore() === this.#current;
  }

  async #runTransaction<T>(work: (tx: StoreTx, conn: Conn) => Promise<T>, begin: Begin): Promise<T> {
    this.#db.exec(begin);
    try {
      const result = await this.#runWork(work);
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      // A failed statement may already have rolled SQLite back on its own.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Runs `work` as the current transaction, on a connection handle of its own. */
  async #runWork<T>(work: (tx: StoreTx, conn: Conn) => Promise<T>): Promise<T> {
    const conn = new Conn(SQLITE, this.#driver);
    const tx = createSqlTx(conn);
    this.#current = tx;
    try {
      return await this.#context.run(tx, () => work(tx, conn));
    } finally {
      this.#current = null;
      conn.end();
    }
  }

  /**
   * Group commit: a command's transaction waits in a group with the commands queued at the same
   * time, and the group runs as one SQLite transaction, each command in a savepoint of its own,
   * committed with one disk sync. Under load, posts that each waited for a sync of their own share
   * one; alone, a command is a group of one. A command that fails rolls back to its savepoint and
   * fails alone; a failed COMMIT fails the whole group, none of which was acknowledged.
   *
   * A group closes at the event loop's next check phase, not at once: SQLite's calls, the disk
   * sync among them, block the loop, so the requests that came in meanwhile are read in the next
   * poll phase, one I/O callback each; closed at once, a group would hold only the first of them.
   */
  #inGroup<T>(work: (tx: StoreTx, conn: Conn) => Promise<T>): Promise<T> {
    if (this.#isInsideCurrent()) return nestedTransaction();
    return new Promise<T>((resolve, reject) => {
      const member: GroupMember = { work, resolve: resolve as (value: unknown) => void, reject, result: undefined };
      const startsGroup = this.#forming.length === 0;
      this.#forming.push(member);
      if (startsGroup) void this.#queue.run(() => this.#runGroupAtCheck());
    });
  }

  async #runGroupAtCheck(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.#runGroup(this.#forming.splice(0, this.#forming.length));
  }

  async #runGroup(members: readonly GroupMember[]): Promise<void> {
    let committing: GroupMember[] = [];
    for (const member of members) {
      try {
        if (!this.#db.isTransaction) this.#db.exec('BEGIN IMMEDIATE');
        this.#db.exec('SAVEPOINT command');
        member.result = await this.#runWork(member.work);
        this.#db.exec('RELEASE command');
        committing.push(member);
      } catch (error) {
        member.reject(error);
        committing = this.#afterFailedMember(committing, error);
      }
    }
    // Every member failed: nothing to keep, and the connection must not stay in a transaction.
    if (committing.length === 0) return this.#abandon([], null);
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#abandon(committing, error);
      return;
    }
    for (const member of committing) member.resolve(member.result);
  }

  /**
   * Undoes a failed member's writes; returns what is still to commit. Some errors (a full disk,
   * an I/O error) make SQLite roll the whole transaction back on its own, and undoing the
   * savepoint can fail too: then the members before it are lost, and fail with it, unacknowledged.
   */
  #afterFailedMember(committing: GroupMember[], error: unknown): GroupMember[] {
    try {
      if (this.#db.isTransaction) {
        this.#db.exec('ROLLBACK TO command');
        this.#db.exec('RELEASE command');
        return committing;
      }
    } catch {
      // Rolled back whole, below.
    }
    this.#abandon(committing, error);
    return [];
  }

  /** Rolls the group's transaction back, if SQLite has not already, and fails its members. */
  #abandon(members: readonly GroupMember[], error: unknown): void {
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    for (const member of members) member.reject(error);
  }
}

/** A transaction begun from inside another would wait for the one it is part of, forever. */
function nestedTransaction(): Promise<never> {
  return Promise.reject(new Error('transaction() called inside a transaction; use the tx it was given'));
}

/** A command waiting in a commit group: its work, and how to answer it once the group has committed. */
interface GroupMember {
  readonly work: (tx: StoreTx, conn: Conn) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  result: unknown;
}

/**
 * WAL lets readers in other processes (backups, the sqlite3 shell) proceed during writes.
 * synchronous=FULL syncs the WAL on every commit: NORMAL may lose the last acknowledged
 * transactions on power loss, which Hearth does not accept.
 */
/** IMMEDIATE takes the write lock at once (a write transaction); DEFERRED reads a snapshot and writes nothing. */
type Begin = 'BEGIN IMMEDIATE' | 'BEGIN DEFERRED';
/** Whether COMMIT waits for the disk (TransactionOptions.lazyCommit). */
type Commit = 'durable' | 'lazy';

function configure(db: DatabaseSync): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
}

/** Runs tasks one at a time in call order: the one connection holds one transaction at a time. */
class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Runs the shared SQL as prepared statements, cached by their text. Parameters SQLite cannot
 * bind become what its schema stores: booleans 0/1, arrays JSON text (Dialect.inArray).
 */
class SqliteDriver implements Driver {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  rows(sql: string, params: readonly Param[]): unknown[] {
    return this.#prepare(sql).all(...params.map(bindable));
  }

  row(sql: string, params: readonly Param[]): unknown {
    return this.#prepare(sql).get(...params.map(bindable));
  }

  run(sql: string, params: readonly Param[]): number {
    return Number(this.#prepare(sql).run(...params.map(bindable)).changes);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(SQLITE.compile(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function bindable(param: Param): SQLInputValue {
  if (typeof param === 'boolean') return Number(param);
  if (Array.isArray(param)) return JSON.stringify(param);
  return param as SQLInputValue;
}
