import type { Boost, Message, SearchHit } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { found, messageNotFound } from './refusals.ts';
import { type BoostRow, type MessageRow, messageColumns, toBoost, toMessage } from './rows.ts';
import type { Conn, QueryTable } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import type { MessagePage, NewMessage } from './store.ts';

const MESSAGE = messageColumns();
const BY_ID = `SELECT ${MESSAGE} FROM messages WHERE id = ?`;
const BY_CLIENT_ID = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND author_id = ? AND client_message_id = ?`;
const PAGE_AFTER = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?`;
const PAGE_BEFORE = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`;

/** PostgreSQL writes the search lexemes beside the body; SQLite's triggers index it themselves. */
const vectorOf = (d: Dialect, sql: (column: string) => string): string => (d.search.vectorColumn === null ? '' : sql(d.search.vectorColumn));
const INSERT = (
  d: Dialect,
) => `INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, file, created_at${vectorOf(d, (c) => `, ${c}`)})
  VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?${vectorOf(d, () => ', ?::tsvector')}) ON CONFLICT DO NOTHING RETURNING ${MESSAGE}`;
const UPDATE_BODY = (d: Dialect) =>
  `UPDATE messages SET body = ?, mentions = ?::jsonb, edited_at = ?${vectorOf(d, (c) => `, ${c} = ?::tsvector`)} WHERE id = ? RETURNING ${MESSAGE}`;
const MARK_DELETED = (d: Dialect) => `UPDATE messages SET body = '', mentions = '[]', sound = NULL, file = NULL${vectorOf(d, (c) => `, ${c} = ''`)},
  deleted_at = coalesce(deleted_at, ?) WHERE id = ? RETURNING ${MESSAGE}`;
const BOOSTS_OF = (d: Dialect) => `SELECT * FROM boosts WHERE ${d.inArray('message_id')} ORDER BY created_at, ${d.boostOrder}`;

/** Messages, their boosts, and search over them (the dialect's search module writes the statement). */
export const messageQueries = {
  async getMessage(id: string): Promise<Message | null> {
    return oneMessage(this.sql, await this.sql.row<MessageRow>(BY_ID, id));
  },

  async getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> {
    return oneMessage(this.sql, await this.sql.row<MessageRow>(BY_CLIENT_ID, roomId, authorId, clientMessageId));
  },

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    if (page.after !== undefined) {
      return withBoosts(this.sql, await this.sql.rows<MessageRow>(PAGE_AFTER, roomId, page.after, before, page.limit));
    }
    // The newest page: take the last `limit` before the bound, then hand them back oldest first.
    return withBoosts(this.sql, (await this.sql.rows<MessageRow>(PAGE_BEFORE, roomId, before, page.limit)).reverse());
  },

  async insertMessage(message: NewMessage): Promise<Message> {
    const { vectorColumn, buildVector } = this.sql.dialect.search;
    const { id, roomId, seq, authorId, clientMessageId, body, sound, createdAt } = message;
    const file = message.file === null ? null : JSON.stringify(message.file);
    const params = [id, roomId, seq, authorId, clientMessageId, body, JSON.stringify(message.mentions), sound, file, createdAt];
    if (vectorColumn !== null) params.push(buildVector(body));
    const row = await this.sql.row<MessageRow>(this.sql.statement(INSERT), ...params);
    if (row === undefined) throw new HearthError('conflict', 'this message was already posted');
    return toMessage(row, []);
  },

  async updateMessageBody(id: string, body: string, mentions: readonly string[], editedAt: string): Promise<Message> {
    const { vectorColumn, buildVector } = this.sql.dialect.search;
    const params = vectorColumn === null ? [id] : [buildVector(body), id];
    const row = await this.sql.row<MessageRow>(this.sql.statement(UPDATE_BODY), body, JSON.stringify(mentions), editedAt, ...params);
    return boosted(this.sql, found(row, messageNotFound(id)));
  },

  async markMessageDeleted(id: string, deletedAt: string): Promise<Message> {
    // Mentions, sound and file go with the body: a deleted message keeps no trace of what it said.
    const row = await this.sql.row<MessageRow>(this.sql.statement(MARK_DELETED), deletedAt, id);
    return boosted(this.sql, found(row, messageNotFound(id)));
  },

  async getBoost(id: string): Promise<Boost | null> {
    const row = await this.sql.row<BoostRow>('SELECT * FROM boosts WHERE id = ?', id);
    return row === undefined ? null : toBoost(row);
  },

  async insertBoost(boost: Boost): Promise<Boost> {
    const sql = 'INSERT INTO boosts (id, message_id, author_id, content, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *';
    const row = await this.sql.row<BoostRow>(sql, boost.id, boost.messageId, boost.authorId, boost.content, boost.createdAt);
    return toBoost(found(row, messageNotFound(boost.messageId)));
  },

  async deleteBoost(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM boosts WHERE id = ?', id)) > 0;
  },

  async searchMessages(userId: string, query: string, limit: number): Promise<SearchHit[]> {
    const statement = limit <= 0 ? null : this.sql.dialect.search.buildSearch(userId, query, limit);
    if (statement === null) return [];
    const rows = await this.sql.rows<MessageRow & { room_name: string | null }>(statement.sql, ...statement.params);
    const boosts = await boostsOf(this.sql, rows);
    return rows.map((row) => ({ message: toMessage(row, boosts.get(row.id) ?? []), roomName: row.room_name }));
  },
} satisfies QueryTable;

async function oneMessage(sql: Conn, row: MessageRow | undefined): Promise<Message | null> {
  return row === undefined ? null : boosted(sql, row);
}

async function boosted(sql: Conn, row: MessageRow): Promise<Message> {
  return toMessage(row, (await boostsOf(sql, [row])).get(row.id) ?? []);
}

async function withBoosts(sql: Conn, rows: readonly MessageRow[]): Promise<Message[]> {
  const boosts = await boostsOf(sql, rows);
  return rows.map((row) => toMessage(row, boosts.get(row.id) ?? []));
}

/** The boosts of several messages in one query, each list oldest first. */
async function boostsOf(sql: Conn, messages: readonly MessageRow[]): Promise<Map<string, Boost[]>> {
  const byMessage = new Map<string, Boost[]>();
  if (messages.length === 0) return byMessage;
  const rows = await sql.rows<BoostRow>(
    sql.statement(BOOSTS_OF),
    messages.map((message) => message.id),
  );
  for (const row of rows) {
    const list = byMessage.get(row.message_id) ?? [];
    list.push(toBoost(row));
    byMessage.set(row.message_id, list);
  }
  return byMessage;
}
