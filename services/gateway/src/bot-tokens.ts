import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '@hearth/core';

/**
 * Bot API tokens: `hbt_<tokenId>_<secret>`. The id finds the stored token; the secret
 * (32 random bytes, base64url) proves the caller holds it. Only the secret's hash is stored.
 */
export const BOT_TOKEN_PREFIX = 'hbt_';
const SECRET_BYTES = 32;
const TOKEN = /^hbt_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43,128})$/;

export interface NewBotToken {
  readonly tokenId: string;
  /** The whole token, shown to the administrator once and never again. */
  readonly token: string;
  readonly secretHash: string;
}

export function createBotToken(): NewBotToken {
  const tokenId = newId();
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { tokenId, token: `${BOT_TOKEN_PREFIX}${tokenId}_${secret}`, secretHash: hashBotSecret(secret) };
}

/** The id and secret of a presented token; null when it is not shaped like one. */
export function parseBotToken(presented: string): { readonly tokenId: string; readonly secret: string } | null {
  const match = TOKEN.exec(presented);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { tokenId: match[1], secret: match[2] };
}

/**
 * sha256, not a slow password hash: the secret is 256 random bits, so there is nothing to
 * guess by trying candidates against a stolen hash. A slow hash only protects low-entropy,
 * human-chosen passwords, and here it would cost every bot request its time.
 */
export function hashBotSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares in constant time, so response timing does not tell how much of a guess was right. */
export function botSecretMatches(secret: string, secretHash: string): boolean {
  const presented = Buffer.from(hashBotSecret(secret), 'hex');
  const stored = Buffer.from(secretHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
