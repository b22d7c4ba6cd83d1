import { HearthError } from '../errors.ts';
import type { Conn } from './sql-conn.ts';
import type { Dialect, Param } from './sql-dialect.ts';

/*
 * Every record of a Store as dialect-neutral NDJSON, for tier migration, backup and
 * compliance export (DESIGN §1). The first line says what the stream is:
 *   {"format":"hearth-records","version":1}
 * then one line a row, tables in RECORD_TABLES' order (parents before the rows that refer to
 * them, so an import inserts in stream order) and rows in a stable order within a table:
 *   {"table":"users","row":{"id":"…","active":true,…}}
 * and last a line that counts them, so a cut-off stream is refused:
 *   {"end":{"rows":123}}
 * Values are what both dialects agree on: booleans as booleans, JSON columns parsed with their
 * object keys sorted (PostgreSQL's jsonb keeps its own key order), times as the ISO text the
 * domain writes. Internal columns (a message's key and search lexemes, SQLite's published_at)
 * are left out; the target rebuilds them.
 */

export const RECORD_FORMAT = 'hearth-records';
export const RECORD_VERSION = 1;

type Kind = 'value' | 'bool' | 'json';

interface RecordTable {
  readonly name: string;
  /** Each column with how its value is made neutral. */
  readonly columns: Readonly<Record<string, Kind>>;
  /** A total order: the primary key, or the insertion order where reads depend on it. */
  orderBy(dialect: Dialect): string;
  /** Rows the stream leaves out, as a condition on the table aliased `o`. */
  where?(dialect: Dialect): string;
  /** Has an id sequence the target must move past the imported ids. */
  readonly serial?: true;
  /** Columns every row has the same value in, which the stream leaves out. */
  readonly fixed?: Readonly<Record<string, Param>>;
}

/** A table whose columns are listed as `name` or `name:kind` (a plain value unless it says bool or json). */
function table(name: string, columns: string, options: Omit<RecordTable, 'name' | 'columns'>): RecordTable {
  const kinds = columns.split(' ').map((column) => column.split(':') as [string, Kind?]);
  return { name, columns: Object.fromEntries(kinds.map(([column, kind = 'value']) => [column, kind])), ...options };
}

const byId = { orderBy: () => 'id' };

export const RECORD_TABLES: readonly RecordTable[] = [
  table('account', 'id name join_code created_at', { ...byId, fixed: { singleton: 1 } }),
  table('users', 'id name email role active:bool password_hash created_at', byId),
  table('identities', 'issuer subject user_id created_at', { orderBy: () => 'issuer, subject' }),
  table('sessions', 'id user_id csrf_token created_at last_seen_at expires_at user_agent ip idp_session_id', byId),
  table('rooms', 'id kind name created_by created_at last_seq last_message_seq direct_key', byId),
  table('memberships', 'room_id user_id involvement read_seq created_at', { orderBy: () => 'room_id, user_id' }),
  // Insertion order: search breaks ties between messages of the same instant by it.
  table('messages', 'id room_id seq author_id client_message_id body mentions:json sound created_at edited_at deleted_at', { orderBy: () => 'pk' }),
  table('boosts', 'id message_id author_id content created_at', { orderBy: (d) => `created_at, ${d.boostOrder}` }),
  table('room_events', 'room_id seq type body:json', { orderBy: () => 'room_id, seq' }),
  table('outbox', 'id room_id seq', { ...byId, where: (d) => d.outboxWaiting, serial: true }),
  table('audit_log', 'id at actor_id action target_type target_id detail:json ip user_agent', { ...byId, serial: true }),
  table('bots', 'user_id webhook_url created_by created_at', { orderBy: () => 'user_id' }),
  table('api_tokens', 'id user_id name secret_hash room_ids:json created_by created_at revoked_at last_used_at', byId),
  table('webhook_deliveries', 'id bot_id message_id room_id attempts next_attempt_at created_at delivered_at failed_at last_error', { ...byId, serial: true }),
];

const PAGE_ROWS = 1_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Row = Record<string, Json>;

/** Writes every record on `sql`, which should be one consistent snapshot (a transaction), to `write`, line by line. */
export async function exportRecords(sql: Conn, write: (line: string) => Promise<void> | void): Promise<number> {
  await write(JSON.stringify({ format: RECORD_FORMAT, version: RECORD_VERSION }));
  let rows = 0;
  for (const table of RECORD_TABLES) {
    const query = selectSql(sql.dialect, table);
    for (let offset = 0; ; offset += PAGE_ROWS) {
      const page = await sql.rows<Record<string, unknown>>(query, PAGE_ROWS, offset);
      for (const row of page) await write(JSON.stringify({ table: table.name, row: neutralRow(table, row) }));
      rows += page.length;
      if (page.length < PAGE_ROWS) break;
    }
  }
  await write(JSON.stringify({ end: { rows } }));
  return rows;
}

function selectSql(dialect: Dialect, table: RecordTable): string {
  const where = table.where?.(dialect) ?? 'true';
  return `SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name} o WHERE ${where} ORDER BY ${table.orderBy(dialect)} LIMIT ? OFFSET ?`;
}

/** A row as the stream has it, whichever dialect it came from. */
export function neutralRow(table: RecordTable, row: Readonly<Record<string, unknown>>): Row {
  const out: Row = {};
  for (const [column, kind] of Object.entries(table.columns)) out[column] = neutralValue(kind, row[column]);
  return out;
}

function neutralValue(kind: Kind, value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (kind === 'bool') return value === true || value === 1;
  if (kind === 'json') return sortedKeys((typeof value === 'string' ? JSON.parse(value) : value) as Json);
  return value as Json;
}

/** JSON with every object's keys in code-point order, so both dialects write the same text. */
export function sortedKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key] ?? null)]),
  );
}

/**
 * Loads a stream written by exportRecords into the store behind `sql`, which must be empty
 * and inside one transaction: a stream that is refused leaves nothing behind. Returns the
 * number of rows.
 */
export async function importRecords(sql: Conn, lines: AsyncIterable<string> | Iterable<string>): Promise<number> {
  await refuseUnlessEmpty(sql);
  const reader = new StreamReader();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = reader.next(line);
    if (record !== null) await insertRow(sql, record.table, record.row);
  }
  reader.finish();
  for (const table of RECORD_TABLES) {
    const statement = table.serial === true ? sql.dialect.moveSequencePast(table.name, 'id') : null;
    if (statement !== null) await sql.run(statement);
  }
  return reader.rows;
}

async function refuseUnlessEmpty(sql: Conn): Promise<void> {
  for (const table of RECORD_TABLES) {
    if ((await sql.row(`SELECT 1 AS found FROM ${table.name} LIMIT 1`)) !== undefined) {
      throw new HearthError('conflict', `cannot import into a store that has records (${table.name} is not empty)`);
    }
  }
}

async function insertRow(sql: Conn, table: RecordTable, row: Row): Promise<void> {
  const values = new Map<string, Param>(Object.entries(table.fixed ?? {}));
  for (const [column, kind] of Object.entries(table.columns)) values.set(column, storable(kind, row[column] ?? null));
  const { vectorColumn, buildVector } = sql.dialect.search;
  if (table.name === 'messages' && vectorColumn !== null) values.set(vectorColumn, buildVector(String(row['body'] ?? '')));
  const columns = [...values.keys()];
  await sql.run(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, ...values.values());
}

function storable(kind: Kind, value: Json): Param {
  if (value === null) return null;
  if (kind === 'json') return JSON.stringify(value);
  if (typeof value === 'object') throw new HearthError('invalid_request', 'a record holds an object where the stream has a plain value');
  return value;
}

/** Checks the stream's shape line by line: the header first, known tables in order, the count last. */
class StreamReader {
  rows = 0;
  #started = false;
  #ended = false;
  #tableIndex = 0;

  next(line: string): { table: RecordTable; row: Row } | null {
    const value = parseLine(line);
    if (this.#ended) throw invalid('the stream goes on after its end line');
    if (!this.#started) {
      if (value['format'] !== RECORD_FORMAT || value['version'] !== RECORD_VERSION) {
        throw invalid(`the stream does not start with {"format":"${RECORD_FORMAT}","version":${RECORD_VERSION}}`);
      }
      this.#started = true;
      return null;
    }
    if (value['end'] !== undefined) {
      const rows = (value['end'] as { rows?: unknown }).rows;
      if (rows !== this.rows) throw invalid(`the stream counts ${String(rows)} rows but holds ${this.rows}`);
      this.#ended = true;
      return null;
    }
    return { table: this.#table(value['table']), row: value['row'] as Row };
  }

  finish(): void {
    if (!this.#ended) throw invalid('the stream ends without its end line: it was cut off');
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
