import { HearthError } from '../errors.ts';
import type { Ephemeral } from './ephemeral.ts';

/**
 * Counts one more under `key` in a fixed one-minute window (shared by every process through the
 * Ephemeral store) and refuses past `perMinute` with 429 rate_limited and when to retry.
 */
export async function limitRate(ephemeral: Ephemeral, key: string, perMinute: number): Promise<void> {
  const window = await ephemeral.hit(`rate:${key}`, 60_000);
  if (window.count > perMinute) {
    const retryAfter = Math.max(1, Math.ceil(window.resetMs / 1000));
    throw new HearthError('rate_limited', `too many requests; try again in ${retryAfter} s`, { retryAfter });
  }
}
