import { backoffDelay, type Backoff } from './backoff.ts';

/**
 * Sends items one at a time per lane, in the order they were queued. A person who
 * types quickly must not have their posts overtake each other on the way (the server
 * numbers messages as they arrive), so a lane's next item waits until the one before
 * is sent, or has failed for good after its retries; then the rest still go, in order.
 * While the connection is down, a lane holds: its head is not given up, it is tried again
 * when the caller says the connection is back (`resume`), or every so often meanwhile.
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
  /** The connection is down: hold until it is back (`resume`), or try again after `afterMs`; the try does not count. */
  | { readonly kind: 'hold'; readonly afterMs: number }
  | { readonly kind: 'give-up' };

/** While held, how often an item is tried anyway: the connection may be back without anyone saying so. */
export const HELD_RECHECK_MS = 10_000;

/** How a failure may be retried: whether trying again may help, and whether the server asked to wait (ms). */
export interface FailureKind {
  readonly retryable: boolean;
  readonly pausedForMs?: number | undefined;
  /** The failure says the connection is down (the browser offline, the network failed). */
  readonly offline?: boolean | undefined;
}

/** What to do after the `triesMade`-th try failed: wait and try again, or give up on this item. */
export function decideAfterFailure(triesMade: number, failure: FailureKind, policy: RetryPolicy, random: () => number = Math.random): FailureDecision {
  if (failure.pausedForMs !== undefined) return { kind: 'wait', afterMs: failure.pausedForMs };
  if (failure.offline === true) return { kind: 'hold', afterMs: HELD_RECHECK_MS };
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
  /** Whether the failure says the connection is down: then the item holds its lane until `resume`, however long. */
  isOffline?(error: unknown): boolean;
  /** The item, at the head of its lane, holds it for the connection; those behind it wait too. */
  onHeld?(item: T, error: unknown): void;
  readonly retry: RetryPolicy;
  /** Injected so tests need not wait; a timer by default. */
  wait?(ms: number): Promise<void>;
  random?(): number;
}

export interface SendQueue<T> {
  enqueue(item: T): void;
  /** Items waiting or in flight in a lane. */
  size(lane: string): number;
  /** Whether the lane holds for the connection. */
  isHeld(lane: string): boolean;
  /** The connection is back: every held lane tries its head again now, in order as ever. */
  resume(): void;
  /** Drops everything queued; an answer still on its way is ignored. */
  stop(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The lanes that hold for the connection, and the way to wake them all. */
function createHolds(wait: (ms: number) => Promise<void>) {
  const held = new Set<string>();
  const wakers = new Set<() => void>();
  return {
    isHeld: (lane: string): boolean => held.has(lane),
    /** Until `wakeAll`, or `ms` have passed. */
    async hold(lane: string, ms: number): Promise<void> {
      let wake = (): void => undefined;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      held.add(lane);
      wakers.add(wake);
      try {
        await Promise.race([wait(ms), woken]);
      } finally {
        wakers.delete(wake);
        held.delete(lane);
      }
    },
    wakeAll(): void {
      const woken = [...wakers];
      wakers.clear();
      for (const wake of woken) wake();
    },
  };
}

export function createSendQueue<T, R>(options: SendQueueOptions<T, R>): SendQueue<T> {
  const lanes = new Map<string, T[]>();
  const wait = options.wait ?? sleep;
  const holds = createHolds(wait);
  let stopped = false;

  const failureOf = (error: unknown): FailureKind => ({
    retryable: options.isRetryable(error),
    pausedForMs: options.pausedFor?.(error),
    offline: options.isOffline?.(error),
  });

  /** Waits as the failure calls for; the tries spent so far, or null once the item is given up. */
  async function afterFailure(lane: string, item: T, tries: number, error: unknown): Promise<number | null> {
    const decision = decideAfterFailure(tries, failureOf(error), options.retry, options.random);
    switch (decision.kind) {
      case 'give-up':
        options.onFailed(item, error);
        return null;
      case 'wait':
        options.onWaiting?.(item, error);
        await wait(decision.afterMs);
        return tries;
      case 'hold':
        options.onHeld?.(item, error);
        await holds.hold(lane, decision.afterMs);
        return tries;
      case 'retry':
        await wait(decision.afterMs);
        return tries + 1;
    }
  }

  async function deliver(lane: string, item: T): Promise<void> {
    for (let tries: number | null = 1; tries !== null;) {
      let result: R;
      try {
        result = await options.send(item);
      } catch (error) {
        if (stopped) return;
        tries = await afterFailure(lane, item, tries, error);
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
        await deliver(lane, head);
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
    isHeld: holds.isHeld,
    resume: holds.wakeAll,
    stop() {
      stopped = true;
      lanes.clear();
      holds.wakeAll();
    },
  };
}
