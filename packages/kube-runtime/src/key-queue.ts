/**
 * The bookkeeping of client-go's workqueue.Type, without workers or timers: a key queued twice
 * before it is taken is taken once, and a key added while in flight waits until its reconcile
 * is done, then is ready again. Times are the caller's clock, in ms.
 */
export interface KeyQueue {
  /** 'ready' for a worker now; 'after' its reconcile in flight; 'already' queued, nothing changes. */
  add(key: string, now: number): 'ready' | 'after' | 'already';
  /** The next ready key, now in flight, and how long it queued; undefined when none is ready. */
  take(now: number): { readonly key: string; readonly queuedMs: number; readonly startedAt: number } | undefined;
  /** Its reconcile ended: true when the key was added meanwhile and is ready again. */
  done(key: string): boolean;
  depth(): number;
  inFlight(): number;
  /** When each in-flight reconcile began. */
  inFlightSince(): number[];
  /** Drops every key that waits; in-flight keys stay in flight. */
  clear(): void;
}

export function createKeyQueue(): KeyQueue {
  const ready: string[] = [];
  /** Keys that need a reconcile: in `ready`, or in flight and to be run again after. */
  const dirty = new Set<string>();
  /** Keys being reconciled, with when each began. */
  const processing = new Map<string, number>();
  /** When each key in `dirty` was added: how long it queued, once taken. */
  const addedAt = new Map<string, number>();

  return {
    add(key, now) {
      if (dirty.has(key)) return 'already';
      dirty.add(key);
      addedAt.set(key, now);
      if (processing.has(key)) return 'after';
      ready.push(key);
      return 'ready';
    },
    take(now) {
      const key = ready.shift();
      if (key === undefined) return undefined;
      dirty.delete(key);
      processing.set(key, now);
      const queuedMs = Math.max(0, now - (addedAt.get(key) ?? now));
      addedAt.delete(key);
      return { key, queuedMs, startedAt: now };
    },
    done(key) {
      processing.delete(key);
      if (!dirty.has(key)) return false;
      ready.push(key);
      return true;
    },
    depth: () => ready.length,
    inFlight: () => processing.size,
    inFlightSince: () => [...processing.values()],
    clear() {
      ready.length = 0;
      dirty.clear();
      addedAt.clear();
    },
  };
}
