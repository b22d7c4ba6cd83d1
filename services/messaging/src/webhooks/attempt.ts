import { isHearthError, type Bot, type Message, type WebhookDelivery, type WebhookSecrets } from '@hearth/core';
import type { WebhookDelivererDeps } from './deliverer.ts';
import { replyText } from './reply.ts';
import { signatureHeaders, signingSecrets } from './signature.ts';
import { postOutbound, RefusedAddressError } from '../outbound-post.ts';

export const replyClientMessageId = (deliveryId: number): string => `webhook-delivery-${deliveryId}`;

/** How one attempt went. */
export type Outcome =
  | { readonly kind: 'delivered'; readonly note: string | null }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'abandoned'; readonly error: string };

/** The JSON body POSTed to a bot's webhook (docs/protocol.md, "Bots and webhooks"). */
export interface WebhookPayload {
  readonly message: Message;
  readonly room: { readonly id: string; readonly name: string | null };
  readonly author: { readonly id: string; readonly name: string };
  readonly bot: { readonly id: string; readonly name: string };
  /** Where the bot posts with its token, if it wants to say more later. */
  readonly replyUrl: string;
}

/** What a webhook is told of: the message, where and by whom it was posted, and the bot it mentions. */
export interface MentionOfBot {
  readonly message: Message;
  readonly room: { id: string; name: string | null };
  readonly author: { id: string; name: string };
  readonly bot: Bot;
}

export function buildWebhookPayload(mention: MentionOfBot, publicUrl: string): WebhookPayload {
  const { message, room, author, bot } = mention;
  return {
    message,
    room: { id: room.id, name: room.name },
    author: { id: author.id, name: author.name },
    bot: { id: bot.userId, name: bot.name },
    replyUrl: `${publicUrl}/api/rooms/${room.id}/messages`,
  };
}

export interface AttemptDeps extends Pick<WebhookDelivererDeps, 'store' | 'publicUrl' | 'options' | 'postReply'> {
  /** Aborts an attempt in flight when the deliverer stops. */
  readonly stopping: AbortSignal;
}

interface Loaded {
  readonly webhookUrl: string;
  readonly payload: WebhookPayload;
  /** What the attempt is signed with, read at each attempt: a rotation in between signs the retry with the new secret. */
  readonly secrets: WebhookSecrets | null;
}

/** What the webhook answered: its body (null: longer than maxReplyBytes, not read) and content type. */
interface Answer {
  readonly kind: 'answered';
  readonly text: string | null;
  readonly contentType: string | null;
}

/** POSTs one delivery to its bot's webhook and posts the answer back into the room as the bot. */
export async function attemptDelivery(deps: AttemptDeps, delivery: WebhookDelivery): Promise<Outcome> {
  const loaded = await loadPayload(deps, delivery);
  if (typeof loaded === 'string') return { kind: 'abandoned', error: loaded };
  const answer = await postToWebhook(deps, delivery, loaded);
  if (answer.kind === 'failed') return answer;
  return postAnswer(deps, delivery, answer);
}

/** The webhook and what to send it, or why the delivery can no longer be made. */
async function loadPayload(deps: AttemptDeps, delivery: WebhookDelivery): Promise<Loaded | string> {
  const { store } = deps;
  const bot = await store.getBot(delivery.botId);
  if (bot === null || !bot.active) return 'the bot is gone or deactivated';
  if (bot.webhookUrl === null) return 'the bot has no webhook any more';
  const message = await store.getMessage(delivery.messageId);
  if (message === null || message.deletedAt !== null) return 'the message was deleted';
  const [room, author, secrets] = await Promise.all([store.getRoom(delivery.roomId), store.getUser(message.authorId), store.getWebhookSecrets(bot.userId)]);
  if (room === null || author === null) return 'the room or the author is gone';
  return { webhookUrl: bot.webhookUrl, payload: buildWebhookPayload({ message, room, author, bot }, deps.publicUrl), secrets };
}

async function postToWebhook(deps: AttemptDeps, delivery: WebhookDelivery, loaded: Loaded): Promise<Answer | Extract<Outcome, { kind: 'failed' }>> {
  const { timeoutMs, maxReplyBytes, addressPolicy } = deps.options;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), deps.stopping]);
  const body = JSON.stringify(loaded.payload);
  const now = Date.now();
  const signature = signatureHeaders(signingSecrets(loaded.secrets, now), now, body);
  try {
    const response = await postOutbound({
      url: loaded.webhookUrl,
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Hearth-Webhook/1', 'x-hearth-delivery': String(delivery.id), ...signature },
      signal,
      policy: addressPolicy,
      maxReplyBytes,
    });
    if (response.status < 200 || response.status > 299) return { kind: 'failed', error: `the webhook answered HTTP ${response.status}` };
    return { kind: 'answered', text: response.text, contentType: response.contentType };
  } catch (error) {
    return { kind: 'failed', error: describeRequestError(error, signal, timeoutMs) };
  }
}

/** Delivered either way: an answer too long, or refused when posted, is noted, since retrying would not help. */
async function postAnswer(deps: AttemptDeps, delivery: WebhookDelivery, answer: Answer): Promise<Outcome> {
  if (answer.text === null) return { kind: 'delivered', note: `the answer was longer than ${deps.options.maxReplyBytes} bytes and was not posted` };
  const reply = replyText(answer.contentType, answer.text);
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

function describeRequestError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError')
    return `the webhook did not answer within ${timeoutMs} ms`;
  if (error instanceof RefusedAddressError) return `the webhook's address is refused: ${error.message}`;
  return `the webhook could not be reached (${error instanceof Error ? error.message : String(error)})`;
}
