import { HearthError } from '../errors.ts';
import type { Dialect, Param } from './sql-dialect.ts';

/*
 * Every record of a Store as dialect-neutral NDJSON, for tier migration, backup and
 * compliance export (DESIGN §1). The first line says what the stream is, and how many rows follow:
 *   {"format":"hearth-records","version":1,"rows":123}
 * then one line a row, tables in RECORD_TABLES' order (parents before the rows that refer to
 * them, so an import inserts in stream order) and rows in a stable order within a table:
 *   {"table":"users","row":{"id":"…","active":true,…}}
 * and last a line that counts them and sums them up (record-summary.ts), so a cut-off or
 * altered stream is refused, and an import can be checked against it:
 *   {"end":{"rows":123,"summary":{"tables":{"users":{"rows":3,"sha256":"…"},…},"lastSeq":{"<room>":17,…}}}}
 * Values are what both dialects agree on: booleans as booleans, JSON columns parsed with their
 * object keys sorted (PostgreSQL's jsonb keeps its own key order), times as the ISO text the
 * domain writes. Internal columns (a message's key and search lexemes, SQLite's published_at)
 * are left out; the target rebuilds them.
 */

export const RECORD_FORMAT = 'hearth-records';
export const RECORD_VERSION = 1;

/**
 * How a column's value is made neutral. `json?` is JSON left out of the line when null: a column
 * added later that most rows leave null (a message's file), so that a row without one writes the
 * line it wrote before the column existed, and an archive of then still verifies. `value?` is the
 * same for a plain value (a bot's webhook secrets, which bots made before them do not have; a
 * user's picture, which most have not uploaded).
 */
export type Kind = 'value' | 'bool' | 'json' | 'json?' | 'value?';

export interface RecordTable {
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
  table('users', 'id name email role active:bool password_hash created_at avatar:value?', byId),
  table('identities', 'issuer subject user_id created_at', { orderBy: () => 'issuer, subject' }),
  table('sessions', 'id user_id csrf_token created_at last_seen_at expires_at user_agent ip idp_session_id', byId),
  table('rooms', 'id kind name created_by created_at last_seq last_message_seq direct_key', byId),
  table('memberships', 'room_id user_id involvement read_seq created_at', { orderBy: () => 'room_id, user_id' }),
  // Insertion order: search breaks ties between messages of the same instant by it.
  table('messages', 'id room_id seq author_id client_message_id body mentions:json sound created_at edited_at deleted_at file:json?', { orderBy: () => 'pk' }),
  table('boosts', 'id message_id author_id content created_at', { orderBy: (d) => `created_at, ${d.boostOrder}` }),
  table('room_events', 'room_id seq type body:json', { orderBy: () => 'room_id, seq' }),
  table('outbox', 'id room_id seq', { ...byId, where: (d) => d.outboxWaiting, serial: true }),
  table('audit_log', 'id at actor_id action target_type target_id detail:json ip user_agent', { ...byId, serial: true }),
  table('bots', 'user_id webhook_url created_by created_at webhook_secret:value? webhook_previous_secret:value? webhook_previous_expires_at:value?', {
    orderBy: () => 'user_id',
  }),
  table('api_tokens', 'id user_id name secret_hash room_ids:json created_by created_at revoked_at last_used_at', byId),
  table('webhook_deliveries', 'id bot_id message_id room_id attempts next_attempt_at created_at delivered_at failed_at last_error', { ...byId, serial: true }),
];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Row = Record<string, Json>;

/** A row as the stream has it, whichever dialect it came from. */
export function neutralRow(table: RecordTable, row: Readonly<Record<string, unknown>>): Row {
  const out: Row = {};
  for (const [column, kind] of Object.entries(table.columns)) {
    const value = neutralValue(kind, row[column]);
    if (!(value === null && (kind === 'json?' || kind === 'value?'))) out[column] = value;
  }
  return out;
}

function neutralValue(kind: Kind, value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (kind === 'bool') return value === true || value === 1;
  if (kind === 'json' || kind === 'json?') return sortedKeys((typeof value === 'string' ? JSON.parse(value) : value) as Json);
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

export function storable(kind: Kind, value: Json): Param {
  if (value === null) return null;
  if (kind === 'json' || kind === 'json?') return JSON.stringify(value);
  if (typeof value === 'object') throw new HearthError('invalid_request', 'a record holds an object where the stream has a plain value');
  return value;
}
