import type { Clock } from './clock.ts';

/** Keys that wait for a time, released to the queue when it comes; one timer for them all. */
export interface DelayedKeys {
  /** Releases `key` after `ms`; of several pending delays for one key, the earliest wins. */
  add(key: string, ms: number): void;
  size(): number;
  /** Drops every waiting key, releasing none. */
  clear(): void;
}

export function createDelayedKeys(clock: Clock, release: (key: string) => void): DelayedKeys {
  const waiting = new Map<string, number>();
  let cancelTimer: (() => void) | null = null;

  /** Arms one timer for the earliest key. */
  const armTimer = (): void => {
    cancelTimer?.();
    cancelTimer = null;
    if (waiting.size === 0) return;
    const due = Math.min(...waiting.values());
    cancelTimer = clock.schedule(releaseDue, due - clock.now());
  };

  function releaseDue(): void {
    cancelTimer = null;
    const now = clock.now();
    for (const [key, due] of waiting) {
      if (due > now) continue;
      waiting.delete(key);
      release(key);
    }
    armTimer();
  }

  return {
    add(key, ms) {
      const due = clock.now() + ms;
      const current = waiting.get(key);
      if (current !== undefined && current <= due) return;
      waiting.set(key, due);
      armTimer();
    },
    size: () => waiting.size,
    clear() {
      cancelTimer?.();
      cancelTimer = null;
      waiting.clear();
    },
  };
}
