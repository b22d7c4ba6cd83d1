import type { Session, User } from '../domain/types.ts';
import { newToken, nowIso } from '../ids.ts';
import type { Store } from '../store/store.ts';

export interface SignedIn {
  readonly session: Session;
  readonly user: User;
}

export interface SessionService {
  create(userId: string, meta: { readonly userAgent: string; readonly ip: string }): Promise<Session>;
  /** The live session and its active user, or null (unknown, expired, or the user is deactivated). */
  resolve(sessionId: string): Promise<SignedIn | null>;
  revoke(sessionId: string): Promise<void>;
  revokeUser(userId: string): Promise<void>;
}

/**
 * Sessions live in the Store (they survive restarts). Lookups are not cached: a
 * deactivated user or a deleted session must stop working on the very next request,
 * and both reads are single-row lookups by primary key.
 */
/** Avoid a write per request: the sliding expiry is pushed forward at most once a minute. */
const TOUCH_EVERY_MS = 60_000;

export function createSessionService(store: Store, ttlMs: number): SessionService {
  async function load(sessionId: string): Promise<SignedIn | null> {
    const session = await store.getSession(sessionId);
    if (session === null) return null;
    const user = await store.getUser(session.userId);
    return user === null ? null : { session, user };
  }

  return {
    async create(userId, meta) {
      const now = Date.now();
      const session: Session = {
        id: newToken(32),
        userId,
        csrfToken: newToken(24),
        createdAt: nowIso(),
        lastSeenAt: nowIso(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        userAgent: meta.userAgent.slice(0, 300),
        ip: meta.ip,
      };
      await store.transaction((tx) => tx.insertSession(session));
      return session;
    },
    async resolve(sessionId) {
      const signedIn = await load(sessionId);
      if (signedIn === null || !signedIn.user.active) return null;
      const now = Date.now();
      if (Date.parse(signedIn.session.expiresAt) <= now) {
        await this.revoke(sessionId);
        return null;
      }
      if (now - Date.parse(signedIn.session.lastSeenAt) > TOUCH_EVERY_MS) {
        const lastSeenAt = new Date(now).toISOString();
        const expiresAt = new Date(now + ttlMs).toISOString();
        await store.transaction((tx) => tx.touchSession(sessionId, lastSeenAt, expiresAt));
      }
      return signedIn;
    },
    async revoke(sessionId) {
      await store.transaction((tx) => tx.deleteSession(sessionId));
    },
    async revokeUser(userId) {
      // Open realtime streams end through the sessions.revoked signal.
      await store.transaction((tx) => tx.deleteUserSessions(userId));
    },
  };
}

export const SESSION_COOKIE = 'hearth_session';

/** The session id in a raw Cookie header (for WebSocket upgrades, which bypass the HTTP framework). */
export function sessionIdFromCookieHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return null;
      }
    }
  }
  return null;
}
