import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import { EVENT_VERSION, type RoomEvent } from '../domain/events.ts';

/** A room event whose fields follow from (roomId, seq), a traceparent among them, so a test sees it cross the bus. */
export function roomEvent(roomId: string, seq: number): RoomEvent {
  return {
    v: EVENT_VERSION,
    type: 'message.deleted',
    messageId: `message-${seq}`,
    roomId,
    seq,
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
    traceparent: `00-${'0'.repeat(31)}1-${seq.toString(16).padStart(16, '0')}-01`,
  };
}

export function seqsOf(events: readonly RoomEvent[]): number[] {
  return events.map((event) => event.seq);
}

/** Polls `check` every `intervalMs` until it holds; fails the test once `timeoutMs` have passed. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** JetStream's refusal as nats-server words it: the HTTP-like status, its own error code, the description. */
export function jetStreamApiError(status: number, errCode: number, description: string): JetStreamApiError {
  return new JetStreamApiError({ code: status, err_code: errCode, description });
}
