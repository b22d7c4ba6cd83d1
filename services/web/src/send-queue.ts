import { backoffDelay, type Backoff } from './backoff.ts';

/**
 * Sends items one at a time per lane, in the order they were queued. A person who
 * types quickly must not have their posts overtake each other on the way (the server
 * numbers messages as they arrive), so a lane's next item waits until the one before
 * is sent, or has failed for good after its retries; then the rest still go, in order.
 */

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly backoff: Backoff;
}

export type FailureDecision =
  | { readonly kind: 'retry'; readonly afterMs: number }
  /** The server said to come back later (writes paused): wait, and the try does not count. */
  | { readonly kind: 'wait'; readonly afterMs: number }
  | { readonly kind: 'give-up' };

/** How a failure may be retried: whether trying again may help, and whether the server asked to wait (ms). */
export interface FailureKind {
  readonly retryable: boolean;
  readonly pausedForMs?: number | undefined;
}

/** What to do after the `triesMade`-th try failed: wait and try again, or give up on this item. */
export function decideAfterFailure(triesMade: number, failure: FailureKind, policy: RetryPolicy, random: () => number = Math.random): FailureDecision {
  if (failure.pausedForMs !== undefined) return { kind: 'wait', afterMs: failure.pausedForMs };
  if (!failure.retryable || triesMade >= policy.attempts) return { kind: 'give-up' };
  return { kind: 'retry', afterMs: backoffDelay(triesMade - 1, policy.backoff, random) };
}

export interface SendQueueOptions<T, R> {
  /** Items of one lane (a room) keep their order among themselves; lanes do not wait for each other. */
  laneOf(item: T): string;
  send(item: T): Promise<R>;
  onSent(item: T, result: R): void;
  /** The item failed for good; the lane goes on with the next one. */
  onFailed(item: T, error: unknown): void;
  /** Whether trying again may help (the network, a 5xx), unlike a refusal that will not change (a 4xx). */
  isRetryable(error: unknown): boolean;
  /** How long the server asked to wait before a try that would pass later (writes paused), if it did. */
  pausedFor?(error: unknown): number | undefined;
  /** The item waits for the server (pausedFor); it is still queued. */
  onWaiting?(item: T, error: unknown): void;
  readonly retry: RetryPolicy;
  /** Injected so tests need not wait; a timer by default. */
  wait?(ms: number): Promise<void>;
  random?(): number;
}

export interface SendQueue<T> {
  enqueue(item: T): void;
  /** Items waiting or in flight in a lane. */
  size(lane: string): number;
  /** Drops everything queued; an answer still on its way is ignored. */
  stop(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createSendQueue<T, R>(options: SendQueueOptions<T, R>): SendQueue<T> {
  const lanes = new Map<string, T[]>();
  const wait = options.wait ?? sleep;
  let stopped = false;

  const failureOf = (error: unknown): FailureKind => ({ retryable: options.isRetryable(error), pausedForMs: options.pausedFor?.(error) });

  async function deliver(item: T): Promise<void> {
    for (let tries = 1; ;) {
      let result: R;
      try {
        result = await options.send(item);
      } catch (error) {
        if (stopped) return;
        const decision = decideAfterFailure(tries, failureOf(error), options.retry, options.random);
        if (decision.kind === 'give-up') return options.onFailed(item, error);
        if (decision.kind === 'wait') options.onWaiting?.(item, error);
        else tries += 1;
        await wait(decision.afterMs);
        if (stopped) return;
        continue;
      }
      if (!stopped) options.onSent(item, result);
      return;
    }
  }

  async function drain(lane: string, queue: T[]): Promise<void> {
    try {
      // The item stays at the head while in flight, so size() counts it.
      for (let head = queue[0]; head !== undefined && !stopped; head = queue[0]) {
        await deliver(head);
        queue.shift();
      }
    } finally {
      if (lanes.get(lane) === queue) lanes.delete(lane);
    }
  }

  return {
    enqueue(item) {
      if (stopped) return;
      const lane = options.laneOf(item);
      const queue = lanes.get(lane);
      if (queue !== undefined) {
        queue.push(item);
        return;
      }
      const fresh = [item];
      lanes.set(lane, fresh);
      drain(lane, fresh).catch((error: unknown) => console.error('hearth: the send queue stopped on an error', error));
    },
    size: (lane) => lanes.get(lane)?.length ?? 0,
    stop() {
      stopped = true;
      lanes.clear();
    },
  };
}
