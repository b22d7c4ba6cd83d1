import type { RoomEvent } from '../domain/events.ts';
import { fromJson } from './rows.ts';
import type { QueryTable } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import type { OutboxBacklog, OutboxEntry } from './store.ts';

type EventBody = string | RoomEvent;

const UNPUBLISHED = (d: Dialect) => `SELECT o.id, e.body FROM outbox o JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq
  WHERE ${d.outboxWaiting} ORDER BY o.id LIMIT ?`;
const BACKLOG = (d: Dialect) => `SELECT count(*) AS events, min(e.body->>'at') AS oldest_at FROM outbox o
  JOIN room_events e ON e.room_id = o.room_id AND e.seq = o.seq WHERE ${d.outboxWaiting}`;
const PUBLISHED = (d: Dialect) => `DELETE FROM outbox WHERE ${d.inArray('id')}`;

/** Each room's event log, and the outbox of events not yet published to the bus. */
export const eventQueries = {
  /** Also records lastMessageSeq for message.created. */
  async appendEvent(event: RoomEvent): Promise<void> {
    const { roomId, seq, type } = event;
    const body = JSON.stringify(event);
    const { appendEvent, appendMessageEvent } = this.sql.dialect;
    for (const statement of type === 'message.created' ? appendMessageEvent : appendEvent) {
      await this.sql.run(statement.sql, ...statement.params(roomId, seq, type, body));
    }
  },

  async eventsSince(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    const sql = 'SELECT body FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?';
    return (await this.sql.rows<{ body: EventBody }>(sql, roomId, afterSeq, limit)).map((row) => fromJson(row.body));
  },

  async unpublishedEvents(limit: number): Promise<OutboxEntry[]> {
    return (await this.sql.rows<{ id: number; body: EventBody }>(this.sql.statement(UNPUBLISHED), limit)).map((row) => ({
      id: row.id,
      event: fromJson(row.body),
    }));
  },

  async outboxBacklog(): Promise<OutboxBacklog> {
    const row = await this.sql.row<{ events: number; oldest_at: string | null }>(this.sql.statement(BACKLOG));
    return { events: row?.events ?? 0, oldestAt: row?.oldest_at ?? null };
  },

  async markPublished(outboxIds: readonly number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    // The room's event log keeps the event; the outbox row has done its job, so it goes.
    await this.sql.run(this.sql.statement(PUBLISHED), outboxIds);
  },
} satisfies QueryTable;
