import { isHearthError, type Bot, type Logger, type Message, type Store, type WebhookDelivery } from '@hearth/core';
import { replyText } from './reply.ts';
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
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  pollMs: 1_000,
  leaseMs: 30_000,
  timeoutMs: 5_000,
  batch: 20,
  maxReplyBytes: 64 * 1024,
  schedule: DEFAULT_RETRY_SCHEDULE,
};

/** What a webhook answered, posted into the room as the bot. */
export interface BotReply {
  readonly botId: string;
  readonly roomId: string;
  /** Derived from the delivery, so a delivery attempted twice posts its answer once. */
  readonly clientMessageId: string;
  readonly body: string;
}

/** The JSON body POSTed to a bot's webhook (docs/protocol.md, "Bots and webhooks"). */
export interface WebhookPayload {
  readonly message: Message;
  readonly room: { readonly id: string; readonly name: string | null };
  readonly author: { readonly id: string; readonly name: string };
  readonly bot: { readonly id: string; readonly name: string };
  /** Where the bot posts with its token, if it wants to say more later. */
  readonly replyUrl: string;
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

type Outcome =
  | { readonly kind: 'delivered'; readonly note: string | null }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'abandoned'; readonly error: string };

export const replyClientMessageId = (deliveryId: number): string => `webhook-delivery-${deliveryId}`;

export function buildWebhookPayload(
  message: Message,
  room: { id: string; name: string | null },
  author: { id: string; name: string },
  bot: Bot,
  publicUrl: string,
): WebhookPayload {
  return {
    message,
    room: { id: room.id, name: room.name },
    author: { id: author.id, name: author.name },
    bot: { id: bot.userId, name: bot.name },
    replyUrl: `${publicUrl}/api/rooms/${room.id}/messages`,
  };
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

  async function loadPayload(delivery: WebhookDelivery): Promise<{ bot: Bot & { webhookUrl: string }; payload: WebhookPayload } | string> {
    const bot = await store.getBot(delivery.botId);
    if (bot === null || !bot.active) return 'the bot is gone or deactivated';
    if (bot.webhookUrl === null) return 'the bot has no webhook any more';
    const message = await store.getMessage(delivery.messageId);
    if (message === null || message.deletedAt !== null) return 'the message was deleted';
    const [room, author] = await Promise.all([store.getRoom(delivery.roomId), store.getUser(message.authorId)]);
    if (room === null || author === null) return 'the room or the author is gone';
    return { bot: { ...bot, webhookUrl: bot.webhookUrl }, payload: buildWebhookPayload(message, room, author, bot, deps.publicUrl) };
  }

  async function attempt(delivery: WebhookDelivery): Promise<Outcome> {
    const loaded = await loadPayload(delivery);
    if (typeof loaded === 'string') return { kind: 'abandoned', error: loaded };
    let response: Response;
    let text: string | null;
    try {
      response = await fetch(loaded.bot.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Hearth-Webhook/1', 'x-hearth-delivery': String(delivery.id) },
        body: JSON.stringify(loaded.payload),
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), stopping.signal]),
      });
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel();
        return { kind: 'failed', error: `the webhook answered HTTP ${response.status}` };
      }
      text = await readCapped(response, options.maxReplyBytes);
    } catch (error) {
      return { kind: 'failed', error: describeFetchError(error, options.timeoutMs) };
    }
    const reply = text === null ? null : replyText(response.headers.get('content-type'), text);
    if (text === null) return { kind: 'delivered', note: `the answer was longer than ${options.maxReplyBytes} bytes and was not posted` };
    if (reply === null) return { kind: 'delivered', note: null };
    try {
      await deps.postReply({ botId: delivery.botId, roomId: delivery.roomId, clientMessageId: replyClientMessageId(delivery.id), body: reply });
    } catch (error) {
      // Refused (the bot left the room, the answer is too long…): delivered, and retrying would not help.
      if (isHearthError(error)) return { kind: 'delivered', note: `the answer was not posted: ${error.message}` };
      throw error;
    }
    return { kind: 'delivered', note: null };
  }

  async function record(delivery: WebhookDelivery, outcome: Outcome): Promise<void> {
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

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    try {
      const outcome = await attempt(delivery);
      // Stopped mid-attempt: leave it to the lease, so it is retried rather than counted as failed.
      if (stopping.signal.aborted) return;
      await record(delivery, outcome);
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

/** The body as text, or null when it is longer than `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<string | null> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `the webhook did not answer within ${timeoutMs} ms`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `the webhook could not be reached (${error instanceof Error ? error.message : String(error)}${cause})`;
}
