import { EVENT_VERSION } from '../domain/events.ts';
import { newId } from '../ids.ts';
import type { Store, StoreTx } from './store.ts';

/** Bulk messages written straight into a store, for tests and benchmarks that need many quickly. */
export interface SeedMessages {
  readonly roomIds: readonly string[];
  readonly authorIds: readonly string[];
  readonly count: number;
  /** Message i's body and clientMessageId. */
  readonly body: (i: number) => string;
  readonly clientMessageId: (i: number) => string;
  readonly at: string;
}

const BATCH = 1_000;

/**
 * `count` messages round-robin over the rooms and authors, each with its message.created event,
 * and the mix the copy tests and benchmarks share: one in 100 edited, one in 100 deleted, one in 50
 * boosted. In transactions of a thousand.
 */
export async function seedMessages(store: Store, seed: SeedMessages): Promise<void> {
  for (let start = 0; start < seed.count; start += BATCH) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(start + BATCH, seed.count); i++) await seedMessage(tx, seed, i);
    });
  }
}

async function seedMessage(tx: StoreTx, seed: SeedMessages, i: number): Promise<void> {
  const roomId = seed.roomIds[i % seed.roomIds.length]!;
  const authorId = seed.authorIds[i % seed.authorIds.length]!;
  const { at } = seed;
  const seq = await tx.nextSeq(roomId);
  const body = seed.body(i);
  const message = await tx.insertMessage({
    id: newId(),
    roomId,
    seq,
    authorId,
    clientMessageId: seed.clientMessageId(i),
    body,
    mentions: [],
    sound: null,
    file: null,
    createdAt: at,
  });
  await tx.appendEvent({ type: 'message.created', message, v: EVENT_VERSION, roomId, seq, at });
  if (i % 100 === 1) await tx.updateMessageBody(message.id, `${body} (edited)`, [], at);
  if (i % 100 === 2) await tx.markMessageDeleted(message.id, at);
  if (i % 50 === 3) await tx.insertBoost({ id: newId(), messageId: message.id, authorId, content: '👍', createdAt: at });
}
