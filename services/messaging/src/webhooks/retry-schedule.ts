/** How a failed webhook delivery is retried: exponential back-off with jitter, then given up. */
export interface RetrySchedule {
  /** The wait after the first failed attempt, before jitter. */
  readonly baseDelayMs: number;
  /** Each further failure multiplies the wait by this. */
  readonly factor: number;
  /** No wait is longer than this, before jitter. */
  readonly maxDelayMs: number;
  /** After this many failed attempts the delivery is given up. */
  readonly maxAttempts: number;
}

/** 8 attempts over two to four minutes: 2 s, 4 s, 8 s … 128 s between them (each 50–100 % of that). */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { baseDelayMs: 2_000, factor: 2, maxDelayMs: 5 * 60_000, maxAttempts: 8 };

/**
 * The wait before the next attempt after `attempts` attempts have failed, or null to give up.
 * Equal jitter (half fixed, half random) keeps the back-off growing while spreading out the
 * retries of many deliveries that failed together; `random` is in [0, 1).
 */
export function retryDelayMs(attempts: number, random: number, schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): number | null {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer (got ${attempts})`);
  if (attempts >= schedule.maxAttempts) return null;
  const delay = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * schedule.factor ** (attempts - 1));
  return Math.round(delay / 2 + (delay / 2) * random);
}
