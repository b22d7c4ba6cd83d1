import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';

/** How long a stream of several replicas may take to elect a leader before its requests fail. */
const STREAM_ELECTION_MS = 15_000;

/**
 * A stream of several replicas answers nothing until its replicas have elected a leader: just
 * after it was created, or after its leader's server went; and a cluster answers 503 "JetStream
 * system temporarily unavailable" until its servers have elected a meta leader, as when a process
 * starts beside a cluster that is still forming. Within STREAM_ELECTION_MS, a request that timed
 * out or was answered 503 is tried again; anything else is final.
 */
export async function whileElecting<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + STREAM_ELECTION_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (!isElecting(error) || Date.now() > deadline) throw error;
      await sleep(backoffMs(attempt));
    }
  }
}

function isElecting(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof JetStreamApiError && error.status === 503);
}

export function backoffMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 1_000);
}
