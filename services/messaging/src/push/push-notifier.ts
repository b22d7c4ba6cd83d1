import { setTimeout as sleep } from 'node:timers/promises';
import { pushRecipients, vapidKeys, type Logger, type Message, type OutboundAddressPolicy, type PushTarget, type Store, type VapidKeys } from '@hearth/core';
import { noticeOf } from './push-notice.ts';
import { sendPush, type PushOutcome } from './push-sender.ts';

export interface PushOptions {
  /** The VAPID subject (HEARTH_PUSH_CONTACT). */
  readonly contact: string;
  /** Which addresses a push service may be at: public ones, and the networks configuration allows. */
  readonly addressPolicy: OutboundAddressPolicy;
  /** How long a push service has to answer. */
  readonly timeoutMs: number;
  /** The waits before each further try of a push the service could not take (429, 5xx, unreachable). */
  readonly retryDelaysMs: readonly number[];
  /** How long a push service holds a message for a browser that is offline: a day-old mention is still news. */
  readonly ttlSeconds: number;
  /** Messages waiting to be pushed, at most; past that the oldest is dropped (and logged). */
  readonly maxWaiting: number;
}

export const DEFAULT_PUSH_OPTIONS: Omit<PushOptions, 'contact' | 'addressPolicy'> = {
  timeoutMs: 10_000,
  retryDelaysMs: [2_000, 15_000],
  ttlSeconds: 24 * 60 * 60,
  maxWaiting: 1_000,
};

export interface PushNotifierDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly options: PushOptions;
}

export interface PushNotifier {
  /** Pushes a new message to the browsers of the members it concerns; returns at once. */
  notify(message: Message): void;
  /** Waits for the message being pushed; those still waiting are dropped. */
  stop(): Promise<void>;
}

/** Recently pushed message ids, so a retried post (answered with the message it made first) is not pushed twice. */
const REMEMBERED = 1_000;

/**
 * Web Push of new messages, after their post is acknowledged. Best effort by design: the message
 * itself is safe in its room whatever happens to its notification, so pushes wait in memory (a
 * crash loses those not yet sent), are tried a few times, and a subscription the push service says
 * is gone (404, 410) is removed. Messages are pushed one at a time, each to all its recipients at once.
 */
export function createPushNotifier(deps: PushNotifierDeps): PushNotifier {
  const { logger, options } = deps;
  const waiting: Message[] = [];
  const pushed = new Set<string>();
  const stopping = new AbortController();
  let running: Promise<void> | null = null;

  function remember(id: string): boolean {
    if (pushed.has(id)) return false;
    pushed.add(id);
    if (pushed.size > REMEMBERED) pushed.delete(pushed.values().next().value as string);
    return true;
  }

  async function drain(): Promise<void> {
    for (let message = waiting.shift(); message !== undefined && !stopping.signal.aborted; message = waiting.shift()) {
      try {
        await pushMessage(deps, message, stopping.signal);
      } catch (error) {
        logger.warn({ err: error, messageId: message.id }, 'the push of a message failed; the message is in its room');
      }
    }
    running = null;
  }

  return {
    notify(message) {
      if (stopping.signal.aborted || !remember(message.id)) return;
      waiting.push(message);
      if (waiting.length > options.maxWaiting)
        logger.warn({ messageId: waiting.shift()?.id }, 'too many messages waiting to be pushed; the oldest is not pushed');
      running ??= drain();
    },
    async stop() {
      stopping.abort();
      waiting.length = 0;
      await running;
    },
  };
}

async function pushMessage(deps: PushNotifierDeps, message: Message, signal: AbortSignal): Promise<void> {
  const { store } = deps;
  const recipients = pushRecipients(await store.listPushTargets(message.roomId), message);
  if (recipients.length === 0) return;
  const room = await store.getRoom(message.roomId);
  if (room === null) return;
  const names = await namesOf(store, [message.authorId, ...message.mentions]);
  const payload = JSON.stringify(noticeOf(message, room, (id) => names.get(id) ?? 'someone'));
  const keys = await vapidKeys(store);
  await Promise.all(recipients.map((target) => pushWithRetries(deps, { target, payload, keys, signal })));
}

async function namesOf(store: Store, ids: readonly string[]): Promise<Map<string, string>> {
  const users = await Promise.all([...new Set(ids)].map((id) => store.getUser(id)));
  return new Map(users.filter((user) => user !== null).map((user) => [user.id, user.name]));
}

interface OnePush {
  readonly target: PushTarget;
  readonly payload: string;
  readonly keys: VapidKeys;
  readonly signal: AbortSignal;
}

async function pushWithRetries(deps: PushNotifierDeps, push: OnePush): Promise<void> {
  const { options, logger, store } = deps;
  const log = { userId: push.target.userId, endpoint: originOf(push.target.endpoint) };
  for (let attempt = 0; ; attempt++) {
    const outcome = await attemptPush(options, push);
    if (outcome.kind === 'delivered') return;
    if (outcome.kind === 'gone') {
      await store.transaction((tx) => tx.deletePushSubscriptionByEndpoint(push.target.endpoint));
      logger.info({ ...log, status: outcome.status }, 'a push subscription is gone; removed');
      return;
    }
    const delay = options.retryDelaysMs[attempt];
    if (!outcome.retry || delay === undefined || push.signal.aborted) {
      logger.warn({ ...log, error: outcome.error, attempts: attempt + 1 }, 'a push was not delivered');
      return;
    }
    // Stopping ends the wait: the loop then gives up.
    await sleep(delay, undefined, { signal: push.signal }).catch(() => undefined);
  }
}

function attemptPush(options: PushOptions, push: OnePush): Promise<PushOutcome> {
  return sendPush({
    ...push,
    contact: options.contact,
    policy: options.addressPolicy,
    ttlSeconds: options.ttlSeconds,
    signal: AbortSignal.any([push.signal, AbortSignal.timeout(options.timeoutMs)]),
  });
}

/** Only the push service's origin is logged: the rest of an endpoint identifies the browser. */
function originOf(endpoint: string): string {
  return URL.canParse(endpoint) ? new URL(endpoint).origin : 'an endpoint that is not a URL';
}
