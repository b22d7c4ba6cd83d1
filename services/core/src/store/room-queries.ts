import { directKey, isUnread } from '../domain/rules.ts';
import type { Involvement, Membership, Room, RoomForMember, RoomKind, UnreadCounts } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { found, roomNotFound } from './refusals.ts';
import { type MembershipRow, type RoomRow, toMembership, toRoom } from './rows.ts';
import type { Conn, QueryTable } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import type { StoreTx } from './store.ts';

const ROOMS_OF_MEMBER = (d: Dialect) => `SELECT r.*, mb.involvement, mb.read_seq FROM memberships mb JOIN rooms r ON r.id = mb.room_id
  WHERE mb.user_id = ? ORDER BY r.name IS NULL, ${d.foldCase('r.name')}, r.id`;
/**
 * Unread messages (others', not deleted, after the read marker) and those of them that mention
 * the member, each counted up to UNREAD_COUNT_CAP: a room unread for months costs no more to list.
 */
const unreadOf = (condition: string): string => `(SELECT count(*) FROM (SELECT 1 FROM messages m
    WHERE m.room_id = mb.room_id AND m.seq > mb.read_seq AND m.deleted_at IS NULL AND m.author_id <> mb.user_id${condition} LIMIT ${UNREAD_COUNT_CAP}) AS unread)`;
const UNREAD_COUNTS = (d: Dialect) => `SELECT mb.room_id, mb.involvement,
    ${unreadOf('')} AS unread_count, ${unreadOf(` AND ${d.jsonArrayHas('m.mentions')}`)} AS mention_count
  FROM memberships mb WHERE mb.user_id = ? AND (?::text IS NULL OR mb.room_id = ?::text)`;
const OPEN_ROOMS = (d: Dialect) => `SELECT * FROM rooms WHERE kind = 'open' ORDER BY ${d.foldCase('name')} NULLS FIRST, id`;
/** Row locks are PostgreSQL's: there it holds the room until the transaction ends; SQLite's finds the room. */
export const LOCK_ROOM = (d: Dialect) => `SELECT id FROM rooms WHERE id = ? ${d.forUpdate}`;

/** The most unread messages (and mentions) a room's count goes up to; clients show "99+" from it. */
export const UNREAD_COUNT_CAP = 100;

/** Rooms and their memberships. */
export const roomQueries = {
  async getRoom(id: string): Promise<Room | null> {
    const row = await this.sql.row<RoomRow>('SELECT * FROM rooms WHERE id = ?', id);
    return row === undefined ? null : toRoom(row);
  },

  async listRoomsForMember(userId: string): Promise<RoomForMember[]> {
    const rows = await this.sql.rows<RoomRow & { involvement: Involvement; read_seq: number }>(this.sql.statement(ROOMS_OF_MEMBER), userId);
    const members = await memberIdsOfRoomsOf(this.sql, userId);
    return rows.map((row) => {
      const room = toRoom(row);
      const membership = { involvement: row.involvement, readSeq: row.read_seq };
      return { ...room, ...membership, unread: isUnread(room, membership), memberIds: members.get(row.id) ?? [] };
    });
  },

  async unreadCounts(userId: string, roomId?: string): Promise<Map<string, UnreadCounts>> {
    type Row = { room_id: string; involvement: Involvement; unread_count: number | string; mention_count: number | string };
    const only = roomId ?? null;
    const rows = await this.sql.rows<Row>(this.sql.statement(UNREAD_COUNTS), userId, userId, only, only);
    // An invisible room is never unread, and counts nothing.
    const counted = (row: Row, count: number | string): number => (row.involvement === 'invisible' ? 0 : Number(count));
    return new Map(rows.map((row) => [row.room_id, { unreadCount: counted(row, row.unread_count), mentionCount: counted(row, row.mention_count) }]));
  },

  async listOpenRooms(): Promise<Room[]> {
    return (await this.sql.rows<RoomRow>(this.sql.statement(OPEN_ROOMS))).map(toRoom);
  },

  async findDirectRoom(userIds: readonly string[]): Promise<Room | null> {
    if (userIds.length === 0) return null;
    const row = await this.sql.row<RoomRow>(`SELECT * FROM rooms WHERE direct_key = ? AND kind = 'direct'`, directKey(userIds));
    return row === undefined ? null : toRoom(row);
  },

  async insertRoom(room: Parameters<StoreTx['insertRoom']>[0]): Promise<Room> {
    const sql = `INSERT INTO rooms (id, kind, name, created_by, created_at, direct_key) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (direct_key) DO NOTHING RETURNING *`;
    const row = await this.sql.row<RoomRow>(sql, room.id, room.kind, room.name, room.createdBy, room.createdAt, room.directKey);
    if (row === undefined) throw new HearthError('conflict', 'a direct room for these people already exists');
    return toRoom(row);
  },

  async updateRoom(id: string, patch: { readonly name?: string | null; readonly kind?: RoomKind }): Promise<Room> {
    // name may be set to null, so "leave it" needs its own flag instead of coalesce.
    const sql = `UPDATE rooms SET name = CASE WHEN ?::boolean THEN ?::text ELSE name END, kind = coalesce(?::text, kind)
      WHERE id = ? RETURNING *`;
    const row = await this.sql.row<RoomRow>(sql, patch.name !== undefined, patch.name ?? null, patch.kind ?? null, id);
    return toRoom(found(row, roomNotFound(id)));
  },

  /** The row lock the update takes is held to the end of the transaction: concurrent posts to a room queue here. */
  async nextSeq(roomId: string): Promise<number> {
    const row = await this.sql.row<{ last_seq: number }>('UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq', roomId);
    return found(row, roomNotFound(roomId)).last_seq;
  },

  /** SQLite runs one transaction at a time (BEGIN IMMEDIATE, one connection), so there only existence is left to check. */
  async lockRoom(roomId: string): Promise<void> {
    found(await this.sql.row<{ id: string }>(this.sql.statement(LOCK_ROOM), roomId), roomNotFound(roomId));
  },

  async getMembership(roomId: string, userId: string): Promise<Membership | null> {
    const row = await this.sql.row<MembershipRow>('SELECT * FROM memberships WHERE room_id = ? AND user_id = ?', roomId, userId);
    return row === undefined ? null : toMembership(row);
  },

  async listMembers(roomId: string): Promise<Membership[]> {
    const sql = 'SELECT * FROM memberships WHERE room_id = ? ORDER BY created_at, user_id';
    return (await this.sql.rows<MembershipRow>(sql, roomId)).map(toMembership);
  },

  async putMembership(membership: Membership): Promise<Membership> {
    const sql = `INSERT INTO memberships (room_id, user_id, involvement, read_seq, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (room_id, user_id) DO UPDATE SET involvement = excluded.involvement, read_seq = excluded.read_seq
      RETURNING *`;
    const { roomId, userId, involvement, readSeq, createdAt } = membership;
    const row = await this.sql.row<MembershipRow>(sql, roomId, userId, involvement, readSeq, createdAt);
    return toMembership(found(row, roomNotFound(roomId)));
  },

  // A plain UPDATE rather than putMembership's upsert: on SQLite an upsert takes a statement
  // journal, whose savepoint makes the full-text indexes write out a post's terms then and again
  // at its commit (about 150 µs a post: bench/README.md, "Embedded posting, one sync for many posts").
  async markReadUpTo(roomId: string, userId: string, seq: number): Promise<void> {
    await this.sql.run('UPDATE memberships SET read_seq = ? WHERE room_id = ? AND user_id = ? AND read_seq < ?', seq, roomId, userId, seq);
  },

  async deleteMembership(roomId: string, userId: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM memberships WHERE room_id = ? AND user_id = ?', roomId, userId)) > 0;
  },
} satisfies QueryTable;

/** Member ids of every room `userId` belongs to, each list in joining order. */
async function memberIdsOfRoomsOf(sql: Conn, userId: string): Promise<Map<string, string[]>> {
  const query = `SELECT other.room_id, other.user_id FROM memberships mine
    JOIN memberships other ON other.room_id = mine.room_id
    WHERE mine.user_id = ? ORDER BY other.created_at, other.user_id`;
  const members = new Map<string, string[]>();
  for (const row of await sql.rows<{ room_id: string; user_id: string }>(query, userId)) {
    const list = members.get(row.room_id) ?? [];
    list.push(row.user_id);
    members.set(row.room_id, list);
  }
  return members;
}
