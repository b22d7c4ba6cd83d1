import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';
import { createDelayedKeys } from './delayed-keys.ts';
import { createKeyQueue, type KeyQueue } from './key-queue.ts';

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
export class Failure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

const defaultBackoff: BackoffPolicy = { baseMs: 1_000, capMs: 300_000, jitter: 0.2 };

/** What follows one reconcile of a key: its outcome, its failures in a row, and when to run it again. */
export interface Settlement {
  readonly outcome: ReconcileOutcome;
  readonly failures: number;
  /** Run the key again after this long; undefined when nothing asks for it. */
  readonly retryAfterMs: number | undefined;
}

/**
 * A failure retries after a back-off that grows with the failures in a row; a success resets
 * them and runs again only when it asked to (requeue-after).
 */
export function settleReconcile(result: ReconcileResult | Failure, previous: { failures: number; policy: BackoffPolicy; random: () => number }): Settlement {
  if (result instanceof Failure) {
    const failures = previous.failures + 1;
    return { outcome: 'error', failures, retryAfterMs: backoffDelay(failures, previous.policy, previous.random) };
  }
  const after = result?.requeueAfterMs;
  return after !== undefined && after > 0
    ? { outcome: 'requeue', failures: 0, retryAfterMs: after }
    : { outcome: 'success', failures: 0, retryAfterMs: undefined };
}

/** Resolves 'drained' when every task settles, or 'deadline' after `deadlineMs`, whichever comes first. */
async function drainWithin(clock: Clock, tasks: readonly Promise<void>[], deadlineMs: number): Promise<'drained' | 'deadline'> {
  let cancelDeadline: () => void = () => {};
  const deadline = new Promise<'deadline'>((resolve) => {
    cancelDeadline = clock.schedule(() => resolve('deadline'), deadlineMs);
  });
  const finished = Promise.allSettled(tasks).then(() => 'drained' as const);
  const outcome = await Promise.race([finished, deadline]);
  cancelDeadline();
  return outcome;
}

/** Failures in a row per key, kept up to date as each reconcile ends. */
function createRetries(policy: BackoffPolicy, random: () => number) {
  const failureCounts = new Map<string, number>();
  const failures = (key: string): number => failureCounts.get(key) ?? 0;
  return {
    failures,
    settle(key: string, result: ReconcileResult | Failure): Settlement {
      const settled = settleReconcile(result, { failures: failures(key), policy, random });
      if (settled.failures > 0) failureCounts.set(key, settled.failures);
      else failureCounts.delete(key);
      return settled;
    },
  };
}

/** Promises that resolve once `isIdle` holds, checked whenever the queue may have become idle. */
function createIdleWaiters(isIdle: () => boolean) {
  const waiters = new Set<() => void>();
  return {
    wait: (): Promise<void> => (isIdle() ? Promise.resolve() : new Promise<void>((resolve) => waiters.add(resolve))),
    check(): void {
      if (!isIdle()) return;
      for (const resolve of waiters) resolve();
      waiters.clear();
    },
  };
}

interface WorkQueueSettings {
  readonly workers: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly policy: BackoffPolicy;
  readonly metrics: WorkQueueMetrics;
}

/** The options with their defaults; throws on a worker count that is not a positive integer. */
function workQueueSettings(options: WorkQueueOptions): WorkQueueSettings {
  const workers = options.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`createWorkQueue: workers must be a positive integer, not ${workers}`);
  return {
    workers,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    policy: { ...defaultBackoff, ...options.backoff },
    metrics: options.metrics ?? {},
  };
}

/** How one reconcile of `key` ended, as metrics and, for a failure, to `onError`. */
interface SettledReconcile {
  readonly key: string;
  readonly result: ReconcileResult | Failure;
  readonly settled: Settlement;
  readonly seconds: number;
}

function reportSettled(metrics: WorkQueueMetrics, onError: WorkQueueOptions['onError'], { key, result, settled, seconds }: SettledReconcile): void {
  metrics.reconciled?.(key, seconds, settled.outcome);
  if (!(result instanceof Failure)) return;
  const delay = settled.retryAfterMs ?? 0;
  metrics.retried?.(key, delay);
  onError?.(key, result.error, delay);
}

export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const { workers, clock, random, policy, metrics } = workQueueSettings(options);

  const keys = createKeyQueue();
  const running = new Set<Promise<void>>();
  const retries = createRetries(policy, random);
  const abortReconciles = new AbortController();
  let pumpScheduled = false;
  let shuttingDown = false;

  const reportDepth = (): void => metrics.depth?.(keys.depth());
  const idle = createIdleWaiters(() => keys.depth() === 0 && keys.inFlight() === 0);

  const add = (key: string): void => {
    if (shuttingDown) return;
    const added = keys.add(key, clock.now());
    if (added === 'already') return;
    metrics.added?.(key);
    if (added === 'after') return;
    reportDepth();
    schedulePump();
  };

  const delayed = createDelayedKeys(clock, add);

  const addAfter = (key: string, ms: number): void => {
    if (shuttingDown) return;
    if (ms <= 0) add(key);
    else delayed.add(key, ms);
  };

  const settle = (key: string, result: ReconcileResult | Failure, startedAt: number): void => {
    const seconds = Math.max(0, clock.now() - startedAt) / 1000;
    const settled = retries.settle(key, result);
    reportSettled(metrics, options.onError, { key, result, settled, seconds });
    if (settled.retryAfterMs !== undefined) addAfter(key, settled.retryAfterMs);
  };

  const runOne = async (key: string, startedAt: number): Promise<void> => {
    const result = await options.reconcile(key, abortReconciles.signal).catch((error: unknown) => new Failure(error));
    // Added while in flight: it runs again now, with what changed meanwhile.
    if (keys.done(key)) reportDepth();
    settle(key, result, startedAt);
    schedulePump();
    idle.check();
  };

  const takeNext = (): ReturnType<KeyQueue['take']> => (shuttingDown || keys.inFlight() >= workers ? undefined : keys.take(clock.now()));

  const pump = (): void => {
    pumpScheduled = false;
    for (let taken = takeNext(); taken !== undefined; taken = takeNext()) {
      metrics.started?.(taken.key, taken.queuedMs / 1000);
      const task = runOne(taken.key, taken.startedAt);
      running.add(task);
      void task.finally(() => running.delete(task));
    }
    reportDepth();
    idle.check();
  };

  // Taking work on a microtask, not inside add(), keeps reconciles out of informer handlers' stacks.
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    queueMicrotask(pump);
  }

  const shutdown = async (shutdownOptions: { deadlineMs?: number } = {}): Promise<ShutdownResult> => {
    shuttingDown = true;
    delayed.clear();
    keys.clear();
    reportDepth();
    idle.check();
    const outcome = await drainWithin(clock, [...running], shutdownOptions.deadlineMs ?? 30_000);
    if (outcome === 'drained') return { drained: true, abandoned: 0 };
    abortReconciles.abort(new Error('work queue shut down: deadline passed'));
    return { drained: false, abandoned: keys.inFlight() };
  };

  return {
    add,
    addAfter,
    depth: () => keys.depth(),
    inFlight: () => keys.inFlight(),
    inFlightMs: () => keys.inFlightSince().map((startedAt) => clock.now() - startedAt),
    delayed: () => delayed.size(),
    failures: (key) => retries.failures(key),
    whenIdle: () => idle.wait(),
    isShuttingDown: () => shuttingDown,
    shutdown,
  };
}
