import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * An idle process gives back the memory its last busy spell left committed. V8 keeps its young
 * generation at the size a burst grew it to (an embedded server just started and signed into
 * holds about 15 MiB of it, nearly empty, of its ~105 MiB), and shrinks it only after a full
 * collection that a quiet process never starts: its memory reducer waits for a mark-compact first.
 * So once a window of HEARTH_IDLE_TRIM_SECONDS has passed with the event loop busy less than 5%
 * of the time, one memory-reducing full collection runs (10–60 ms, when nothing is waiting); it
 * runs again only after a window in which the loop was busy.
 */

/**
 * A window's busy share of the event loop under which the process counts as idle. Not lower: a
 * quiet server's own passes (the outbox relay's and the webhook deliverer's, each once a second)
 * keep its loop busy 0.7–1.3% of the time on a slow core, so at 1% it was trimmed only by chance.
 */
export const IDLE_UTILIZATION = 0.05;

/** Whether the trim has run since the loop was last busy: a quiet process is trimmed once. */
export interface TrimState {
  readonly trimmedSinceBusy: boolean;
}

/** After a window with this utilization: whether to trim now, and the state the next window starts from. */
export function afterWindow(state: TrimState, utilization: number): { readonly trim: boolean; readonly state: TrimState } {
  if (utilization >= IDLE_UTILIZATION) return { trim: false, state: { trimmedSinceBusy: false } };
  return { trim: !state.trimmedSinceBusy, state: { trimmedSinceBusy: true } };
}

export interface TrimLog {
  debug(details: Record<string, unknown>, message: string): void;
}

export interface IdleTrim {
  stop(): void;
}

/** Checks every `windowSeconds`, trimming by `collect` (a memory-reducing full collection unless a test gives its own). */
export function startIdleTrim(windowSeconds: number, log: TrimLog, collect: () => void = memoryReducingCollection()): IdleTrim {
  if (windowSeconds === 0) return { stop: () => undefined };
  let state: TrimState = { trimmedSinceBusy: false };
  let windowStart: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const next = afterWindow(state, performance.eventLoopUtilization(windowStart).utilization);
    state = next.state;
    if (next.trim) trim(collect, log);
    // The next window starts after the collection, so its own time does not count as busy.
    windowStart = performance.eventLoopUtilization();
  }, windowSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function trim(collect: () => void, log: TrimLog): void {
  const before = process.memoryUsage.rss();
  const started = performance.now();
  collect();
  log.debug({ ms: Math.round(performance.now() - started), rssMiB: { before: mib(before), after: mib(process.memoryUsage.rss()) } }, 'idle: memory trimmed');
}

const mib = (bytes: number): number => Math.round(bytes / 104_857.6) / 10;

interface GcOptions {
  readonly type: 'major';
  readonly execution: 'sync';
  readonly flavor: 'last-resort';
}

/**
 * V8's gc extension, got without exposing `gc` to the application's own global: the flag is on
 * only while a throwaway context is made, whose global carries it. `last-resort` is the
 * collection V8 runs near its heap limit: it compacts and shrinks the young generation to its least.
 */
function memoryReducingCollection(): () => void {
  let gc: ((options: GcOptions) => void) | undefined;
  return () => {
    if (gc === undefined) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as (options: GcOptions) => void;
      v8.setFlagsFromString('--no-expose-gc');
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  };
}
