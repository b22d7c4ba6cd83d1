import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';

/** How long a stream of several replicas may take to elect a leader before its requests fail. */
const STREAM_ELECTION_MS = 15_000;

/**
 * A stream of several replicas answers nothing until its replicas have elected a leader: just
 * after it was created, or after its leader's server went; and a cluster answers 503 "JetStream
 * system temporarily unavailable" until its servers have elected a meta leader, as when a process
 * starts beside a cluster that is still forming. A cluster whose meta leader is elected but which
 * has not yet heard from all its servers (or has lost one for a moment) refuses to place a
 * stream's replicas: "no suitable peers for placement, peer offline" (error code 10005). Within
 * STREAM_ELECTION_MS, a request that timed out or was answered so is tried again; anything else is
 * final (a cluster with too few servers for the replicas says 10005 for good, after the window).
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

/** JSClusterNoPeersErrF in nats-server: no servers online to place the replicas on, yet. */
const NO_PEERS_FOR_PLACEMENT = 10005;

function isElecting(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  return error instanceof JetStreamApiError && (error.status === 503 || error.code === NO_PEERS_FOR_PLACEMENT);
}

export function backoffMs(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 1_000);
}
