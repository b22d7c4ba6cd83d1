/**
 * Exponential back-off with jitter, shared by the realtime reconnects and the send
 * queue's retries: doubling from `firstMs`, capped at `maxMs`, spread ±20 % so that
 * many clients cut off together do not come back in step.
 */

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** The wait before retry `attempt` (0-based). */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(attempt, 10));
  return Math.min(backoff.maxMs, Math.round(base * (0.8 + 0.4 * random())));
}
