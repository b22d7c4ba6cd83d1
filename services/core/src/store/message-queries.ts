import type { Boost, Message, SearchHit } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { found, messageNotFound } from './refusals.ts';
import { type BoostRow, type MessageRow, messageColumns, toBoost, toMessage } from './rows.ts';
import type { Conn, QueryTable } from './sql-conn.ts';
import type { MessagePage, NewMessage } from './store.ts';

const MESSAGE = messageColumns();

/** Messages, their boosts, and search over them (the dialect's search module writes the statement). */
export const messageQueries = {
  async getMessage(id: string): Promise<Message | null> {
    return oneMessage(this.sql, await this.sql.row<MessageRow>(`SELECT ${MESSAGE} FROM messages WHERE id = ?`, id));
  },

  async getMessageByClientId(roomId: string, authorId: string, clientMessageId: string): Promise<Message | null> {
    const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND author_id = ? AND client_message_id = ?`;
    return oneMessage(this.sql, await this.sql.row<MessageRow>(sql, roomId, authorId, clientMessageId));
  },

  async listMessages(roomId: string, page: MessagePage): Promise<Message[]> {
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    if (page.after !== undefined) {
      const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND seq > ? AND seq < ? ORDER BY seq LIMIT ?`;
      return withBoosts(this.sql, await this.sql.rows<MessageRow>(sql, roomId, page.after, before, page.limit));
    }
    // The newest page: take the last `limit` before the bound, then hand them back oldest first.
    const sql = `SELECT ${MESSAGE} FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`;
    return withBoosts(this.sql, (await this.sql.rows<MessageRow>(sql, roomId, before, page.limit)).reverse());
  },

  async insertMessage(message: NewMessage): Promise<Message> {
    const { vectorColumn, buildVector } = this.sql.dialect.search;
    const [column, value] = vectorColumn === null ? ['', ''] : [`, ${vectorColumn}`, ', ?::tsvector'];
    const sql = `INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, mentions, sound, created_at${column})
      VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?${value}) ON CONFLICT DO NOTHING RETURNING ${MESSAGE}`;
    const { id, roomId, seq, authorId, clientMessageId, body, sound, createdAt } = message;
    const params = [id, roomId, seq, authorId, clientMessageId, body, JSON.stringify(message.mentions), sound, createdAt];
    if (vectorColumn !== null) params.push(buildVector(body));
    const row = await this.sql.row<MessageRow>(sql, ...params);
    if (row === undefined) throw new HearthError('conflict', 'this message was already posted');
    return toMessage(row, []);
  },

  async updateMessageBody(id: string, body: string, mentions: readonly string[], editedAt: string): Promise<Message> {
    const { vectorColumn, buildVector } = this.sql.dialect.search;
    const vector = vectorColumn === null ? '' : `, ${vectorColumn} = ?::tsvector`;
    const sql = `UPDATE messages SET body = ?, mentions = ?::jsonb, edited_at = ?${vector} WHERE id = ? RETURNING ${MESSAGE}`;
    const params = vectorColumn === null ? [id] : [buildVector(body), id];
    const row = await this.sql.row<MessageRow>(sql, body, JSON.stringify(mentions), editedAt, ...params);
    return boosted(this.sql, found(row, messageNotFound(id)));
  },

  async markMessageDeleted(id: string, deletedAt: string): Promise<Message> {
    // Mentions and sound go with the body: a deleted message keeps no trace of what it said.
    const { vectorColumn } = this.sql.dialect.search;
    const sql = `UPDATE messages SET body = '', mentions = '[]', sound = NULL${vectorColumn === null ? '' : `, ${vectorColumn} = ''`},
      deleted_at = coalesce(deleted_at, ?) WHERE id = ? RETURNING ${MESSAGE}`;
    const row = await this.sql.row<MessageRow>(sql, deletedAt, id);
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
  const { inArray, boostOrder } = sql.dialect;
  const query = `SELECT * FROM boosts WHERE ${inArray('message_id')} ORDER BY created_at, ${boostOrder}`;
  for (const row of await sql.rows<BoostRow>(
    query,
    messages.map((message) => message.id),
  )) {
    const list = byMessage.get(row.message_id) ?? [];
    list.push(toBoost(row));
    byMessage.set(row.message_id, list);
  }
  return byMessage;
}
