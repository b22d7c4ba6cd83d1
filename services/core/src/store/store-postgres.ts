import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseError, Pool, TypeOverrides, types, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { AuditEntry, NewAuditEntry } from '../domain/audit.ts';
import type { ApiToken, Bot, WebhookDelivery } from '../domain/bots.ts';
import type { RoomEvent } from '../domain/events.ts';
import { directKey, isUnread } from '../domain/rules.ts';
import type {
  Account,
  Boost,
  Involvement,
  Membership,
  Message,
  Room,
  RoomForMember,
  RoomKind,
  SearchHit,
  Session,
  User,
} from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { applyMigrations } from './postgres-migrations.ts';
import { TERM, isUnsegmented, queryTerms } from './search-terms.ts';
import { ReadsThrough } from './reads-through.ts';
import { apiTokenNotFound, found, messageNotFound, roomNotFound, userNotFound, webhookDeliveryNotFound } from './refusals.ts';
import {
  type AccountRow,
  type ApiTokenRow,
  type AuditRow,
  type BoostRow,
  type BotRow,
  type MembershipRow,
  type MessageRow,
  type RoomRow,
  type SessionRow,
  type UserRow,
  type WebhookDeliveryRow,
  toAccount,
  toApiToken,
  toAuditEntry,
  toBoost,
  toBot,
  toMembership,
  toMessage,
  toRoom,
  toSession,
  toUser,
  toWebhookDelivery,
} from './rows.ts';
import type {
  ApiTokenCredentials,
  AuditPage,
  Credentials,
  Identity,
  MessagePage,
  NewMessage,
  NewUser,
  OutboxBacklog,
  PoolStats,
  OutboxEntry,
  Store,
  StoreReads,
  StoreTx,
  UserPatch,
} from './store.ts';

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
  readonly #reader: PostgresTx;
  /** Tells which transaction a call comes from. */
  readonly #context = new AsyncLocalStorage<PostgresTx>();
  #closing: Promise<void> | null = null;

  private constructor(pool: Pool, server: string) {
    super();
    this.#pool = pool;
    this.#server = server;
    this.#reader = new PostgresTx(new Sql((text, values) => pool.query(text, values), server));
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

  async transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.#context.getStore()?.live === true) {
      // It would hold a second connection while the first waits on it, and could deadlock the pool.
      throw new Error('transaction() called inside a transaction; use the tx it was given');
    }
    return this.#withClient(async (client, discard) => {
      const tx = new PostgresTx(new Sql((text, values) => client.query(text, values), this.#server));
      await tx.exec('BEGIN');
      try {
        const result = await this.#context.run(tx, () => work(tx));
        await tx.exec('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is not given to the next transaction.
        await client.query('ROLLBACK').catch(discard);
        throw error;
      } finally {
        tx.end();
      }
    });
  }

  async ping(): Promise<void> {
    await this.#read((tx) => tx.exec('SELECT 1'));
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
    return this.#read(use);
  }

  #read<T>(read: (tx: PostgresTx) => Promise<T>): Promise<T> {
    const current = this.#context.getStore();
    return read(current?.live === true ? current : this.#reader);
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

/** A readable reason; a refused connection to a name with several addresses is an AggregateError with no message. */
/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash recovery). */
function isServerUnavailable(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || code.startsWith('57P'));
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') return error.errors.map(reasonOf).join('; ');
  if (error instanceof Error) return error.message || ((error as { code?: string }).code ?? error.name);
  return String(error);
}

type Param = string | number | boolean | null | readonly string[] | readonly number[];
type Run = (text: string, values: Param[]) => Promise<QueryResult<QueryResultRow>>;

/** SQLSTATEs PostgreSQL raises for text it cannot store: a NUL character, or \u0000 in JSON. */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** Runs statements on a pool or a connection, with rows typed as the caller declares them. */
class Sql {
  readonly #run: Run;
  readonly #server: string;

  constructor(run: Run, server: string) {
    this.#run = run;
    this.#server = server;
  }

  async rows<T>(text: string, ...values: Param[]): Promise<T[]> {
    return (await this.#query(text, values)).rows as T[];
  }

  async row<T>(text: string, ...values: Param[]): Promise<T | undefined> {
    return (await this.#query(text, values)).rows[0] as T | undefined;
  }

  /** Returns the number of rows changed. */
  async run(text: string, ...values: Param[]): Promise<number> {
    return (await this.#query(text, values)).rowCount ?? 0;
  }

  async #query(text: string, values: Param[]): Promise<QueryResult<QueryResultRow>> {
    try {
      return await this.#run(text, values);
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

// ---- rows ----


/** A message's columns, without its search lexemes, which nothing outside the store reads. */
function messageColumns(alias = ''): string {
  const prefix = alias === '' ? '' : `${alias}.`;
  const columns = ['id', 'room_id', 'seq', 'author_id', 'client_message_id', 'body', 'mentions', 'sound', 'created_at', 'edited_at', 'deleted_at'];
  return columns.map((column) => prefix + column).join(', ');
}
const MESSAGE = messageColumns();


// ---- queries ----

/**
 * The queries, on a transaction's connection or on the pool. Used as the `tx` of a
 * transaction, and as the reader behind the Store's own read methods. A transaction's tx
 * refuses calls once it has ended.
 *
 * Inserts that may meet a duplicate use ON CONFLICT DO NOTHING and refuse when no row comes
 * back, instead of catching a unique violation: a failed statement would abort the whole
 * PostgreSQL transaction, while SQLite's goes on, and callers may catch the refusal and
 * carry on. ON CONFLICT also waits for a concurrent insert of the same key to commit or roll
 * back, so the refusal is exact under concurrency.
 */
class PostgresTx implements StoreTx {
  #live: Sql | null;

  constructor(sql: Sql) {
    this.#live = sql;
  }

  get live(): boolean {
    return this.#live !== null;
  }

  end(): void {
    this.#live = null;
  }

  get #sql(): Sql {
    if (this.#live === null) throw new Error('this transaction has ended; its tx can no longer be used');
    return this.#live;
  }

  async exec(text: string): Promise<void> {
    await this.#sql.run(text);
  }

  async getAccount(): Promise<Account | null> {
    const row = await this.#sql.row<AccountRow>('SELECT * FROM account WHERE singleton = 1');
    return row === undefined ? null : toAccount(row);
  }

  async insertAccount(account: Account): Promise<void> {
    const sql = `INSERT INTO account (singleton, id, name, join_code, created_at) VALUES (1, $1, $2, $3, $4)
      ON CONFLICT (singleton) DO NOTHING`;
    const inserted = await this.#sql.run(sql, account.id, account.name, account.joinCode, account.createdAt);
    if (inserted === 0) throw new HearthError('already_set_up', 'this Hearth already has an account');
  }

  async updateAccount(patch: { readonly name?: string; readonly joinCode?: string }): Promise<Account> {
    const sql = 'UPDATE account SET name = coalesce($1::text, name), join_code = coalesce($2::text, join_code) RETURNING *';
    const row = await this.#sql.row<AccountRow>(sql, patch.name ?? null, patch.joinCode ?? null);
    return toAccount(found(row, () => new HearthError('not_set_up', 'this Hearth has no account yet')));
  }

  async getUser(id: string): Promise<User | null> {
    const row = await this.#sql.row<UserRow>('SELECT * FROM users WHERE id = $1', id);
    return row === undefined ? null : toUser(row);
  }

  async getCredentialsByEmail(email: string): Promise<Credentials | null> {
    const row = await this.#sql.row<UserRow>('SELECT * FROM users WHERE email = $1', email.toLowerCase());
    return row === undefined ? null : { user: toUser(row), passwordHash: row.password_hash };
  }

  async listUsers(): Promise<User[]> {
    return (await this.#sql.rows<UserRow>('SELECT * FROM users ORDER BY created_at, id')).map(toUser);
  }

  async countUsers(): Promise<number> {
    return (await this.#sql.row<{ count: number }>('SELECT count(*) AS count FROM users'))?.count ?? 0;
  }

  async insertUser(user: NewUser): Promise<User> {
    const sql = `INSERT INTO users (id, name, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (email) DO NOTHING RETURNING *`;
    const email = user.email?.toLowerCase() ?? null;
    const row = await this.#sql.row<UserRow>(sql, user.id, user.name, email, user.role, user.passwordHash, user.createdAt);
    if (row === undefined) throw new HearthError('email_taken', 'another user already has this email', { field: 'email' });
    return toUser(row);
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const sql = `UPDATE users SET name = coalesce($1::text, name), role = coalesce($2::text, role),
      active = coalesce($3::boolean, active), password_hash = coalesce($4::text, password_hash) WHERE id = $5 RETURNING *`;
    const { name, role, active, passwordHash } = patch;
    const row = await this.#sql.row<UserRow>(sql, name ?? null, role ?? null, active ?? null, passwordHash ?? null, id);
    return toUser(found(row, userNotFound(id)));
  }

  async getRoom(id: string): Promise<Room | null> {
    const row = await this.#sql.row<RoomRow>('SELECT * FROM rooms WHERE id = $1', id);
    return row === undefined ? null : toRoom(row);
  }

  async listRoomsForMember(userId: string): Promise<RoomForMember[]> {
    // lower() under "C" folds ASCII only and compares bytes: SQLite's COLLATE NOCASE.
    const sql = `SELECT r.*, mb.involvement, mb.read_seq FROM memberships mb JOIN rooms r ON r.id = mb.room_id
      WHERE mb.user_id = $1 ORDER BY r.name IS NULL, lower(r.name COLLATE "C"), r.id`;
    const rows = await this.#sql.rows<RoomRow & { involvement: Involvement; read_seq: number }>(sql, userId);
    const members = await this.#memberIdsOfRoomsOf(userId);
    return rows.map((row) => {
      const room = toRoom(row);
      const membership = { involvement: row.involvement, readSeq: row.read_seq };
      return { ...room, ...membership, unread: isUnread(room, membership), memberIds: members.get(row.id) ?? [] };
    });
  }

  /** Member ids of every room `userId` belongs to, each list in joining order. */
  async #memberIdsOfRoomsOf(userId: string): Promise<Map<string, string[]>> {
    const sql = `SELECT other.room_id, other.user_id FROM memberships mine
      JOIN memberships other ON other.room_id = mine.room_id
      WHERE mine.user_id = $1 ORDER BY other.created_at, other.user_id`;
    const members = new Map<string, string[]>();
    for (const row of await this.#sql.rows<{ room_id: string; user_id: string }>(sql, userId)) {
      const list = members.get(row.room_id) ?? [];
      list.push(row.user_id);
      members.set(row.room_id, list);
    }
    return members;
  }

  async listOpenRooms(): Promise<Room[]> {
    const sql = `SELECT * FROM rooms WHERE kind = 'open' ORDER BY lower(name COLLATE "C") NULLS FIRST, id`;
    return (await this.#sql.rows<RoomRow>(sql)).map(toRoom);
  }

  async findDirectRoom(userIds: readonly string[]): Promise<Room | null> {
    if (userIds.length === 0) return null;
    const row = await this.#sql.row<RoomRow>(`SELECT * FROM rooms WHERE direct_key = $1 AND kind = 'direct'`, directKey(userIds));
    return row === undefined ? null : toRoom(row);
  }

  async insertRoom(room: Parameters<StoreTx['insertRoom']>[0]): Promise<Room> {
    const sql = `INSERT INTO rooms (id, kind, name, created_by, created_at, direct_key) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (direct_key) DO NOTHING RETURNING *`;
    const row = await this.#sql.row<RoomRow>(sql, room.id, room.kind, room.name, room.createdBy, room.createdAt, room.directKey);
    if (row === undefined) throw new HearthError('conflict', 'a direct room for these people already exists');
    return toRoom(row);
  }

  async updateRoom(id: string, patch: { readonly name?: string | null; readonly kind?: RoomKind }): Promise<Room> {
    // name may be set to null, so "leave it" needs its own flag instead of coalesce.
    const sql = `UPDATE rooms SET name = CASE WHEN $1::boolean THEN $2::text ELSE name END, kind = coalesce($3::text, kind)
      WHERE id = $4 RETURNING *`;
    const row = await this.#sql.row<RoomRow>(sql, patch.name !== undefined, patch.name ?? null, patch.kind ?? null, id);
    return toRoom(found(row, roomNotFound(id)));
  }

  /** The row lock the update takes is held to the end of the transaction: concurrent posts to a room queue here. */
  async nextSeq(roomId: string): Promise<number> {
    const row = await this.#sql.row<{ last_seq: number }>('UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq', roomId);
    return found(row, roomNotFound(roomId)).last_seq;
  }

  async lockRoom(roomId: string): Promise<void> {
    found(await this.#sql.row<{ id: string }>('SELECT id FROM rooms WHERE id = $1 FOR UPDATE', roomId), roomNotFound(roomId));
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const row = await this.#sql.row<MembershipRow>('SELECT * FROM memberships WHERE room_id = $1 AND user_id = $2', roomId, userId);
    return row === undefined ? null : toMembership(row);
  }

  async listMembers(roomId: string): Promise<Membership[]> {
    const sql = 'SELECT * FROM memberships WHERE room_id = $1 ORDER BY created_at, user_id';
    return (await this.#sql.rows<MembershipRow>(sql, roomId)).map(toMembership);
  }

  async putMembership(membership: Membership): Promise<Membership> {
    const sql = `INSERT INTO memberships (room_id, user_id, involvement, read_seq, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (room_id, user_id) DO UPDATE SET involvement = excluded.involvement, read_seq = excluded.read_seq
      RETURNING *`;
    const { roomId, userId, involvement, readSeq, createdAt } = membership;
    const row = await this.#sql.row<MembershipRow>(sql, roomId, userId, involvement, readSeq, createdAt);
    return toMembership(found(row, roomNotFound(roomId)));
  }

  async deleteMembership(roomId: string, userId: string): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM memberships WHERE room_id = $1 AND user_id = $2', roomId, userId)) > 0;
  }

  async getMessage(id: string): Promise<Message | null> {
    return this.#oneMessage(await this.#sql.row<MessageRow>(`SELECT ${MESSAGE} FROM messages WHERE id = $1`, id));
  }

  async getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> {
    const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = $1 AND author_id = $2 AND client_message_id = $3`;
    return this.#oneMessage(await this.#sql.row<MessageRow>(sql, roomId, authorId, clientMessageId));
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    const after = page.after ?? 0;
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    if (page.after !== undefined) {
      const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq LIMIT $4`;
      return this.#withBoosts(await this.#sql.rows<MessageRow>(sql, roomId, after, before, page.limit));
    }
    // The newest page: take the last `limit` before the bound, then hand them back oldest first.
    const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`;
    return this.#withBoosts((await this.#sql.rows<MessageRow>(sql, roomId, before, page.limit)).reverse());
  }

  async insertMessage(message: NewMessage): Promise<Message> {
    const sql = `INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, created_at, search)
      VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::tsvector) ON CONFLICT DO NOTHING RETURNING ${MESSAGE}`;
    const { id, roomId, seq, authorId, clientMessageId, body, sound, createdAt } = message;
    const mentions = JSON.stringify(message.mentions);
    const row = await this.#sql.row<MessageRow>(sql, id, roomId, seq, authorId, clientMessageId, body, mentions, sound, createdAt, buildSearchVector(body));
    if (row === undefined) throw new HearthError('conflict', 'this message was already posted');
    return toMessage(row, []);
  }

  async updateMessageBody(id: string, body: string, mentions: readonly string[], editedAt: string): Promise<Message> {
    const sql = `UPDATE messages SET body = $1, mentions = $2::jsonb, edited_at = $3, search = $4::tsvector WHERE id = $5 RETURNING ${MESSAGE}`;
    const row = await this.#sql.row<MessageRow>(sql, body, JSON.stringify(mentions), editedAt, buildSearchVector(body), id);
    return this.#boosted(found(row, messageNotFound(id)));
  }

  async markMessageDeleted(id: string, deletedAt: string): Promise<Message> {
    // Mentions and sound go with the body: a deleted message keeps no trace of what it said.
    const sql = `UPDATE messages SET body = '', mentions = '[]', sound = NULL, search = '', deleted_at = coalesce(deleted_at, $1)
      WHERE id = $2 RETURNING ${MESSAGE}`;
    const row = await this.#sql.row<MessageRow>(sql, deletedAt, id);
    return this.#boosted(found(row, messageNotFound(id)));
  }

  async #oneMessage(row: MessageRow | undefined): Promise<Message | null> {
    return row === undefined ? null : this.#boosted(row);
  }

  async #boosted(row: MessageRow): Promise<Message> {
    return toMessage(row, (await this.#boostsOf([row])).get(row.id) ?? []);
  }

  async #withBoosts(rows: readonly MessageRow[]): Promise<Message[]> {
    const boosts = await this.#boostsOf(rows);
    return rows.map((row) => toMessage(row, boosts.get(row.id) ?? []));
  }

  /** The boosts of several messages in one query, each list oldest first. */
  async #boostsOf(messages: readonly MessageRow[]): Promise<Map<string, Boost[]>> {
    const byMessage = new Map<string, Boost[]>();
    if (messages.length === 0) return byMessage;
    const sql = 'SELECT * FROM boosts WHERE message_id = ANY($1::text[]) ORDER BY created_at, pk';
    for (const row of await this.#sql.rows<BoostRow>(sql, messages.map((message) => message.id))) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(toBoost(row));
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  async getBoost(id: string): Promise<Boost | null> {
    const row = await this.#sql.row<BoostRow>('SELECT * FROM boosts WHERE id = $1', id);
    return row === undefined ? null : toBoost(row);
  }

  async insertBoost(boost: Boost): Promise<Boost> {
    const sql = 'INSERT INTO boosts (id, message_id, author_id, content, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *';
    const row = await this.#sql.row<BoostRow>(sql, boost.id, boost.messageId, boost.authorId, boost.content, boost.createdAt);
    return toBoost(found(row, messageNotFound(boost.messageId)));
  }

  async deleteBoost(id: string): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM boosts WHERE id = $1', id)) > 0;
  }

  async appendEvent(event: RoomEvent): Promise<void> {
    const { roomId, seq, type } = event;
    const sql = `WITH event AS (INSERT INTO room_events (room_id, seq, type, body) VALUES ($1, $2, $3, $4::jsonb) RETURNING room_id, seq)
      INSERT INTO outbox (room_id, seq) SELECT room_id, seq FROM event`;
    await this.#sql.run(sql, roomId, seq, type, JSON.stringify(event));
    if (type === 'message.created') {
      await this.#sql.run('UPDATE rooms SET last_message_seq = greatest(last_message_seq, $1) WHERE id = $2', seq, roomId);
    }
  }

  async eventsSince(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    const sql = 'SELECT body FROM room_events WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3';
    return (await this.#sql.rows<{ body: RoomEvent }>(sql, roomId, afterSeq, limit)).map((row) => row.body);
  }

  async unpublishedEvents(limit: number): Promise<OutboxEntry[]> {
    const sql = `SELECT o.id, e.body FROM outbox o JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq
      ORDER BY o.id LIMIT $1`;
    return (await this.#sql.rows<{ id: number; body: RoomEvent }>(sql, limit)).map((row) => ({ id: row.id, event: row.body }));
  }

  async outboxBacklog(): Promise<OutboxBacklog> {
    const sql = `SELECT count(*)::int AS events, min(e.body->>'at') AS oldest_at FROM outbox o
      JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq`;
    const [row] = await this.#sql.rows<{ events: number; oldest_at: string | null }>(sql);
    return { events: row?.events ?? 0, oldestAt: row?.oldest_at ?? null };
  }

  async markPublished(outboxIds: readonly number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    // The room's event log keeps the event; the outbox row has done its job, so it goes.
    await this.#sql.run('DELETE FROM outbox WHERE id = ANY($1::bigint[])', outboxIds);
  }

  async searchMessages(userId: string, query: string, limit: number): Promise<SearchHit[]> {
    const tsquery = buildSearchQuery(query);
    if (tsquery === null || limit <= 0) return [];
    const sql = `SELECT ${messageColumns('m')}, r.name AS room_name FROM messages m
      JOIN memberships mb ON mb.room_id = m.room_id AND mb.user_id = $1
      JOIN rooms r ON r.id = m.room_id
      WHERE m.search @@ $2::tsquery AND m.deleted_at IS NULL
      ORDER BY m.created_at DESC, m.pk DESC LIMIT $3`;
    const rows = await this.#sql.rows<MessageRow & { room_name: string | null }>(sql, userId, tsquery, limit);
    const boosts = await this.#boostsOf(rows);
    return rows.map((row) => ({ message: toMessage(row, boosts.get(row.id) ?? []), roomName: row.room_name }));
  }

  async getSession(id: string): Promise<Session | null> {
    const row = await this.#sql.row<SessionRow>('SELECT * FROM sessions WHERE id = $1', id);
    return row === undefined ? null : toSession(row);
  }

  async insertSession(session: Session): Promise<void> {
    const sql = `INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip, idp_session_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
    const { id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId } = session;
    await this.#sql.run(sql, id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId);
  }

  async touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    await this.#sql.run('UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3', lastSeenAt, expiresAt, id);
  }

  async deleteSession(id: string): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM sessions WHERE id = $1', id)) > 0;
  }

  async deleteUserSessions(userId: string): Promise<number> {
    return this.#sql.run('DELETE FROM sessions WHERE user_id = $1', userId);
  }

  async deleteSessionsByIdpSession(idpSessionId: string): Promise<string[]> {
    return (await this.#sql.rows<{ id: string }>('DELETE FROM sessions WHERE idp_session_id = $1 RETURNING id', idpSessionId)).map((row) => row.id);
  }

  async getUserByIdentity(issuer: string, subject: string): Promise<User | null> {
    const sql = 'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2';
    const row = await this.#sql.row<UserRow>(sql, issuer, subject);
    return row === undefined ? null : toUser(row);
  }

  async linkIdentity(identity: Identity): Promise<void> {
    const sql = 'INSERT INTO identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING';
    const inserted = await this.#sql.run(sql, identity.issuer, identity.subject, identity.userId, identity.createdAt);
    if (inserted === 0) throw new HearthError('conflict', 'this provider account is already linked to a user');
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const sql = `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail, ip, user_agent)
      VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) RETURNING *`;
    const { at, actorId, action, targetType, targetId, detail, origin } = entry;
    const row = await this.#sql.row<AuditRow>(sql, at, actorId, action, targetType, targetId, JSON.stringify(detail), origin?.ip ?? null, origin?.userAgent ?? null);
    return toAuditEntry(found(row, () => new HearthError('internal', 'the audit entry was not stored')));
  }

  async listAudit(page: AuditPage): Promise<AuditEntry[]> {
    if (page.after !== undefined) {
      return (await this.#sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', page.after, page.limit)).map(toAuditEntry);
    }
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    return (await this.#sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2', before, page.limit)).map(toAuditEntry);
  }

  async insertBot(bot: { readonly userId: string; readonly webhookUrl: string | null; readonly createdBy: string; readonly createdAt: string }): Promise<Bot> {
    await this.#sql.run('INSERT INTO bots (user_id, webhook_url, created_by, created_at) VALUES ($1, $2, $3, $4)', bot.userId, bot.webhookUrl, bot.createdBy, bot.createdAt);
    return found((await this.getBot(bot.userId)) ?? undefined, userNotFound(bot.userId));
  }

  async getBot(userId: string): Promise<Bot | null> {
    const row = await this.#sql.row<BotRow>(`${BOT_SELECT} WHERE b.user_id = $1`, userId);
    return row === undefined ? null : toBot(row);
  }

  async listBots(): Promise<Bot[]> {
    return (await this.#sql.rows<BotRow>(`${BOT_SELECT} ORDER BY b.created_at, b.user_id`)).map(toBot);
  }

  async insertApiToken(token: ApiToken, secretHash: string): Promise<ApiToken> {
    const sql = `INSERT INTO api_tokens (id, user_id, name, secret_hash, room_ids, created_by, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) RETURNING *`;
    const row = await this.#sql.row<ApiTokenRow>(sql, token.id, token.userId, token.name, secretHash, JSON.stringify(token.roomIds), token.createdBy, token.createdAt);
    return toApiToken(found(row, apiTokenNotFound(token.id)));
  }

  async getApiToken(id: string): Promise<ApiTokenCredentials | null> {
    const row = await this.#sql.row<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = $1', id);
    return row === undefined ? null : { token: toApiToken(row), secretHash: row.secret_hash };
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return (await this.#sql.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id', userId)).map(toApiToken);
  }

  async revokeApiToken(id: string, revokedAt: string): Promise<ApiToken> {
    const row = await this.#sql.row<ApiTokenRow>('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING *', revokedAt, id);
    return toApiToken(found(row, apiTokenNotFound(id)));
  }

  async touchApiToken(id: string, usedAt: string): Promise<void> {
    await this.#sql.run('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', usedAt, id);
  }

  async insertWebhookDelivery(delivery: { readonly botId: string; readonly messageId: string; readonly roomId: string; readonly createdAt: string }): Promise<WebhookDelivery> {
    const sql = `INSERT INTO webhook_deliveries (bot_id, message_id, room_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $4) RETURNING *`;
    const row = await this.#sql.row<WebhookDeliveryRow>(sql, delivery.botId, delivery.messageId, delivery.roomId, delivery.createdAt);
    return toWebhookDelivery(found(row, messageNotFound(delivery.messageId)));
  }

  async claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    // SKIP LOCKED: two messaging processes claiming at once take different deliveries.
    const sql = `UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN (
      SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
      ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
    ) RETURNING *`;
    return (await this.#sql.rows<WebhookDeliveryRow>(sql, leaseUntil, now, limit)).map(toWebhookDelivery).sort((a, b) => a.id - b.id);
  }

  async recordWebhookAttempt(id: number, outcome: { readonly at: string; readonly delivered: boolean; readonly error: string | null; readonly nextAttemptAt: string | null }): Promise<WebhookDelivery> {
    const sql = `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $1::text,
      delivered_at = CASE WHEN $2::boolean THEN $3::timestamptz END,
      failed_at = CASE WHEN $2::boolean THEN NULL WHEN $4::timestamptz IS NULL THEN $3::timestamptz END,
      next_attempt_at = coalesce($4::timestamptz, next_attempt_at) WHERE id = $5 RETURNING *`;
    const { at, delivered, error, nextAttemptAt } = outcome;
    const row = await this.#sql.row<WebhookDeliveryRow>(sql, error, delivered, at, nextAttemptAt, id);
    return toWebhookDelivery(found(row, webhookDeliveryNotFound(id)));
  }

  async listWebhookDeliveries(messageId: string): Promise<WebhookDelivery[]> {
    return (await this.#sql.rows<WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE message_id = $1 ORDER BY id', messageId)).map(toWebhookDelivery);
  }
}

const BOT_SELECT = 'SELECT b.*, u.name, u.active FROM bots b JOIN users u ON u.id = b.user_id';

// ---- search ----

/*
 * Search works on lexemes the store writes beside each message body (messages.search, a
 * tsvector with a GIN index), following the SQLite store's rules:
 * - a term starts with a letter or digit and runs over letters, digits and combining marks;
 *   case and accents are folded, on both sides;
 * - a term in a script written without spaces (CJK, Thai…) is a substring to find; any other
 *   term is a word prefix to find.
 * Words are stored as they are. Runs of unsegmented text are stored as overlapping trigrams
 * marked with GRAM_MARK (so no word prefix can match one), each at its position in the run:
 * a needle of up to three characters is a prefix of the trigram where it starts, and a longer
 * one is a phrase of consecutive trigrams (`<->`), which matches exactly the runs that
 * contain it. The query is a tsquery literal of quoted lexemes, so what a person types is
 * never parsed as tsquery syntax.
 */

/** Words are cut to this many characters in the index and in queries alike; a lexeme may have at most 2 KB. */
const MAX_WORD_CHARS = 100;
/** Needles longer than this are cut: a phrase of a hundred trigrams is already as selective as it gets. */
const MAX_NEEDLE_CHARS = 100;
const GRAM = 3;
const GRAM_MARK = '~';
/** tsvector positions stop at 16383: past that point of a message, a needle longer than three characters matches loosely. */
const MAX_POSITION = 16_383;
/** tsvector keeps at most 256 positions per lexeme. */
const MAX_POSITIONS = 256;
/** A tsvector may not exceed 1 MB; text past this many lexeme bytes is not indexed (bodies are far shorter by default). */
const MAX_VECTOR_BYTES = 512 * 1024;

/** Combining diacritical marks: what unicode61's remove_diacritics takes off Latin, Greek and Cyrillic letters. */
const DIACRITICS = /[\u0300-\u036f]/g;

/** Lower case, without accents, in NFC: how both the index and a query see a term. */
function foldTerm(term: string): string {
  return term.normalize('NFD').replace(DIACRITICS, '').normalize('NFC').toLowerCase();
}

function cut(term: string, chars: number): string {
  const all = [...term];
  return all.length <= chars ? term : all.slice(0, chars).join('');
}

function lexemeLiteral(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The tsvector literal of a message body's search lexemes. */
export function buildSearchVector(body: string): string {
  const lexemes = new Map<string, number[]>();
  let position = 1;
  for (const [match] of body.normalize('NFC').matchAll(TERM)) {
    const term = foldTerm(match);
    if (!isUnsegmented(term)) {
      lexemes.set(cut(term, MAX_WORD_CHARS), []);
      continue;
    }
    const chars = [...term];
    for (let i = 0; i < chars.length; i++) {
      const gram = GRAM_MARK + chars.slice(i, i + GRAM).join('');
      const positions = lexemes.get(gram) ?? [];
      if (positions.length < MAX_POSITIONS && position <= MAX_POSITION) positions.push(position);
      lexemes.set(gram, positions);
      position++;
    }
    position++; // a gap, so the trigrams of two runs are never consecutive
  }
  return serialiseVector(lexemes);
}

function serialiseVector(lexemes: ReadonlyMap<string, readonly number[]>): string {
  const parts: string[] = [];
  let bytes = 0;
  for (const [lexeme, positions] of lexemes) {
    const part = positions.length === 0 ? lexemeLiteral(lexeme) : `${lexemeLiteral(lexeme)}:${positions.join(',')}`;
    bytes += Buffer.byteLength(part);
    if (bytes > MAX_VECTOR_BYTES) break;
    parts.push(part);
  }
  return parts.join(' ');
}

/**
 * Turns what a person typed into a tsquery literal that cannot fail to parse: every term a
 * quoted lexeme, words as prefixes, needles as trigram prefixes or phrases, all ANDed.
 * Null when nothing searchable is left.
 */
export function buildSearchQuery(query: string): string | null {
  const terms = queryTerms(query, foldTerm);
  if (terms.length === 0) return null;
  return terms.map((term) => (isUnsegmented(term) ? needleQuery(term) : `${lexemeLiteral(cut(term, MAX_WORD_CHARS))}:*`)).join(' & ');
}

function needleQuery(needle: string): string {
  const chars = [...needle].slice(0, MAX_NEEDLE_CHARS);
  if (chars.length <= GRAM) return `${lexemeLiteral(GRAM_MARK + chars.join(''))}:*`;
  const grams = Array.from({ length: chars.length - GRAM + 1 }, (_, i) => lexemeLiteral(GRAM_MARK + chars.slice(i, i + GRAM).join('')));
  return `(${grams.join(' <-> ')})`;
}
