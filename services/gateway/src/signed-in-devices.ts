import { createHash } from 'node:crypto';
import type { Session, SignedInDevice } from '@hearth/core';
import { describeDevice } from './device-name.ts';

/*
 * A person's sessions as the "signed-in devices" page shows them (GET /api/sessions, core's
 * SignedInDevice). A session's own id is its cookie's value, a secret: the page names each session
 * by a digest of it instead, which cannot be turned back into the cookie, and which
 * DELETE /api/sessions/{sessionId} takes.
 */

/** The public name of a session: 22 characters of the SHA-256 of its id (132 bits), URL-safe. */
export function publicSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
}

/** Whether the session can still be used at `now`: an ended one waits in the store until it is next read, unlisted. */
export function isLive(session: Session, now: number): boolean {
  return Date.parse(session.expiresAt) > now;
}

/** The live sessions among a person's (the store gives them most recently seen first), as the page shows them. */
export function buildDeviceList(sessions: readonly Session[], currentSessionId: string, now: number): SignedInDevice[] {
  return sessions
    .filter((session) => isLive(session, now))
    .map((session) => ({
      id: publicSessionId(session.id),
      current: session.id === currentSessionId,
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      expiresAt: session.expiresAt,
      device: describeDevice(session.userAgent),
      userAgent: session.userAgent,
      ip: session.ip,
    }));
}

/** The live session of a person's that `publicId` names; null for an unknown, ended or someone else's. */
export function findSession(sessions: readonly Session[], publicId: string, now: number): Session | null {
  return sessions.find((session) => isLive(session, now) && publicSessionId(session.id) === publicId) ?? null;
}
