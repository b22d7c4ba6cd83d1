/**
 * The chaos run's checker, in Jepsen's terms, as pure functions of what the clients saw and what
 * the store holds once the run is over:
 *   - lost = acknowledged − stored: a post answered 2xx that is not stored as it was answered;
 *   - unexpected = stored − attempted: a stored message no client ever sent;
 *   - per reader and room, against the stored seqs after the final drain: gaps (a stored seq the
 *     reader never received), duplicates (a seq received again) and reorderings (a seq received
 *     after a higher one, the first time).
 */

/** A post as the client sent it: every one attempted, whether or not an answer came. */
export interface Attempt {
  readonly clientMessageId: string;
  readonly body: string;
}

/** A message as the server answered it (acknowledged) or as it is stored. */
export interface Recorded extends Attempt {
  readonly id: string;
  readonly roomId: string;
  readonly seq: number;
}

export interface PostCounts {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly stored: number;
  /** Acknowledged posts not stored as acknowledged (same id, room, seq and body). */
  readonly lost: number;
  /** Stored messages with no attempt of that clientMessageId and body. */
  readonly unexpected: number;
  /** Stored messages beyond the first of their clientMessageId: a retry that was stored twice. */
  readonly storedDuplicates: number;
}

function sameMessage(a: Recorded, b: Recorded): boolean {
  return a.id === b.id && a.roomId === b.roomId && a.seq === b.seq && a.body === b.body && a.clientMessageId === b.clientMessageId;
}

/** lost, unexpected and stored duplicates of a run's posts. */
export function countPosts(attempted: readonly Attempt[], acknowledged: readonly Recorded[], stored: readonly Recorded[]): PostCounts {
  const storedById = new Map<string, Recorded>();
  let storedDuplicates = 0;
  for (const message of stored) {
    if (storedById.has(message.clientMessageId)) storedDuplicates += 1;
    else storedById.set(message.clientMessageId, message);
  }
  const lost = acknowledged.filter((ack) => {
    const found = storedById.get(ack.clientMessageId);
    return found === undefined || !sameMessage(found, ack);
  }).length;
  const attemptedBodies = new Map(attempted.map((attempt) => [attempt.clientMessageId, attempt.body]));
  const unexpected = stored.filter((message) => attemptedBodies.get(message.clientMessageId) !== message.body).length;
  return { attempted: attempted.length, acknowledged: acknowledged.length, stored: stored.length, lost, unexpected, storedDuplicates };
}

export interface DeliveryCounts {
  /** Stored seqs the reader never received. */
  readonly gaps: number;
  /** Events of a seq the reader had already received. */
  readonly duplicates: number;
  /** Events received the first time after an event of a higher seq. */
  readonly reorderings: number;
}

/** One reader's counts for one room: `received` in arrival order, `stored` the room's seqs in the store. */
export function countDelivery(received: readonly number[], stored: readonly number[]): DeliveryCounts {
  const seen = new Set<number>();
  let duplicates = 0;
  let reorderings = 0;
  let highest = Number.NEGATIVE_INFINITY;
  for (const seq of received) {
    if (seen.has(seq)) duplicates += 1;
    else if (seq < highest) reorderings += 1;
    seen.add(seq);
    highest = Math.max(highest, seq);
  }
  const gaps = stored.filter((seq) => !seen.has(seq)).length;
  return { gaps, duplicates, reorderings };
}

export const NO_ANOMALIES: DeliveryCounts = { gaps: 0, duplicates: 0, reorderings: 0 };

export function addDelivery(a: DeliveryCounts, b: DeliveryCounts): DeliveryCounts {
  return { gaps: a.gaps + b.gaps, duplicates: a.duplicates + b.duplicates, reorderings: a.reorderings + b.reorderings };
}

/** A reader's counts over every room: `received` and `stored` are seqs per room id. */
export function countReader(received: ReadonlyMap<string, readonly number[]>, stored: ReadonlyMap<string, readonly number[]>): DeliveryCounts {
  return [...stored].reduce((sum, [roomId, seqs]) => addDelivery(sum, countDelivery(received.get(roomId) ?? [], seqs)), NO_ANOMALIES);
}

/** Every count that must be zero, by name: the names of the non-zero ones say what the run found. */
export function nonZero(counts: Readonly<Record<string, number>>): string[] {
  return Object.entries(counts)
    .filter(([, value]) => value !== 0)
    .map(([name, value]) => `${name} ${value}`);
}
