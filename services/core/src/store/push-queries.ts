import type { Involvement, RoomKind } from '../domain/types.ts';
import type { PushSubscriptionRecord, PushTarget } from '../domain/push.ts';
import type { QueryTable } from './sql-conn.ts';

interface PushSubscriptionRow {
  endpoint: string;
  user_id: string;
  session_id: string;
  p256dh: string;
  auth: string;
  created_at: string;
}

interface PushTargetRow {
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  involvement: Involvement;
  room_kind: RoomKind;
}

const toSubscription = (row: PushSubscriptionRow): PushSubscriptionRecord => ({
  endpoint: row.endpoint,
  userId: row.user_id,
  sessionId: row.session_id,
  p256dh: row.p256dh,
  auth: row.auth,
  createdAt: row.created_at,
});

/*
 * Members whom no message is pushed to (`nothing`, `invisible`) are left out here, so the common
 * case — a room nobody has asked to be told of — costs one indexed read and an empty answer.
 */
const PUSH_TARGETS = `SELECT p.user_id, p.endpoint, p.p256dh, p.auth, m.involvement, r.kind AS room_kind
  FROM memberships m JOIN rooms r ON r.id = m.room_id JOIN push_subscriptions p ON p.user_id = m.user_id
  WHERE m.room_id = ? AND m.involvement IN ('mentions', 'everything') ORDER BY p.endpoint`;

/** Browsers' push subscriptions, and the keys the server keeps for itself (the VAPID pair). */
export const pushQueries = {
  async listPushTargets(roomId: string): Promise<PushTarget[]> {
    const rows = await this.sql.rows<PushTargetRow>(PUSH_TARGETS, roomId);
    return rows.map((row) => ({
      userId: row.user_id,
      endpoint: row.endpoint,
      p256dh: row.p256dh,
      auth: row.auth,
      involvement: row.involvement,
      roomKind: row.room_kind,
    }));
  },

  async listPushSubscriptionsOfUser(userId: string): Promise<PushSubscriptionRecord[]> {
    const rows = await this.sql.rows<PushSubscriptionRow>('SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY endpoint', userId);
    return rows.map(toSubscription);
  },

  async putPushSubscription(subscription: PushSubscriptionRecord): Promise<void> {
    // A browser subscribing again (new keys, another session, another person signed in) replaces its record.
    const sql = `INSERT INTO push_subscriptions (endpoint, user_id, session_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, session_id = excluded.session_id,
      p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`;
    const { endpoint, userId, sessionId, p256dh, auth, createdAt } = subscription;
    await this.sql.run(sql, endpoint, userId, sessionId, p256dh, auth, createdAt);
  },

  async deletePushSubscription(userId: string, endpoint: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?', userId, endpoint)) > 0;
  },

  async deletePushSubscriptionByEndpoint(endpoint: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM push_subscriptions WHERE endpoint = ?', endpoint)) > 0;
  },

  async getServerKey(name: string): Promise<string | null> {
    return (await this.sql.row<{ value: string }>('SELECT value FROM server_keys WHERE name = ?', name))?.value ?? null;
  },

  async keepServerKey(name: string, value: string, createdAt: string): Promise<string> {
    // The first process to keep a key wins; the others get the kept one back and use it.
    await this.sql.run('INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', name, value, createdAt);
    const kept = await this.sql.row<{ value: string }>('SELECT value FROM server_keys WHERE name = ?', name);
    if (kept === undefined) throw new Error(`the server key ${name} was neither kept nor found`);
    return kept.value;
  },
} satisfies QueryTable;
