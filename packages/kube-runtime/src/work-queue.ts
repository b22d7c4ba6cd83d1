import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';

/**
 * A work queue of object keys in the manner of client-go's rate-limited queue, driving a
 * reconcile function itself:
 * - a key queued twice before it is taken is processed once;
 * - a key is never reconciled by two workers at once: added while in flight, it runs again after;
 * - a failure retries the key after a per-key exponential back-off with jitter, reset on success;
 * - a reconcile may ask to run again after a delay (requeue-after);
 * - shutdown() stops taking work, drops what waits and lets in-flight reconciles finish, up to a
 *   deadline after which their AbortSignal fires.
 * Time comes from an injectable Clock so tests move it by hand.
 */

export type ReconcileResult = { readonly requeueAfterMs?: number } | void;
export type ReconcileOutcome = 'success' | 'requeue' | 'error';

export interface WorkQueueMetrics {
  /** Keys ready and waiting for a worker (delayed keys not included). */
  depth?(depth: number): void;
  added?(key: string): void;
  /** A worker took `key`, `queuedSeconds` after it was added. */
  started?(key: string, queuedSeconds: number): void;
  retried?(key: string, delayMs: number): void;
  reconciled?(key: string, seconds: number, outcome: ReconcileOutcome): void;
}

export interface WorkQueueOptions {
  readonly reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
  /** Reconciles of different keys at once (default 2). */
  readonly workers?: number;
  /** Per-key back-off on failure (default 1 s doubling to 5 min, ±20 %). */
  readonly backoff?: Partial<BackoffPolicy>;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly metrics?: WorkQueueMetrics;
  readonly onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export interface ShutdownResult {
  /** True when every in-flight reconcile finished before the deadline. */
  readonly drained: boolean;
  /** Reconciles still running at the deadline (their signal was aborted). */
  readonly abandoned: number;
}

export interface WorkQueue {
  add(key: string): void;
  /** Adds `key` after `ms`; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, ms: number): void;
  /** Keys ready for a worker. */
  depth(): number;
  /** Keys being reconciled right now. */
  inFlight(): number;
  /** How long each in-flight reconcile has run so far, in ms. */
  inFlightMs(): number[];
  /** Keys waiting on a delay. */
  delayed(): number;
  /** Failures in a row of `key` (0 after a success). */
  failures(key: string): number;
  /** Resolves when nothing is ready nor in flight (delayed keys may remain). */
  whenIdle(): Promise<void>;
  isShuttingDown(): boolean;
  shutdown(options?: { deadlineMs?: number }): Promise<ShutdownResult>;
}

/** What a reconcile threw, whatever it was (a thrown string included). */
class Failure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

const defaultBackoff: BackoffPolicy = { baseMs: 1_000, capMs: 300_000, jitter: 0.2 };

export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const workers = options.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`createWorkQueue: workers must be a positive integer, not ${workers}`);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const policy: BackoffPolicy = { ...defaultBackoff, ...options.backoff };
  const metrics = options.metrics ?? {};

  const ready: string[] = [];
  /** Keys that need a reconcile: in `ready`, or in flight and to be run again after. */
  const dirty = new Set<string>();
  /** Keys being reconciled, with when each began. */
  const processing = new Map<string, number>();
  /** When each key in `dirty` was added: how long it queued, once a worker takes it. */
  const addedAt = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const waiting = new Map<string, number>();
  const failureCounts = new Map<string, number>();
  const idleWaiters = new Set<() => void>();
  const abortReconciles = new AbortController();
  let cancelTimer: (() => void) | null = null;
  let pumpScheduled = false;
  let shuttingDown = false;

  const reportDepth = (): void => metrics.depth?.(ready.length);

  const checkIdle = (): void => {
    if (ready.length > 0 || processing.size > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters.clear();
  };

  const add = (key: string): void => {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    addedAt.set(key, clock.now());
    metrics.added?.(key);
    if (processing.has(key)) return;
    ready.push(key);
    reportDepth();
    schedulePump();
  };

  /** Arms one timer for the earliest delayed key. */
  const armTimer = (): void => {
    cancelTimer?.();
    cancelTimer = null;
    if (waiting.size === 0 || shuttingDown) return;
    const due = Math.min(...waiting.values());
    cancelTimer = clock.schedule(releaseDue, due - clock.now());
  };

  const releaseDue = (): void => {
    cancelTimer = null;
    const now = clock.now();
    for (const [key, due] of waiting) {
      if (due > now) continue;
      waiting.delete(key);
      add(key);
    }
    armTimer();
  };

  const addAfter = (key: string, ms: number): void => {
    if (shuttingDown) return;
    if (ms <= 0) {
      add(key);
      return;
    }
    const due = clock.now() + ms;
    const current = waiting.get(key);
    if (current !== undefined && current <= due) return;
    waiting.set(key, due);
    armTimer();
  };

  const settle = (key: string, result: ReconcileResult | Failure, startedAt: number): void => {
    const seconds = Math.max(0, clock.now() - startedAt) / 1000;
    if (result instanceof Failure) {
      const failures = (failureCounts.get(key) ?? 0) + 1;
      failureCounts.set(key, failures);
      const delay = backoffDelay(failures, policy, random);
      metrics.reconciled?.(key, seconds, 'error');
      metrics.retried?.(key, delay);
      options.onError?.(key, result.error, delay);
      addAfter(key, delay);
      return;
    }
    failureCounts.delete(key);
    const after = result?.requeueAfterMs;
    metrics.reconciled?.(key, seconds, after !== undefined && after > 0 ? 'requeue' : 'success');
    if (after !== undefined && after > 0) addAfter(key, after);
  };

  const runOne = async (key: string, startedAt: number): Promise<void> => {
    let result: ReconcileResult | Failure;
    try {
      result = await options.reconcile(key, abortReconciles.signal);
    } catch (error) {
      result = new Failure(error);
    }
    processing.delete(key);
    settle(key, result, startedAt);
    // Added while in flight: it runs again now, with what changed meanwhile.
    if (dirty.has(key) && !shuttingDown) {
      ready.push(key);
      reportDepth();
    }
    schedulePump();
    checkIdle();
  };

  const pump = (): void => {
    pumpScheduled = false;
    while (!shuttingDown && processing.size < workers && ready.length > 0) {
      const key = ready.shift() as string;
      const now = clock.now();
      dirty.delete(key);
      processing.set(key, now);
      metrics.started?.(key, Math.max(0, now - (addedAt.get(key) ?? now)) / 1000);
      addedAt.delete(key);
      const task = runOne(key, now);
      running.add(task);
      void task.finally(() => running.delete(task));
    }
    reportDepth();
    checkIdle();
  };

  // Taking work on a microtask, not inside add(), keeps reconciles out of informer handlers' stacks.
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    queueMicrotask(pump);
  }

  const shutdown = async (shutdownOptions: { deadlineMs?: number } = {}): Promise<ShutdownResult> => {
    shuttingDown = true;
    cancelTimer?.();
    cancelTimer = null;
    waiting.clear();
    ready.length = 0;
    dirty.clear();
    addedAt.clear();
    reportDepth();
    checkIdle();
    const deadlineMs = shutdownOptions.deadlineMs ?? 30_000;
    let cancelDeadline: (() => void) | null = null;
    const deadline = new Promise<'deadline'>((resolve) => {
      cancelDeadline = clock.schedule(() => resolve('deadline'), deadlineMs);
    });
    const finished = Promise.allSettled([...running]).then(() => 'drained' as const);
    const outcome = await Promise.race([finished, deadline]);
    (cancelDeadline as (() => void) | null)?.();
    if (outcome === 'drained') return { drained: true, abandoned: 0 };
    abortReconciles.abort(new Error('work queue shut down: deadline passed'));
    return { drained: false, abandoned: processing.size };
  };

  return {
    add,
    addAfter,
    depth: () => ready.length,
    inFlight: () => processing.size,
    inFlightMs: () => [...processing.values()].map((startedAt) => clock.now() - startedAt),
    delayed: () => waiting.size,
    failures: (key) => failureCounts.get(key) ?? 0,
    whenIdle() {
      if (ready.length === 0 && processing.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.add(resolve));
    },
    isShuttingDown: () => shuttingDown,
    shutdown,
  };
}
