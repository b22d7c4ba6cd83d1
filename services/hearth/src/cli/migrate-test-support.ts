import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createStore, newId, type StoreConfig, type StoreTx } from '@hearth/core';
import { seedMessages } from '@hearth/core/testing';

/**
 * A store for hearth migrate's tests: people, rooms, a bot with a token, audit entries, and
 * messages with edits, deletions and boosts, written through the Store (the API would take
 * minutes for the thousands a copy must be long enough to be killed in).
 */
export async function seedStore(config: StoreConfig, messages: number, rooms = 5): Promise<void> {
  const store = await createStore(config);
  try {
    const { people, roomIds } = await store.transaction((tx) => seedPeopleAndRooms(tx, rooms));
    await seedMessages(store, {
      roomIds,
      authorIds: people,
      count: messages,
      body: (i) => `message ${i}: café 東京`,
      clientMessageId: (i) => `c${i}`,
      at: AT,
    });
  } finally {
    await store.close();
  }
}

const AT = '2026-01-01T00:00:00.000Z';

async function seedPeopleAndRooms(tx: StoreTx, rooms: number): Promise<{ people: string[]; roomIds: string[] }> {
  await tx.insertAccount({ id: newId(), name: 'Migrate', joinCode: 'migrate', createdAt: AT });
  const people: string[] = [];
  for (let i = 0; i < 6; i++) {
    const role = i === 0 ? 'administrator' : 'member';
    people.push((await tx.insertUser({ id: newId(), name: `person ${i}`, email: `p${i}@example.com`, role, passwordHash: 'hash', createdAt: AT })).id);
  }
  const bot = await tx.insertUser({ id: newId(), name: 'bot', email: null, role: 'bot', passwordHash: null, createdAt: AT });
  await tx.insertBot({ userId: bot.id, webhookUrl: 'https://hooks.example.com/a', createdBy: people[0]!, createdAt: AT });
  await tx.insertApiToken(
    { id: newId(), userId: bot.id, name: 'ci', roomIds: [], createdBy: people[0]!, createdAt: AT, revokedAt: null, lastUsedAt: null },
    'secret',
  );
  const roomIds: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: `room ${r}`, createdBy: people[0]!, createdAt: AT, directKey: null });
    roomIds.push(room.id);
    for (const person of people) await tx.putMembership({ roomId: room.id, userId: person, involvement: 'mentions', readSeq: 0, createdAt: AT });
  }
  for (let a = 0; a < 20; a++) {
    await tx.appendAudit({
      at: AT,
      actorId: people[0]!,
      action: 'user.role_changed',
      targetType: 'user',
      targetId: people[a % 6]!,
      detail: { n: a },
      origin: null,
    });
  }
  return { people, roomIds };
}

const HEARTH = path.resolve(import.meta.dirname, '../../bin/hearth');

/** `hearth migrate` running, with its progress lines as they come, to be killed part way. */
export function startMigrate(env: Readonly<Record<string, string>>): { child: ChildProcess; progress: AsyncIterable<string> } {
  const child = spawn(HEARTH, ['migrate'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, progress: createInterface({ input: child.stdout! }) };
}
