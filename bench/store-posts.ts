import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres } from '@hearth/harness';
import { EVENT_VERSION, createStore, newId, type Store } from '@hearth/core';
import { round, sleep } from './common.ts';

/**
 * The store alone under the post path: POSTERS concurrent closed-loop posters run the
 * transaction messaging runs for a post (handlers/messages.ts: the author, room and
 * membership reads, the room lock, the retry check, the sequence, the message, its event
 * and outbox row, the read marker), while a relay publishes the outbox, for SECONDS per
 * store. No HTTP, bus or other process: on a busy machine this shows what a change to the
 * store costs far more steadily than post-throughput.ts. Run: node bench/store-posts.ts.
 */

const POSTERS = Number(process.env['BENCH_POSTERS'] ?? 16);
const SECONDS = Number(process.env['BENCH_STORE_SECONDS'] ?? 8);
const AT = '2025-01-01T00:00:00.000Z';

async function seed(store: Store): Promise<{ userIds: string[]; roomId: string }> {
  return store.transaction(async (tx) => {
    const userIds: string[] = [];
    const creator = await tx.insertUser({ id: newId(), name: 'u0', email: null, role: 'member', passwordHash: null, createdAt: AT });
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'general', createdBy: creator.id, createdAt: AT, directKey: null });
    for (let i = 0; i < 8; i++) {
      const user = i === 0 ? creator : await tx.insertUser({ id: newId(), name: `u${i}`, email: null, role: 'member', passwordHash: null, createdAt: AT });
      await tx.putMembership({ roomId: room.id, userId: user.id, involvement: 'mentions', readSeq: 0, createdAt: AT });
      userIds.push(user.id);
    }
    return { userIds, roomId: room.id };
  });
}

async function post(store: Store, roomId: string, authorId: string): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.getUser(authorId);
    const room = await tx.getRoom(roomId);
    const membership = await tx.getMembership(roomId, authorId);
    await tx.lockRoom(roomId);
    const clientMessageId = newId();
    await tx.getMessageByClientId(roomId, authorId, clientMessageId);
    const seq = await tx.nextSeq(roomId);
    const body = 'the quick brown fox jumps over the lazy dog while the team chats along';
    const at = new Date().toISOString();
    const message = await tx.insertMessage({ id: newId(), roomId, seq, authorId, clientMessageId, body, mentions: [], sound: null, file: null, createdAt: at });
    await tx.appendEvent({ type: 'message.created', message, v: EVENT_VERSION, roomId, seq, at });
    if (room !== null && membership !== null) await tx.putMembership({ ...membership, readSeq: seq });
  });
}

/** Posts a second, and this process's CPU time a post in µs (the store's own code and, for SQLite, the database). */
async function measure(store: Store): Promise<{ perSecond: number; cpuMicrosPerPost: number }> {
  const { userIds, roomId } = await seed(store);
  let posts = 0;
  let running = true;
  const relay = (async () => {
    while (running) {
      const entries = await store.unpublishedEvents(100);
      if (entries.length > 0) await store.transaction((tx) => tx.markPublished(entries.map((e) => e.id)));
      else await sleep(5);
    }
  })();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: POSTERS }, async (_, i) => {
      while (performance.now() < deadline) {
        await post(store, roomId, userIds[i % userIds.length]!);
        posts++;
      }
    }),
  );
  const perSecond = posts / ((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  running = false;
  await relay;
  return { perSecond: round(perSecond, 1), cpuMicrosPerPost: Math.round((used.user + used.system) / posts) };
}

const dir = await mkdtemp(path.join(tmpdir(), 'hearth-store-posts-'));
const postgres = await startPostgres();
try {
  const sqlite = await createStore({ type: 'sqlite', path: path.join(dir, 'hearth.db') });
  const sqliteRun = await measure(sqlite).finally(() => sqlite.close());
  const pg = await createStore({ type: 'postgres', url: await postgres.createDatabase('store_posts'), poolSize: 10 });
  const postgresRun = await measure(pg).finally(() => pg.close());
  console.log(JSON.stringify({ posters: POSTERS, seconds: SECONDS, sqlite: sqliteRun, postgres: postgresRun }));
} finally {
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
