import { randomBytes, randomUUID } from 'node:crypto';

/** Record ids: random UUIDs, so no backend needs a sequence to create one. */
export function newId(): string {
  return randomUUID();
}

/** An unguessable token for URLs and headers (join codes, session ids, CSRF tokens). */
export function newToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function nowIso(): string {
  return new Date().toISOString();
}
