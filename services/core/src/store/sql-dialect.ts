import type { SearchHit } from '../domain/types.ts';
import { postgresSearch } from './search-postgres.ts';
import { sqliteSearch } from './search-sqlite.ts';

/**
 * Where PostgreSQL and SQLite differ, in one table: the queries (the *-queries.ts files) are
 * written once, in SQL both accept, with `?` placeholders and PostgreSQL's `::type` casts,
 * and take the few fragments that differ from here. `compile` turns that shared text into
 * what the server runs; drivers cache its result, so it runs once per statement text.
 */
export interface Dialect {
  readonly name: 'postgres' | 'sqlite';
  /** The statement as this server takes it. */
  compile(sql: string): string;
  /** `column` is one of the values of one array parameter (a PostgreSQL array, SQLite JSON text; drivers convert). */
  inArray(column: string): string;
  /** `column` (a JSON array of strings) holds the one string parameter. */
  jsonArrayHas(column: string): string;
  /** Case-insensitive order for ASCII that otherwise compares bytes, as SQLite's NOCASE does. */
  foldCase(column: string): string;
  /** Row locks: SQLite runs one transaction at a time, so it needs none. */
  readonly forUpdate: string;
  readonly forUpdateSkipLocked: string;
  /** The boosts' insertion order: PostgreSQL's identity column, SQLite's rowid. */
  readonly boostOrder: string;
  /** SQLite's outbox still has the published_at column of its first schema; rows are deleted once published in both. */
  readonly outboxWaiting: string;
  /**
   * Writes an event and its outbox row, each statement with its parameters; for message.created,
   * `appendMessageEvent` also records the event as the room's last message. PostgreSQL does
   * either in one statement (one round trip); SQLite has no data-modifying CTE, and its
   * statements cost no round trip.
   */
  readonly appendEvent: readonly EventStatement[];
  readonly appendMessageEvent: readonly EventStatement[];
  /** After rows were inserted with their ids (an import): the statement that makes the table's next id follow them, or null where none is needed. */
  moveSequencePast(table: string, column: string): string | null;
  readonly search: SearchDialect;
}

export type Param = string | number | boolean | null | readonly string[] | readonly number[];

export interface EventStatement {
  readonly sql: string;
  params(roomId: string, seq: number, type: string, body: string): Param[];
}

/** Full-text search, one module per dialect (search-postgres.ts, search-sqlite.ts). */
export interface SearchDialect {
  /** The column the store writes a body's lexemes to, or null where triggers keep the index (SQLite's FTS5). */
  readonly vectorColumn: string | null;
  buildVector(body: string): string;
  /** The statement of a search for `query` by `userId`, or null when nothing searchable is left. */
  buildSearch(userId: string, query: string, limit: number): SearchStatement | null;
}

export interface SearchStatement {
  readonly sql: string;
  readonly params: readonly Param[];
}

/** Row shape a search statement returns: the message's columns and its room's name. */
export type SearchRowExtra = { readonly room_name: SearchHit['roomName'] };

export const POSTGRES: Dialect = {
  name: 'postgres',
  compile: numberPlaceholders,
  inArray: (column) => `${column} = ANY(?)`,
  // @> rather than ?: a ? would be taken for a placeholder.
  jsonArrayHas: (column) => `${column} @> jsonb_build_array(?::text)`,
  foldCase: (column) => `lower(${column} COLLATE "C")`,
  forUpdate: 'FOR UPDATE',
  forUpdateSkipLocked: 'FOR UPDATE SKIP LOCKED',
  boostOrder: 'pk',
  outboxWaiting: 'true',
  appendEvent: [
    {
      sql: `WITH event AS (INSERT INTO room_events (room_id, seq, type, body) VALUES (?, ?, ?, ?::jsonb) RETURNING room_id, seq)
        INSERT INTO outbox (room_id, seq) SELECT room_id, seq FROM event`,
      params: (roomId, seq, type, body) => [roomId, seq, type, body],
    },
  ],
  // A data-modifying WITH runs whether or not the statement reads what it returns.
  appendMessageEvent: [
    {
      sql: `WITH event AS (INSERT INTO room_events (room_id, seq, type, body) VALUES (?, ?, ?, ?::jsonb) RETURNING room_id, seq),
          outboxed AS (INSERT INTO outbox (room_id, seq) SELECT room_id, seq FROM event)
        UPDATE rooms SET last_message_seq = greatest(rooms.last_message_seq, event.seq) FROM event WHERE rooms.id = event.room_id`,
      params: (roomId, seq, type, body) => [roomId, seq, type, body],
    },
  ],
  moveSequencePast: (table, column) => `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), coalesce(max(${column}), 0) + 1, false) FROM ${table}`,
  search: postgresSearch,
};

const SQLITE_APPEND_EVENT: readonly EventStatement[] = [
  { sql: 'INSERT INTO room_events (room_id, seq, type, body) VALUES (?, ?, ?, ?)', params: (roomId, seq, type, body) => [roomId, seq, type, body] },
  { sql: 'INSERT INTO outbox (room_id, seq) VALUES (?, ?)', params: (roomId, seq) => [roomId, seq] },
];

export const SQLITE: Dialect = {
  name: 'sqlite',
  compile: dropCasts,
  inArray: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  jsonArrayHas: (column) => `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ?)`,
  foldCase: (column) => `${column} COLLATE NOCASE`,
  forUpdate: '',
  forUpdateSkipLocked: '',
  boostOrder: 'rowid',
  outboxWaiting: 'o.published_at IS NULL',
  appendEvent: SQLITE_APPEND_EVENT,
  appendMessageEvent: [
    ...SQLITE_APPEND_EVENT,
    { sql: 'UPDATE rooms SET last_message_seq = max(last_message_seq, ?) WHERE id = ?', params: (roomId, seq) => [seq, roomId] },
  ],
  // AUTOINCREMENT keeps the largest id ever inserted, given or not.
  moveSequencePast: () => null,
  search: sqliteSearch,
};

/** `?` → `$1`, `$2`, … outside quoted text. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|\?/g, (token) => (token === '?' ? `$${++n}` : token));
}

/** Drops `::type` casts outside quoted text: SQLite's STRICT tables type every column already. */
export function dropCasts(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|::[a-z]+(?:\[\])?/g, (token) => (token.startsWith("'") ? token : ''));
}
