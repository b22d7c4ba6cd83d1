import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
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
import { isUnsegmented, queryTerms } from './search-terms.ts';
import { applyMigrations } from './sqlite-migrations.ts';
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
  OutboxEntry,
  Store,
  StoreReads,
  StoreTx,
  UserPatch,
} from './store.ts';

const BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded tier's Store: one SQLite file through node:sqlite.
 *
 * DatabaseSync has one connection, so a transaction owns it from BEGIN to COMMIT and
 * transactions run one after another through a queue. A read from outside a transaction
 * runs at once when no transaction is open; while one is open it waits its turn, because
 * on the shared connection it would otherwise see that transaction's uncommitted writes.
 */
export class StoreSqlite extends ReadsThrough implements Store {
  readonly #db: DatabaseSync;
  readonly #sql: Sql;
  readonly #reader: SqliteTx;
  readonly #queue = new SerialQueue();
  /** Tells which transaction a call comes from, so work inside a transaction never waits for itself. */
  readonly #context = new AsyncLocalStorage<SqliteTx>();
  #current: SqliteTx | null = null;
  #closing: Promise<void> | null = null;

  private constructor(db: DatabaseSync) {
    super();
    this.#db = db;
    this.#sql = new Sql(db);
    this.#reader = new SqliteTx(this.#sql);
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

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.#isInsideCurrent()) {
      // It would wait for the transaction it is part of, forever.
      return Promise.reject(new Error('transaction() called inside a transaction; use the tx it was given'));
    }
    return this.#queue.run(() => this.#runTransaction(work));
  }

  async ping(): Promise<void> {
    await this.#read(() => this.#sql.get('SELECT 1'));
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
    return this.#read(use);
  }

  #isInsideCurrent(): boolean {
    return this.#current !== null && this.#context.getStore() === this.#current;
  }

  /** Must decide and run in the same tick: a transaction could BEGIN on the connection in the next one. */
  async #read<T>(read: (tx: SqliteTx) => Promise<T> | T): Promise<T> {
    if (this.#current === null || this.#isInsideCurrent()) return read(this.#reader);
    return this.#queue.run(() => read(this.#reader));
  }

  async #runTransaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    const tx = new SqliteTx(this.#sql);
    this.#db.exec('BEGIN IMMEDIATE');
    this.#current = tx;
    try {
      const result = await this.#context.run(tx, () => work(tx));
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      // A failed statement may already have rolled SQLite back on its own.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    } finally {
      this.#current = null;
      tx.end();
    }
  }
}

/**
 * WAL lets readers in other processes (backups, the sqlite3 shell) proceed during writes.
 * synchronous=FULL syncs the WAL on every commit: NORMAL may lose the last acknowledged
 * transactions on power loss, which Hearth does not accept.
 */
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

type Row = Record<string, SQLOutputValue>;

/** Prepared statements, cached by their text, with rows typed as the caller declares them. */
class Sql {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** STRICT tables guarantee each column's type, so a row may be read as its declared shape. */
  get<T = Row>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#prepare(sql).get(...params) as T | undefined;
  }

  all<T = Row>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#prepare(sql).all(...params) as T[];
  }

  /** Returns the number of rows changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}


/** The `table.column, …` a UNIQUE or PRIMARY KEY violation names, or null for any other error. */
function uniqueViolation(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  return /^UNIQUE constraint failed: (.+)$/.exec(error.message)?.[1] ?? null;
}

/** Runs an insert, turning a uniqueness violation into `refusal` so it reaches the client as a 4xx. */
function refusingDuplicates<T>(insert: () => T, refusal: (constraint: string, cause: unknown) => HearthError | null): T {
  try {
    return insert();
  } catch (error) {
    const constraint = uniqueViolation(error);
    throw (constraint === null ? null : refusal(constraint, error)) ?? error;
  }
}


/**
 * The queries, run directly on the connection. Used as the `tx` of a transaction, and as the
 * reader behind the Store's own read methods. A transaction's tx refuses calls once it has ended.
 */
class SqliteTx implements StoreTx {
  #live: Sql | null;

  constructor(sql: Sql) {
    this.#live = sql;
  }

  end(): void {
    this.#live = null;
  }

  get #sql(): Sql {
    if (this.#live === null) throw new Error('this transaction has ended; its tx can no longer be used');
    return this.#live;
  }

  async getAccount(): Promise<Account | null> {
    const row = this.#sql.get<AccountRow>('SELECT * FROM account WHERE singleton = 1');
    return row === undefined ? null : toAccount(row);
  }

  async insertAccount(account: Account): Promise<void> {
    const sql = 'INSERT INTO account (singleton, id, name, join_code, created_at) VALUES (1, ?, ?, ?, ?)';
    refusingDuplicates(
      () => this.#sql.run(sql, account.id, account.name, account.joinCode, account.createdAt),
      (_constraint, cause) => new HearthError('already_set_up', 'this Hearth already has an account', { cause }),
    );
  }

  async updateAccount(patch: { readonly name?: string; readonly joinCode?: string }): Promise<Account> {
    const sql = 'UPDATE account SET name = coalesce(?, name), join_code = coalesce(?, join_code) RETURNING *';
    const row = this.#sql.get<AccountRow>(sql, patch.name ?? null, patch.joinCode ?? null);
    return toAccount(found(row, () => new HearthError('not_set_up', 'this Hearth has no account yet')));
  }

  async getUser(id: string): Promise<User | null> {
    const row = this.#sql.get<UserRow>('SELECT * FROM users WHERE id = ?', id);
    return row === undefined ? null : toUser(row);
  }

  async getCredentialsByEmail(email: string): Promise<Credentials | null> {
    const row = this.#sql.get<UserRow>('SELECT * FROM users WHERE email = ?', email.toLowerCase());
    return row === undefined ? null : { user: toUser(row), passwordHash: row.password_hash };
  }

  async listUsers(): Promise<User[]> {
    return this.#sql.all<UserRow>('SELECT * FROM users ORDER BY created_at, id').map(toUser);
  }

  async countUsers(): Promise<number> {
    return this.#sql.get<{ count: number }>('SELECT count(*) AS count FROM users')?.count ?? 0;
  }

  async insertUser(user: NewUser): Promise<User> {
    const sql = `INSERT INTO users (id, name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *`;
    const email = user.email?.toLowerCase() ?? null;
    const row = refusingDuplicates(
      () => this.#sql.get<UserRow>(sql, user.id, user.name, email, user.role, user.passwordHash, user.createdAt),
      (constraint, cause) =>
        constraint === 'users.email' ? new HearthError('email_taken', 'another user already has this email', { field: 'email', cause }) : null,
    );
    return toUser(found(row, userNotFound(user.id)));
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const sql = `UPDATE users SET name = coalesce(?, name), role = coalesce(?, role), active = coalesce(?, active),
      password_hash = coalesce(?, password_hash) WHERE id = ? RETURNING *`;
    const active = patch.active === undefined ? null : Number(patch.active);
    const row = this.#sql.get<UserRow>(sql, patch.name ?? null, patch.role ?? null, active, patch.passwordHash ?? null, id);
    return toUser(found(row, userNotFound(id)));
  }

  async getRoom(id: string): Promise<Room | null> {
    const row = this.#sql.get<RoomRow>('SELECT * FROM rooms WHERE id = ?', id);
    return row === undefined ? null : toRoom(row);
  }

  async listRoomsForMember(userId: string): Promise<RoomForMember[]> {
    const sql = `SELECT r.*, mb.involvement, mb.read_seq FROM memberships mb JOIN rooms r ON r.id = mb.room_id
      WHERE mb.user_id = ? ORDER BY r.name IS NULL, r.name COLLATE NOCASE, r.id`;
    const rows = this.#sql.all<RoomRow & { involvement: Involvement; read_seq: number }>(sql, userId);
    const members = this.#memberIdsOfRoomsOf(userId);
    return rows.map((row) => {
      const room = toRoom(row);
      const membership = { involvement: row.involvement, readSeq: row.read_seq };
      return { ...room, ...membership, unread: isUnread(room, membership), memberIds: members.get(row.id) ?? [] };
    });
  }

  /** Member ids of every room `userId` belongs to, each list in joining order. */
  #memberIdsOfRoomsOf(userId: string): Map<string, string[]> {
    const sql = `SELECT other.room_id, other.user_id FROM memberships mine
      JOIN memberships other ON other.room_id = mine.room_id
      WHERE mine.user_id = ? ORDER BY other.created_at, other.user_id`;
    const members = new Map<string, string[]>();
    for (const row of this.#sql.all<{ room_id: string; user_id: string }>(sql, userId)) {
      const list = members.get(row.room_id) ?? [];
      list.push(row.user_id);
      members.set(row.room_id, list);
    }
    return members;
  }

  async listOpenRooms(): Promise<Room[]> {
    const sql = `SELECT * FROM rooms WHERE kind = 'open' ORDER BY name COLLATE NOCASE, id`;
    return this.#sql.all<RoomRow>(sql).map(toRoom);
  }

  async findDirectRoom(userIds: readonly string[]): Promise<Room | null> {
    if (userIds.length === 0) return null;
    const row = this.#sql.get<RoomRow>(`SELECT * FROM rooms WHERE direct_key = ? AND kind = 'direct'`, directKey(userIds));
    return row === undefined ? null : toRoom(row);
  }

  async insertRoom(room: Parameters<StoreTx['insertRoom']>[0]): Promise<Room> {
    const sql = `INSERT INTO rooms (id, kind, name, created_by, created_at, direct_key) VALUES (?, ?, ?, ?, ?, ?) RETURNING *`;
    const row = refusingDuplicates(
      () => this.#sql.get<RoomRow>(sql, room.id, room.kind, room.name, room.createdBy, room.createdAt, room.directKey),
      (constraint, cause) =>
        constraint === 'rooms.direct_key' ? new HearthError('conflict', 'a direct room for these people already exists', { cause }) : null,
    );
    return toRoom(found(row, roomNotFound(room.id)));
  }

  async updateRoom(id: string, patch: { readonly name?: string | null; readonly kind?: RoomKind }): Promise<Room> {
    // name may be set to null, so "leave it" needs its own flag instead of coalesce.
    const sql = `UPDATE rooms SET name = CASE WHEN ? THEN ? ELSE name END, kind = coalesce(?, kind) WHERE id = ? RETURNING *`;
    const row = this.#sql.get<RoomRow>(sql, Number(patch.name !== undefined), patch.name ?? null, patch.kind ?? null, id);
    return toRoom(found(row, roomNotFound(id)));
  }

  async nextSeq(roomId: string): Promise<number> {
    const row = this.#sql.get<{ last_seq: number }>('UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq', roomId);
    return found(row, roomNotFound(roomId)).last_seq;
  }

  /** Transactions here already run one at a time (BEGIN IMMEDIATE, one connection); only existence is left to check. */
  async lockRoom(roomId: string): Promise<void> {
    found(this.#sql.get<{ id: string }>('SELECT id FROM rooms WHERE id = ?', roomId), roomNotFound(roomId));
  }

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const row = this.#sql.get<MembershipRow>('SELECT * FROM memberships WHERE room_id = ? AND user_id = ?', roomId, userId);
    return row === undefined ? null : toMembership(row);
  }

  async listMembers(roomId: string): Promise<Membership[]> {
    const sql = 'SELECT * FROM memberships WHERE room_id = ? ORDER BY created_at, user_id';
    return this.#sql.all<MembershipRow>(sql, roomId).map(toMembership);
  }

  async putMembership(membership: Membership): Promise<Membership> {
    const sql = `INSERT INTO memberships (room_id, user_id, involvement, read_seq, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (room_id, user_id) DO UPDATE SET involvement = excluded.involvement, read_seq = excluded.read_seq
      RETURNING *`;
    const { roomId, userId, involvement, readSeq, createdAt } = membership;
    const row = this.#sql.get<MembershipRow>(sql, roomId, userId, involvement, readSeq, createdAt);
    return toMembership(found(row, roomNotFound(roomId)));
  }

  async deleteMembership(roomId: string, userId: string): Promise<boolean> {
    return this.#sql.run('DELETE FROM memberships WHERE room_id = ? AND user_id = ?', roomId, userId) > 0;
  }

  async getMessage(id: string): Promise<Message | null> {
    return this.#oneMessage(this.#sql.get<MessageRow>('SELECT * FROM messages WHERE id = ?', id));
  }

  async getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> {
    const sql = 'SELECT * FROM messages WHERE room_id = ? AND author_id = ? AND client_message_id = ?';
    return this.#oneMessage(this.#sql.get<MessageRow>(sql, roomId, authorId, clientMessageId));
  }

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    const after = page.after ?? 0;
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    if (page.after !== undefined) {
      const sql = 'SELECT * FROM messages WHERE room_id = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?';
      return this.#withBoosts(this.#sql.all<MessageRow>(sql, roomId, after, before, page.limit));
    }
    // The newest page: take the last `limit` before the bound, then hand them back oldest first.
    const sql = 'SELECT * FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?';
    return this.#withBoosts(this.#sql.all<MessageRow>(sql, roomId, before, page.limit).reverse());
  }

  async insertMessage(message: NewMessage): Promise<Message> {
    const sql = `INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;
    const { id, roomId, seq, authorId, clientMessageId, body, sound, createdAt } = message;
    const mentions = JSON.stringify(message.mentions);
    const row = refusingDuplicates(
      () => this.#sql.get<MessageRow>(sql, id, roomId, seq, authorId, clientMessageId, body, mentions, sound, createdAt),
      (_constraint, cause) => new HearthError('conflict', 'this message was already posted', { cause }),
    );
    return toMessage(found(row, messageNotFound(id)), []);
  }

  async updateMessageBody(id: string, body: string, mentions: readonly string[], editedAt: string): Promise<Message> {
    const sql = 'UPDATE messages SET body = ?, mentions = ?, edited_at = ? WHERE id = ? RETURNING *';
    const row = this.#sql.get<MessageRow>(sql, body, JSON.stringify(mentions), editedAt, id);
    return this.#boosted(found(row, messageNotFound(id)));
  }

  async markMessageDeleted(id: string, deletedAt: string): Promise<Message> {
    // Mentions and sound go with the body: a deleted message keeps no trace of what it said.
    const sql = `UPDATE messages SET body = '', mentions = '[]', sound = NULL, deleted_at = coalesce(deleted_at, ?)
      WHERE id = ? RETURNING *`;
    const row = this.#sql.get<MessageRow>(sql, deletedAt, id);
    return this.#boosted(found(row, messageNotFound(id)));
  }

  #oneMessage(row: MessageRow | undefined): Message | null {
    return row === undefined ? null : this.#boosted(row);
  }

  #boosted(row: MessageRow): Message {
    return toMessage(row, this.#boostsOf([row]).get(row.id) ?? []);
  }

  #withBoosts(rows: readonly MessageRow[]): Message[] {
    const boosts = this.#boostsOf(rows);
    return rows.map((row) => toMessage(row, boosts.get(row.id) ?? []));
  }

  /** The boosts of several messages in one query, each list oldest first. */
  #boostsOf(messages: readonly MessageRow[]): Map<string, Boost[]> {
    const byMessage = new Map<string, Boost[]>();
    if (messages.length === 0) return byMessage;
    const sql = `SELECT * FROM boosts WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid`;
    for (const row of this.#sql.all<BoostRow>(sql, JSON.stringify(messages.map((message) => message.id)))) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(toBoost(row));
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  async getBoost(id: string): Promise<Boost | null> {
    const row = this.#sql.get<BoostRow>('SELECT * FROM boosts WHERE id = ?', id);
    return row === undefined ? null : toBoost(row);
  }

  async insertBoost(boost: Boost): Promise<Boost> {
    const sql = 'INSERT INTO boosts (id, message_id, author_id, content, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *';
    const row = this.#sql.get<BoostRow>(sql, boost.id, boost.messageId, boost.authorId, boost.content, boost.createdAt);
    return toBoost(found(row, messageNotFound(boost.messageId)));
  }

  async deleteBoost(id: string): Promise<boolean> {
    return this.#sql.run('DELETE FROM boosts WHERE id = ?', id) > 0;
  }

  async appendEvent(event: RoomEvent): Promise<void> {
    const { roomId, seq, type } = event;
    this.#sql.run('INSERT INTO room_events (room_id, seq, type, body) VALUES (?, ?, ?, ?)', roomId, seq, type, JSON.stringify(event));
    this.#sql.run('INSERT INTO outbox (room_id, seq) VALUES (?, ?)', roomId, seq);
    if (type === 'message.created') {
      this.#sql.run('UPDATE rooms SET last_message_seq = max(last_message_seq, ?) WHERE id = ?', seq, roomId);
    }
  }

  async eventsSince(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    const sql = 'SELECT body FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?';
    return this.#sql.all<{ body: string }>(sql, roomId, afterSeq, limit).map((row) => JSON.parse(row.body) as RoomEvent);
  }

  async unpublishedEvents(limit: number): Promise<OutboxEntry[]> {
    const sql = `SELECT o.id, e.body FROM outbox o JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq
      WHERE o.published_at IS NULL ORDER BY o.id LIMIT ?`;
    return this.#sql.all<{ id: number; body: string }>(sql, limit).map((row) => ({ id: row.id, event: JSON.parse(row.body) as RoomEvent }));
  }

  async outboxBacklog(): Promise<OutboxBacklog> {
    const sql = `SELECT count(*) AS events, min(json_extract(e.body, '$.at')) AS oldest_at FROM outbox o
      JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq WHERE o.published_at IS NULL`;
    const row = this.#sql.get<{ events: number; oldest_at: string | null }>(sql);
    return { events: row?.events ?? 0, oldestAt: row?.oldest_at ?? null };
  }

  async markPublished(outboxIds: readonly number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    // The room's event log keeps the event; the outbox row has done its job, so it goes.
    this.#sql.run('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(outboxIds));
  }

  async searchMessages(userId: string, query: string, limit: number): Promise<SearchHit[]> {
    const plan = buildSearchPlan(query);
    if (plan === null || limit <= 0) return [];
    const rows = this.#sql.all<MessageRow & { room_name: string | null }>(searchSql(plan), ...searchParams(plan, userId, limit));
    const boosts = this.#boostsOf(rows);
    return rows.map((row) => ({ message: toMessage(row, boosts.get(row.id) ?? []), roomName: row.room_name }));
  }

  async getSession(id: string): Promise<Session | null> {
    const row = this.#sql.get<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
    return row === undefined ? null : toSession(row);
  }

  async insertSession(session: Session): Promise<void> {
    const sql = `INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip, idp_session_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const { id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId } = session;
    this.#sql.run(sql, id, userId, csrfToken, createdAt, lastSeenAt, expiresAt, userAgent, ip, idpSessionId);
  }

  async touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    this.#sql.run('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?', lastSeenAt, expiresAt, id);
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.#sql.run('DELETE FROM sessions WHERE id = ?', id) > 0;
  }

  async deleteUserSessions(userId: string): Promise<number> {
    return this.#sql.run('DELETE FROM sessions WHERE user_id = ?', userId);
  }

  async deleteSessionsByIdpSession(idpSessionId: string): Promise<string[]> {
    return this.#sql.all<{ id: string }>('DELETE FROM sessions WHERE idp_session_id = ? RETURNING id', idpSessionId).map((row) => row.id);
  }

  async getUserByIdentity(issuer: string, subject: string): Promise<User | null> {
    const sql = 'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = ? AND i.subject = ?';
    const row = this.#sql.get<UserRow>(sql, issuer, subject);
    return row === undefined ? null : toUser(row);
  }

  async linkIdentity(identity: Identity): Promise<void> {
    const sql = 'INSERT INTO identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)';
    refusingDuplicates(
      () => this.#sql.run(sql, identity.issuer, identity.subject, identity.userId, identity.createdAt),
      (_constraint, cause) => new HearthError('conflict', 'this provider account is already linked to a user', { cause }),
    );
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const sql = `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail, ip, user_agent)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;
    const { at, actorId, action, targetType, targetId, detail, origin } = entry;
    const row = this.#sql.get<AuditRow>(sql, at, actorId, action, targetType, targetId, JSON.stringify(detail), origin?.ip ?? null, origin?.userAgent ?? null);
    return toAuditEntry(found(row, () => new HearthError('internal', 'the audit entry was not stored')));
  }

  async listAudit(page: AuditPage): Promise<AuditEntry[]> {
    if (page.after !== undefined) {
      return this.#sql.all<AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', page.after, page.limit).map(toAuditEntry);
    }
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    return this.#sql.all<AuditRow>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', before, page.limit).map(toAuditEntry);
  }

  async insertBot(bot: { readonly userId: string; readonly webhookUrl: string | null; readonly createdBy: string; readonly createdAt: string }): Promise<Bot> {
    this.#sql.run('INSERT INTO bots (user_id, webhook_url, created_by, created_at) VALUES (?, ?, ?, ?)', bot.userId, bot.webhookUrl, bot.createdBy, bot.createdAt);
    return found((await this.getBot(bot.userId)) ?? undefined, userNotFound(bot.userId));
  }

  async getBot(userId: string): Promise<Bot | null> {
    const row = this.#sql.get<BotRow>(`${BOT_SELECT} WHERE b.user_id = ?`, userId);
    return row === undefined ? null : toBot(row);
  }

  async listBots(): Promise<Bot[]> {
    return this.#sql.all<BotRow>(`${BOT_SELECT} ORDER BY b.created_at, b.user_id`).map(toBot);
  }

  async insertApiToken(token: ApiToken, secretHash: string): Promise<ApiToken> {
    const sql = `INSERT INTO api_tokens (id, user_id, name, secret_hash, room_ids, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`;
    const row = this.#sql.get<ApiTokenRow>(sql, token.id, token.userId, token.name, secretHash, JSON.stringify(token.roomIds), token.createdBy, token.createdAt);
    return toApiToken(found(row, apiTokenNotFound(token.id)));
  }

  async getApiToken(id: string): Promise<ApiTokenCredentials | null> {
    const row = this.#sql.get<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ?', id);
    return row === undefined ? null : { token: toApiToken(row), secretHash: row.secret_hash };
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return this.#sql.all<ApiTokenRow>('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at, id', userId).map(toApiToken);
  }

  async revokeApiToken(id: string, revokedAt: string): Promise<ApiToken> {
    const row = this.#sql.get<ApiTokenRow>('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *', revokedAt, id);
    return toApiToken(found(row, apiTokenNotFound(id)));
  }

  async touchApiToken(id: string, usedAt: string): Promise<void> {
    this.#sql.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', usedAt, id);
  }

  async insertWebhookDelivery(delivery: { readonly botId: string; readonly messageId: string; readonly roomId: string; readonly createdAt: string }): Promise<WebhookDelivery> {
    const sql = `INSERT INTO webhook_deliveries (bot_id, message_id, room_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *`;
    const { botId, messageId, roomId, createdAt } = delivery;
    const row = this.#sql.get<WebhookDeliveryRow>(sql, botId, messageId, roomId, createdAt, createdAt);
    return toWebhookDelivery(found(row, messageNotFound(messageId)));
  }

  async claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    // One connection and one transaction at a time: select-then-update cannot race here.
    const sql = `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (
      SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
    ) RETURNING *`;
    return this.#sql.all<WebhookDeliveryRow>(sql, leaseUntil, now, limit).map(toWebhookDelivery).sort((a, b) => a.id - b.id);
  }

  async recordWebhookAttempt(id: number, outcome: { readonly at: string; readonly delivered: boolean; readonly error: string | null; readonly nextAttemptAt: string | null }): Promise<WebhookDelivery> {
    const sql = `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?,
      delivered_at = CASE WHEN ? THEN ? END, failed_at = CASE WHEN ? THEN NULL WHEN ? IS NULL THEN ? END,
      next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ? RETURNING *`;
    const { at, delivered, error, nextAttemptAt } = outcome;
    const row = this.#sql.get<WebhookDeliveryRow>(sql, error, Number(delivered), at, Number(delivered), nextAttemptAt, at, nextAttemptAt, id);
    return toWebhookDelivery(found(row, webhookDeliveryNotFound(id)));
  }

  async listWebhookDeliveries(messageId: string): Promise<WebhookDelivery[]> {
    return this.#sql.all<WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE message_id = ? ORDER BY id', messageId).map(toWebhookDelivery);
  }
}

const BOT_SELECT = 'SELECT b.*, u.name, u.active FROM bots b JOIN users u ON u.id = b.user_id';

/**
 * How one search box query runs against the two indexes (see sqlite-migrations.ts).
 * `words` and `substrings` are FTS5 query strings; `shortNeedles` are 1–2 character
 * terms in unsegmented scripts, which no trigram can find, matched with instr().
 */
export interface SearchPlan {
  readonly words: string | null;
  readonly substrings: string | null;
  readonly shortNeedles: readonly string[];
}


/**
 * Turns what a person typed into FTS5 queries that cannot fail to parse: every term is
 * a quoted string (so AND, NEAR, quotes, brackets and stars are plain text), terms are
 * ANDed, and word terms also match as prefixes. Null when nothing searchable is left.
 */
export function buildSearchPlan(query: string): SearchPlan | null {
  // Lower-cased only to drop repeats: both indexes fold case themselves.
  const terms = queryTerms(query, (term) => term.toLowerCase());
  if (terms.length === 0) return null;
  const words = terms.filter((term) => !isUnsegmented(term));
  const unsegmented = terms.filter(isUnsegmented);
  const long = unsegmented.filter((term) => [...term].length >= 3);
  return {
    words: words.length === 0 ? null : words.map((term) => `${ftsString(term)}*`).join(' AND '),
    substrings: long.length === 0 ? null : long.map(ftsString).join(' AND '),
    shortNeedles: unsegmented.filter((term) => [...term].length < 3),
  };
}

function ftsString(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

function searchSql(plan: SearchPlan): string {
  const sources: string[] = [];
  if (plan.words !== null) sources.push('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?');
  if (plan.substrings !== null) sources.push('SELECT rowid FROM messages_trigram WHERE messages_trigram MATCH ?');
  // Start from the index matches (CROSS JOIN fixes the order): the planner otherwise tends to
  // walk every message of the member's rooms. Only short needles alone need that walk.
  const from = sources.length === 0 ? 'messages m' : `(${sources.join(' INTERSECT ')}) AS hit CROSS JOIN messages m ON m.pk = hit.rowid`;
  const needles = plan.shortNeedles.length === 0 ? '' : 'AND NOT EXISTS (SELECT 1 FROM json_each(?) WHERE instr(m.body, value) = 0)';
  return `SELECT m.*, r.name AS room_name FROM ${from}
    JOIN memberships mb ON mb.room_id = m.room_id AND mb.user_id = ?
    JOIN rooms r ON r.id = m.room_id
    WHERE m.deleted_at IS NULL ${needles}
    ORDER BY m.created_at DESC, m.pk DESC LIMIT ?`;
}

/** In the order searchSql's placeholders appear. */
function searchParams(plan: SearchPlan, userId: string, limit: number): SQLInputValue[] {
  const params: SQLInputValue[] = [];
  if (plan.words !== null) params.push(plan.words);
  if (plan.substrings !== null) params.push(plan.substrings);
  params.push(userId);
  if (plan.shortNeedles.length > 0) params.push(JSON.stringify(plan.shortNeedles));
  params.push(limit);
  return params;
}
