/** Time as the work queue sees it, so that tests can move it by hand instead of sleeping. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Runs `fn` after `ms`; the returned function cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

export interface ManualClock extends Clock {
  /** Moves time forward, running every timer that falls due on the way, in order. */
  advance(ms: number): void;
  /** How many timers wait. */
  pending(): number;
}

export function createManualClock(start = 0): ManualClock {
  let now = start;
  let sequence = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  const nextDue = (limit: number): [number, { due: number; fn: () => void }] | undefined => {
    let best: [number, { due: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      if (entry[1].due > limit) continue;
      if (best === undefined || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[0] < best[0])) best = entry;
    }
    return best;
  };
  return {
    now: () => now,
    schedule(fn, ms) {
      const id = sequence++;
      timers.set(id, { due: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      const target = now + ms;
      for (let entry = nextDue(target); entry !== undefined; entry = nextDue(target)) {
        timers.delete(entry[0]);
        now = Math.max(now, entry[1].due);
        entry[1].fn();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}
