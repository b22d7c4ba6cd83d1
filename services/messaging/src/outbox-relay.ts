import { contextOfTraceparent, inSpan, SpanKind, type Bus, type HearthMetrics, type Logger, type OutboxEntry, type Store } from '@hearth/core';
import { createCoalescingRunner } from './coalescing-runner.ts';

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
export function createOutboxRelay(store: Store, bus: Bus, logger: Logger, metrics: HearthMetrics): OutboxRelay {
  let stopped = false;

  /** Each publication is a span of the trace of the command that committed the event. */
  const publish = (entry: OutboxEntry): Promise<void> =>
    inSpan('hearth.outbox.publish', { kind: SpanKind.PRODUCER, parent: contextOfTraceparent(entry.event.traceparent) }, () =>
      bus.publishRoomEvent(entry.event),
    );

  /** One batch; true when it was full, so more may be waiting. */
  async function pass(): Promise<boolean> {
    const entries = await store.unpublishedEvents(BATCH);
    for (const entry of entries) await publish(entry);
    // A mark lost to a crash only republishes (see above), so it need not wait for the disk.
    if (entries.length > 0) await store.transaction((tx) => tx.markPublished(entries.map((e) => e.id)), { lazyCommit: true });
    metrics.outboxPublished.inc(entries.length);
    return entries.length === BATCH;
  }

  metrics.onCollect(async () => {
    const backlog = await store.outboxBacklog();
    metrics.outboxBacklog.set(backlog.events);
    metrics.outboxOldestAge.set(backlog.oldestAt === null ? 0 : Math.max(0, (Date.now() - Date.parse(backlog.oldestAt)) / 1_000));
  });

  const runner = createCoalescingRunner(pass, { intervalMs: SWEEP_MS, logger, what: 'outbox relay pass', stopped: () => stopped });
  return {
    kick: runner.kick,
    drain: runner.drain,
    async stop() {
      await runner.drain();
      await runner.stop();
      stopped = true;
    },
  };
}
