import { createHash, type Hash } from 'node:crypto';
import { HearthError } from '../errors.ts';
import type { Conn } from './sql-conn.ts';
import type { Param } from './sql-dialect.ts';
import { RECORD_FORMAT, RECORD_TABLES, RECORD_VERSION, storable, type RecordTable, type Row } from './record-stream.ts';
import { SummaryBuilder, summaryDifferences, type RecordSummary } from './record-summary.ts';

/**
 * Loads a record stream (record-stream.ts) into an empty store, a batch of rows per
 * transaction. Each batch also records in `record_import` how many rows are in and a SHA-256
 * of the lines they came from, so an import that stopped (a killed process, a lost connection)
 * resumes where its last batch ended when given the same stream again, and a different stream
 * is refused rather than mixed in.
 */

export interface ImportOptions {
  /** Called after each batch with the rows loaded so far, and the rows the stream says it has. */
  readonly onProgress?: (rows: number, total: number | undefined) => void;
  readonly batchRows?: number;
  /** The source a copy comes from (hearth migrate), recorded in the import's marker (record-copy-target.ts). */
  readonly copiedFrom?: string;
}

export interface ImportResult {
  /** The rows the stream holds (those of an earlier, interrupted run included). */
  readonly rows: number;
  /** The rows an earlier run had already loaded; 0 for a fresh import. */
  readonly resumedAfter: number;
  /** The summary of the stream as read, to check the store against (record-summary.ts). */
  readonly summary: RecordSummary;
}

/** Runs `work` in one transaction of the target store. */
export type InTransaction = <T>(work: (sql: Conn) => Promise<T>) => Promise<T>;

interface Resume {
  readonly rowsDone: number;
  readonly linesSha256?: string;
}

interface Pending {
  readonly table: RecordTable;
  readonly row: Row;
}

export async function importRecords(
  inTransaction: InTransaction,
  lines: AsyncIterable<string> | Iterable<string>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const resume = await inTransaction(resumePoint);
  const reader = new StreamReader();
  const batches = new Batches(inTransaction, reader, options);
  for await (const line of lines) {
    const record = line.trim() === '' ? null : reader.next(line);
    if (record !== null && !alreadyLoaded(reader, resume)) await batches.add(record);
  }
  reader.finish();
  if (reader.rows < resume.rowsDone) throw anotherStream(resume);
  await batches.finish();
  return { rows: reader.rows, resumedAfter: resume.rowsDone, summary: reader.summary() };
}

/** Whether the row just read was loaded by an earlier run, which must have read the same lines up to it. */
function alreadyLoaded(reader: StreamReader, resume: Resume): boolean {
  if (reader.rows > resume.rowsDone) return false;
  if (reader.rows === resume.rowsDone && reader.linesSha256() !== resume.linesSha256) throw anotherStream(resume);
  return true;
}

/** Rows gathered into transactions of `batchRows`, each recording how far the import has got. */
class Batches {
  readonly #inTransaction: InTransaction;
  readonly #reader: StreamReader;
  readonly #options: ImportOptions;
  #pending: Pending[] = [];

  constructor(inTransaction: InTransaction, reader: StreamReader, options: ImportOptions) {
    this.#inTransaction = inTransaction;
    this.#reader = reader;
    this.#options = options;
  }

  async add(record: Pending): Promise<void> {
    this.#pending.push(record);
    if (this.#pending.length < (this.#options.batchRows ?? 5_000)) return;
    const batch = this.#pending;
    this.#pending = [];
    const progress = { rowsDone: this.#reader.rows, linesSha256: this.#reader.linesSha256() };
    await this.#inTransaction((sql) => commitBatch(sql, batch, progress, this.#options.copiedFrom ?? null));
    this.#options.onProgress?.(this.#reader.rows, this.#reader.total);
  }

  async finish(): Promise<void> {
    await this.#inTransaction((sql) => finishImport(sql, this.#pending, this.#options.copiedFrom ?? null));
    this.#options.onProgress?.(this.#reader.rows, this.#reader.total);
  }
}

/** Where a run starts: after the rows of an unfinished import, or at the start of an empty store. */
async function resumePoint(sql: Conn): Promise<Resume> {
  const marker = await sql.row<{ rows_done: number; lines_sha256: string; finished_at: string | null }>(
    'SELECT rows_done, lines_sha256, finished_at FROM record_import WHERE singleton = 1',
  );
  if (marker !== undefined && marker.finished_at === null) return { rowsDone: Number(marker.rows_done), linesSha256: marker.lines_sha256 };
  for (const table of RECORD_TABLES) {
    if ((await sql.row(`SELECT 1 AS found FROM ${table.name} LIMIT 1`)) !== undefined) {
      throw new HearthError(
        'conflict',
        `cannot import into a store that has records (${table.name} is not empty): import into a new, empty database (a new HEARTH_DATA_DIR, or an empty PostgreSQL database)`,
      );
    }
  }
  return { rowsDone: 0 };
}

/** The store holds part of an import whose lines differ from (or outnumber) this stream's. */
function anotherStream(resume: Resume): HearthError {
  return new HearthError(
    'conflict',
    `this store holds the first ${resume.rowsDone} rows of an import of another stream: run that import again to finish it, or import into a new, empty database`,
  );
}

async function commitBatch(sql: Conn, batch: readonly Pending[], progress: Required<Resume>, copiedFrom: string | null): Promise<void> {
  await insertRows(sql, batch);
  await sql.run(
    `INSERT INTO record_import (singleton, rows_done, lines_sha256, copied_from) VALUES (1, ?, ?, ?)
     ON CONFLICT (singleton) DO UPDATE SET rows_done = excluded.rows_done, lines_sha256 = excluded.lines_sha256`,
    progress.rowsDone,
    progress.linesSha256,
    copiedFrom,
  );
}

/** The last rows, the id sequences moved past the imported ids, and the import marked done. */
async function finishImport(sql: Conn, batch: readonly Pending[], copiedFrom: string | null): Promise<void> {
  await insertRows(sql, batch);
  for (const table of RECORD_TABLES) {
    const statement = table.serial === true ? sql.dialect.moveSequencePast(table.name, 'id') : null;
    if (statement !== null) await sql.run(statement);
  }
  await sql.run(
    `INSERT INTO record_import (singleton, rows_done, lines_sha256, finished_at, copied_from) VALUES (1, 0, '', ?, ?)
     ON CONFLICT (singleton) DO UPDATE SET finished_at = excluded.finished_at`,
    new Date().toISOString(),
    copiedFrom,
  );
}

/** Rows of one table a statement inserts: well under both dialects' limit on parameters. */
const ROWS_PER_INSERT = 200;

/** Inserts the rows in order, consecutive rows of a table in one multi-row INSERT each. */
async function insertRows(sql: Conn, pending: readonly Pending[]): Promise<void> {
  for (let start = 0; start < pending.length;) {
    const table = pending[start]!.table;
    let end = start + 1;
    while (end < pending.length && end - start < ROWS_PER_INSERT && pending[end]!.table === table) end++;
    await insertTableRows(
      sql,
      table,
      pending.slice(start, end).map((record) => record.row),
    );
    start = end;
  }
}

async function insertTableRows(sql: Conn, table: RecordTable, rows: readonly Row[]): Promise<void> {
  const stored = rows.map((row) => storedValues(sql, table, row));
  const columns = [...stored[0]!.keys()];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const params = stored.flatMap((values) => [...values.values()]);
  await sql.run(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`, ...params);
}

/** A row's values by column, with the columns the stream leaves out (fixed ones, the search vector). */
function storedValues(sql: Conn, table: RecordTable, row: Row): Map<string, Param> {
  const values = new Map<string, Param>(Object.entries(table.fixed ?? {}));
  for (const [column, kind] of Object.entries(table.columns)) values.set(column, storable(kind, row[column] ?? null));
  const { vectorColumn, buildVector } = sql.dialect.search;
  if (table.name === 'messages' && vectorColumn !== null) values.set(vectorColumn, buildVector(String(row['body'] ?? '')));
  return values;
}

/** Checks the stream's shape line by line (the header first, known tables in order, the end line last) and sums it up. */
class StreamReader {
  rows = 0;
  /** The rows the header says follow, when it says. */
  total: number | undefined;
  #started = false;
  #ended = false;
  #tableIndex = 0;
  readonly #lines: Hash = createHash('sha256');
  readonly #summary = new SummaryBuilder();

  next(line: string): Pending | null {
    const value = parseLine(line);
    if (this.#ended) throw invalid('the stream goes on after its end line');
    if (value['end'] !== undefined) {
      this.#end(value['end']);
      return null;
    }
    this.#lines.update(line).update('\n');
    if (!this.#started) {
      this.#start(value);
      return null;
    }
    const table = this.#table(value['table']);
    const row = value['row'] as Row;
    this.#summary.add(table.name, line, row);
    return { table, row };
  }

  /** A SHA-256 of the header and the rows read so far. */
  linesSha256(): string {
    return this.#lines.copy().digest('hex');
  }

  summary(): RecordSummary {
    return this.#summary.result(RECORD_TABLES.map((table) => table.name));
  }

  finish(): void {
    if (!this.#ended) throw invalid('the stream ends without its end line: it was cut off');
  }

  #start(header: Record<string, unknown>): void {
    if (header['format'] !== RECORD_FORMAT || header['version'] !== RECORD_VERSION) {
      throw invalid(`the stream does not start with {"format":"${RECORD_FORMAT}","version":${RECORD_VERSION}}`);
    }
    if (typeof header['rows'] === 'number') this.total = header['rows'];
    this.#started = true;
  }

  #end(end: unknown): void {
    if (!this.#started) throw invalid('the stream has no header');
    const { rows, summary } = end as { rows?: unknown; summary?: RecordSummary };
    if (rows !== this.rows) throw invalid(`the stream counts ${String(rows)} rows but holds ${this.rows}`);
    const differences = summary === undefined ? [] : summaryDifferences(summary, this.summary());
    if (differences.length > 0) throw invalid(`its rows do not match its end line (${differences.slice(0, 3).join('; ')})`);
    this.#ended = true;
  }

  /** Tables come in RECORD_TABLES' order, each once. */
  #table(name: unknown): RecordTable {
    const index = RECORD_TABLES.findIndex((table) => table.name === name);
    if (index < this.#tableIndex) throw invalid(`unknown or out-of-order table ${JSON.stringify(name)}`);
    this.#tableIndex = index;
    this.rows++;
    return RECORD_TABLES[index]!;
  }
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // refused below
  }
  throw invalid(`not a JSON object: ${line.slice(0, 80)}`);
}

function invalid(reason: string): HearthError {
  return new HearthError('invalid_request', `not a Hearth record stream: ${reason}`);
}
