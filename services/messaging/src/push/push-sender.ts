import type { OutboundAddressPolicy, PushTarget, VapidKeys } from '@hearth/core';
import type * as WebPush from 'web-push';
import { postOutbound, RefusedAddressError } from '../outbound-post.ts';

/** How one push went: delivered to the push service, gone (the browser unsubscribed), or failed. */
export type PushOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'gone'; readonly status: number }
  | { readonly kind: 'failed'; readonly error: string; readonly retry: boolean };

export interface PushSend {
  readonly target: PushTarget;
  /** The notice as JSON; encrypted to the browser's key here. */
  readonly payload: string;
  readonly keys: VapidKeys;
  /** The VAPID subject: how the push service reaches whoever runs this Hearth. */
  readonly contact: string;
  readonly policy: OutboundAddressPolicy;
  readonly signal: AbortSignal;
  /** How long the push service keeps the message for a browser that is offline. */
  readonly ttlSeconds: number;
}

/** web-push is loaded by the first push, so a Hearth nobody subscribes to never loads it. */
let loading: Promise<typeof WebPush.generateRequestDetails> | null = null;

/**
 * Encrypts the payload to the browser's keys (RFC 8291, aes128gcm), signs the request with the
 * VAPID keys (RFC 8292) — both by the web-push library — and POSTs it to the browser's push
 * service through the same guarded request as a webhook (outbound-post.ts).
 */
export async function sendPush(send: PushSend): Promise<PushOutcome> {
  const { target, keys } = send;
  // CommonJS: its functions are on the default export only.
  loading ??= import('web-push').then((module) => module.default.generateRequestDetails);
  const generateRequestDetails = await loading;
  const details = generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, send.payload, {
    vapidDetails: { subject: send.contact, publicKey: keys.publicKey, privateKey: keys.privateKey },
    TTL: send.ttlSeconds,
    urgency: 'high',
    contentEncoding: 'aes128gcm',
  });
  const headers = Object.fromEntries(Object.entries(details.headers).map(([name, value]) => [name, String(value)]));
  try {
    const answer = await postOutbound({ url: details.endpoint, body: details.body, headers, signal: send.signal, policy: send.policy, maxReplyBytes: 4096 });
    return outcomeOf(answer.status, answer.text);
  } catch (error) {
    if (error instanceof RefusedAddressError) return { kind: 'failed', error: `the push service's address is refused: ${error.message}`, retry: false };
    return { kind: 'failed', error: `the push service could not be reached (${error instanceof Error ? error.message : String(error)})`, retry: true };
  }
}

/** RFC 8030: 201 accepted; 404 and 410 the subscription is gone; 429 and 5xx worth another try; the rest a refusal of this request. */
export function outcomeOf(status: number, text: string | null): PushOutcome {
  if (status >= 200 && status <= 299) return { kind: 'delivered' };
  if (status === 404 || status === 410) return { kind: 'gone', status };
  const said = text === null || text.trim() === '' ? '' : `: ${text.trim().slice(0, 200)}`;
  return { kind: 'failed', error: `the push service answered HTTP ${status}${said}`, retry: status === 429 || status >= 500 };
}
