import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookSecrets } from '@hearth/core';

/*
 * Signed webhook deliveries (docs/protocol.md §5.3), as Stripe and Standard Webhooks sign theirs:
 * an HMAC-SHA256 over `<timestamp>.<body>`, so a receiver can tell Hearth's POSTs from forged ones
 * and refuse an old one replayed. Each attempt is signed afresh, with the time it is made.
 */

/** The attempt's time, in Unix seconds; a receiver refuses one more than five minutes off. */
export const TIMESTAMP_HEADER = 'hearth-webhook-timestamp';
/** `v1=<hex>`, one per secret signing, separated by spaces: two in a rotation's grace period. */
export const SIGNATURE_HEADER = 'hearth-webhook-signature';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes in base64url. */
export function createWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The secrets an attempt made at `now` is signed with: the bot's own, and the one a rotation
 * replaced until its grace period ends. None for a bot made before deliveries were signed.
 */
export function signingSecrets(secrets: WebhookSecrets | null, now: number): string[] {
  if (secrets === null || secrets.current === null) return [];
  const { previous } = secrets;
  return previous !== null && Date.parse(previous.expiresAt) > now ? [secrets.current, previous.secret] : [secrets.current];
}

/** The HMAC-SHA256 in hex of `<timestamp>.<body>`, keyed with the secret's text (`whsec_` and all). */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The headers that sign one attempt at `now` with each of `secrets` (with none, only the timestamp). */
export function signatureHeaders(secrets: readonly string[], now: number, body: string): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = { [TIMESTAMP_HEADER]: String(timestamp) };
  if (secrets.length > 0) headers[SIGNATURE_HEADER] = secrets.map((secret) => `v1=${signPayload(secret, timestamp, body)}`).join(' ');
  return headers;
}
