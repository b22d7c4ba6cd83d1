import type { HearthClient } from './client.ts';
import type { Message, RoomEvent } from './protocol.ts';

/** Small things several end-to-end tests need. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** [from, from+1, …, to]. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export interface Poster {
  readonly client: HearthClient;
  readonly count: number;
  /** Prefix of the clientMessageIds and bodies, unique per poster. */
  readonly prefix: string;
}

/** Each poster posts its messages one after another (waiting for each acknowledgement); the posters run at once. */
export async function postConcurrently(roomId: string, posters: readonly Poster[]): Promise<Message[]> {
  const acknowledged: Message[] = [];
  await Promise.all(
    posters.map(async ({ client, count, prefix }) => {
      for (let i = 1; i <= count; i++) {
        acknowledged.push(await client.post(roomId, `${prefix} says ${i}`, `${prefix}-${i}`));
      }
    }),
  );
  return acknowledged.sort((a, b) => a.seq - b.seq);
}

export function seqsOf(items: readonly { seq: number }[]): number[] {
  return items.map((item) => item.seq);
}

/** The message.created events' messages, in the order given. */
export function createdMessages(events: readonly RoomEvent[]): Message[] {
  return events.flatMap((event) => (event.type === 'message.created' ? [event.message] : []));
}
