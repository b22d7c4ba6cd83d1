import { LOCK_ROOM } from './room-queries.ts';
import { type MembershipRow, type RoomRow, type UserRow, toMembership, toRoom, toUser } from './rows.ts';
import type { QueryTable } from './sql-conn.ts';
import type { PostContext } from './store.ts';

/** Each table's columns a post reads, the row's key first: a join that found nothing leaves it null. */
const USER = ['id', 'name', 'email', 'role', 'active', 'created_at', 'avatar'] as const satisfies readonly (keyof UserRow)[];
const ROOM = ['id', 'kind', 'name', 'created_by', 'created_at', 'last_seq', 'last_message_seq'] as const satisfies readonly (keyof RoomRow)[];
const MEMBERSHIP = ['room_id', 'user_id', 'involvement', 'read_seq', 'created_at'] as const satisfies readonly (keyof MembershipRow)[];

const aliased = (alias: string, columns: readonly string[]): string => columns.map((column) => `${alias}.${column} AS ${alias}_${column}`).join(', ');

/** One row whatever exists: each left join finds its one row by key, or leaves its columns null. */
const POST_CONTEXT = `SELECT ${aliased('u', USER)}, ${aliased('r', ROOM)}, ${aliased('mb', MEMBERSHIP)},
    (SELECT m.id FROM messages m WHERE m.room_id = ? AND m.author_id = ? AND m.client_message_id = ?) AS earlier_id
  FROM (SELECT 1) AS one
    LEFT JOIN users u ON u.id = ?
    LEFT JOIN rooms r ON r.id = ?
    LEFT JOIN memberships mb ON mb.room_id = ? AND mb.user_id = ?`;

type ContextRow = Record<string, unknown> & { earlier_id: string | null };

/** The reads a post starts with: under the room's lock in a transaction, or without one for a post written in one statement. */
export const postQueries = {
  async lockRoomForPost(roomId: string, authorId: string, clientMessageId: string): Promise<PostContext> {
    // PostgreSQL reads what committed before each statement began (READ COMMITTED): the lock
    // must be taken by a statement of its own, so that the reads after it see what a post that
    // held it before committed. SQLite runs one transaction at a time and needs no lock.
    if (this.sql.dialect.forUpdate !== '') await this.sql.row(this.sql.statement(LOCK_ROOM), roomId);
    return this.readPostContext(roomId, authorId, clientMessageId);
  },

  async readPostContext(roomId: string, authorId: string, clientMessageId: string): Promise<PostContext> {
    const row = await this.sql.row<ContextRow>(POST_CONTEXT, roomId, authorId, clientMessageId, authorId, roomId, roomId, authorId);
    if (row === undefined) throw new Error('the post context query returned no row');
    const user = joined<Omit<UserRow, 'password_hash'>>(row, 'u', USER);
    const room = joined<RoomRow>(row, 'r', ROOM);
    const membership = joined<MembershipRow>(row, 'mb', MEMBERSHIP);
    return {
      author: user === null ? null : toUser(user),
      room: room === null ? null : toRoom(room),
      membership: membership === null ? null : toMembership(membership),
      // A retry is rare: only then are the earlier message and its boosts read.
      earlier: row.earlier_id === null ? null : await this.getMessage(row.earlier_id),
    };
  },
} satisfies QueryTable;

/** The row of the table joined as `alias`, or null when the join found none. */
function joined<T>(row: ContextRow, alias: string, columns: readonly string[]): T | null {
  if (row[`${alias}_${columns[0]}`] === null) return null;
  return Object.fromEntries(columns.map((column) => [column, row[`${alias}_${column}`]])) as T;
}
