import type { Bus, Logger, Store } from '@hearth/core';

const BATCH = 500;
/** Leftovers (a publish that failed, a crash between commit and publish) are retried this often. */
const SWEEP_MS = 1_000;

export interface OutboxRelay {
  /** Asks for a drain soon; calls made while one runs coalesce into one more pass. */
  kick(): void;
  /** Drains until the outbox is empty; resolves when done. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes committed events to the bus in commit order, then marks them published.
 * At least once: a crash after publish and before the mark republishes, and the bus
 * de-duplicates by (room, seq), so each event reaches subscribers once.
 */
export function createOutboxRelay(store: Store, bus: Bus, logger: Logger): OutboxRelay {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function pass(): Promise<number> {
    const entries = await store.unpublishedEvents(BATCH);
    for (const entry of entries) await bus.publishRoomEvent(entry.event);
    if (entries.length > 0) await store.transaction((tx) => tx.markPublished(entries.map((e) => e.id)));
    return entries.length;
  }

  async function loop(): Promise<void> {
    do {
      again = false;
      while (!stopped && (await pass()) === BATCH);
    } while (again && !stopped);
  }

  function drain(): Promise<void> {
    if (running !== null) {
      again = true;
      return running;
    }
    running = loop()
      .catch((error: unknown) => logger.warn({ err: error }, 'outbox relay pass failed; will retry'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void drain(), SWEEP_MS);
  timer.unref();

  return {
    kick: () => void drain(),
    drain,
    async stop() {
      clearInterval(timer);
      await drain();
      stopped = true;
    },
  };
}
