/** Exponential back-off with jitter, shared by the informer, the work queue and the leader elector. */
export interface BackoffPolicy {
  /** The delay after the first failure. */
  readonly baseMs: number;
  /** No delay exceeds this. */
  readonly capMs: number;
  /** Spread as a fraction of the delay: 0.2 draws from [0.8·d, 1.2·d] (then capped). */
  readonly jitter: number;
}

/** The delay before retry number `attempt` (1 for the first failure): base·2^(attempt−1), jittered, capped. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 52);
  const delay = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const jittered = delay * (1 + policy.jitter * (2 * random() - 1));
  return Math.round(Math.min(policy.capMs, Math.max(0, jittered)));
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
