import { OutboundAddressPolicy, type Logger, type Store, type WebhookDelivery } from '@hearth/core';
import { attemptDelivery, type Outcome } from './attempt.ts';

export { replyClientMessageId, type WebhookPayload } from './attempt.ts';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.ts';
import { createCoalescingRunner } from '../coalescing-runner.ts';

export interface WebhookOptions {
  /** How often due deliveries (retries, leftovers of a crash) are looked for. */
  readonly pollMs: number;
  /** How long a claimed delivery is ours; another messaging process retries it after that. */
  readonly leaseMs: number;
  /** How long a webhook has to answer, body included. */
  readonly timeoutMs: number;
  /** Deliveries attempted at once, at most; a slow webhook holds up only its own slot. */
  readonly batch: number;
  /** A longer answer is not posted back. */
  readonly maxReplyBytes: number;
  readonly schedule: RetrySchedule;
  /** Which addresses a webhook may be at: public ones, and the networks configuration allows. */
  readonly addressPolicy: OutboundAddressPolicy;
  /** How long a rotated-out webhook secret goes on signing beside the new one, so a receiver can switch without missing a delivery. */
  readonly secretGraceMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  pollMs: 1_000,
  leaseMs: 30_000,
  timeoutMs: 5_000,
  batch: 20,
  maxReplyBytes: 64 * 1024,
  schedule: DEFAULT_RETRY_SCHEDULE,
  addressPolicy: new OutboundAddressPolicy([]),
  secretGraceMs: 24 * 60 * 60_000,
};

/** What a webhook answered, posted into the room as the bot. */
export interface BotReply {
  readonly botId: string;
  readonly roomId: string;
  /** Derived from the delivery, so a delivery attempted twice posts its answer once. */
  readonly clientMessageId: string;
  readonly body: string;
}

export interface WebhookDelivererDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly publicUrl: string;
  readonly options: WebhookOptions;
  /** Posts through the message.post handler, as the bot. */
  readonly postReply: (reply: BotReply) => Promise<void>;
}

export interface WebhookDeliverer {
  /** Asks for a pass soon; calls made while one runs coalesce into one more pass. */
  kick(): void;
  /** Stops polling and abandons attempts in flight (their leases run out and they are retried). */
  stop(): Promise<void>;
}

/**
 * POSTs each queued mention to its bot's webhook: claims due deliveries under a lease, attempts
 * them, and records the outcome (delivered, retried later with back-off, or given up). At least
 * once: a webhook may see a delivery twice (the x-hearth-delivery header tells it so), but its
 * answer is posted once.
 */
export function createWebhookDeliverer(deps: WebhookDelivererDeps): WebhookDeliverer {
  const { store, logger, options } = deps;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** The last pass left due deliveries behind for want of a free slot: a finished one takes another. */
  let starved = false;

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    try {
      const outcome = await attemptDelivery({ ...deps, stopping: stopping.signal }, delivery);
      // Stopped mid-attempt: leave it to the lease, so it is retried rather than counted as failed.
      if (stopping.signal.aborted) return;
      await recordOutcome(deps, delivery, outcome);
    } catch (error) {
      logger.warn({ err: error, deliveryId: delivery.id }, 'webhook attempt could not be completed; it is retried when its lease runs out');
    }
  }

  function start(delivery: WebhookDelivery): void {
    const attempt = deliver(delivery).finally(() => {
      inFlight.delete(attempt);
      if (starved && !stopping.signal.aborted) runner.kick();
    });
    inFlight.add(attempt);
  }

  /** Claims as many due deliveries as there are free slots and starts them; true when it filled every slot. */
  async function pass(): Promise<boolean> {
    const free = options.batch - inFlight.size;
    if (free <= 0) return true;
    const now = Date.now();
    const claimed = await store.transaction((tx) =>
      tx.claimWebhookDeliveries(new Date(now).toISOString(), new Date(now + options.leaseMs).toISOString(), free),
    );
    if (stopping.signal.aborted) return false;
    for (const delivery of claimed) start(delivery);
    return claimed.length === free;
  }

  // One pass per run: whether slots are free again is only known when an attempt ends, which kicks.
  const runner = createCoalescingRunner(
    async () => {
      starved = await pass();
      return false;
    },
    { intervalMs: options.pollMs, logger, what: 'webhook pass', stopped: () => stopping.signal.aborted },
  );

  return {
    kick: runner.kick,
    async stop() {
      stopping.abort();
      await runner.stop();
      await Promise.all(inFlight);
    },
  };
}

/** Records how an attempt went: delivered, retried later with back-off, or given up. */
async function recordOutcome(deps: Pick<WebhookDelivererDeps, 'store' | 'logger' | 'options'>, delivery: WebhookDelivery, outcome: Outcome): Promise<void> {
  const { store, logger, options } = deps;
  const now = Date.now();
  const at = new Date(now).toISOString();
  const attempts = delivery.attempts + 1;
  const log = { deliveryId: delivery.id, botId: delivery.botId, messageId: delivery.messageId, attempts };
  if (outcome.kind === 'delivered') {
    if (outcome.note !== null) logger.warn({ ...log, note: outcome.note }, 'webhook delivered; its answer was not posted');
    await store.transaction((tx) => tx.recordWebhookAttempt(delivery.id, { at, delivered: true, error: outcome.note, nextAttemptAt: null }));
    return;
  }
  const delay = outcome.kind === 'failed' ? retryDelayMs(attempts, Math.random(), options.schedule) : null;
  const nextAttemptAt = delay === null ? null : new Date(now + delay).toISOString();
  await store.transaction((tx) => tx.recordWebhookAttempt(delivery.id, { at, delivered: false, error: outcome.error, nextAttemptAt }));
  if (nextAttemptAt === null) logger.warn({ ...log, error: outcome.error }, 'webhook delivery given up');
  else logger.info({ ...log, error: outcome.error, nextAttemptAt }, 'webhook delivery failed; will retry');
}
