import type { Session, User } from '../domain/types.ts';
import { newToken } from '../ids.ts';
import type { Store } from '../store/store.ts';
import { GATED } from '../store/write-gate.ts';
import type { SessionCache } from './session-cache.ts';

export interface SignedIn {
  readonly session: Session;
  readonly user: User;
}

export interface SessionMeta {
  readonly userAgent: string;
  readonly ip: string;
  /** The provider's session (`sid` claim) for a sign-in through SSO, so its back-channel logout can end this one. */
  readonly idpSessionId?: string | null;
}

export interface SessionService {
  create(userId: string, meta: SessionMeta): Promise<Session>;
  /** The live session and its active user, or null (unknown, idle or too old, or the user is deactivated). */
  resolve(sessionId: string): Promise<SignedIn | null>;
  revoke(sessionId: string): Promise<void>;
  /** Ends every session of the user but `keepSessionId`; returns the ids ended, for the signals that close their streams. */
  revokeOthers(userId: string, keepSessionId: string): Promise<string[]>;
  revokeUser(userId: string): Promise<void>;
}

export interface SessionPolicy {
  /** A session unused for this long ends (sliding). */
  readonly idleTimeoutMs: number;
  /** A session ends this long after sign-in however much it is used. */
  readonly maxAgeMs: number;
}

/** Avoid a write per request: the sliding expiry is pushed forward at most once a minute. */
const TOUCH_EVERY_MS = 60_000;

/** When a session used at `now` next expires: idle timeout from now, never past its maximum age. */
export function slidingExpiry(createdAt: string, now: number, policy: SessionPolicy): number {
  return Math.min(now + policy.idleTimeoutMs, Date.parse(createdAt) + policy.maxAgeMs);
}

/**
 * Sessions live in the Store (they survive restarts); the session and its user come in one read
 * by primary key. With a cache (session-cache.ts), what was read is used for a few seconds, and
 * dropped at once when a signal says the session ended or its user changed: a deactivated user
 * or a deleted session stops working on the next request. What this service ends itself it
 * drops from its own cache before answering.
 */
export function createSessionService(store: Store, policy: SessionPolicy, now: () => number = Date.now, cache: SessionCache | null = null): SessionService {
  /** One read of the session and its user, unless the cache has it: every signed-in request starts here. */
  const load = async (sessionId: string, at: number): Promise<SignedIn | null> => {
    const cached = cache?.get(sessionId, at);
    if (cached !== undefined) return cached;
    const read = await store.getSessionWithUser(sessionId);
    // Only a usable session is kept: a deactivated user's is read again, to see them back.
    if (read?.user.active === true) cache?.put(read, at);
    return read;
  };

  return {
    async create(userId, meta) {
      const at = now();
      const createdAt = new Date(at).toISOString();
      const session: Session = {
        id: newToken(32),
        userId,
        csrfToken: newToken(24),
        createdAt,
        lastSeenAt: createdAt,
        expiresAt: new Date(slidingExpiry(createdAt, at, policy)).toISOString(),
        userAgent: meta.userAgent.slice(0, 300),
        ip: meta.ip,
        idpSessionId: meta.idpSessionId ?? null,
      };
      await store.transaction((tx) => tx.insertSession(session), GATED);
      return session;
    },
    async resolve(sessionId) {
      const at = now();
      const signedIn = await load(sessionId, at);
      if (signedIn === null || !signedIn.user.active) return null;
      if (Date.parse(signedIn.session.expiresAt) <= at) {
        await this.revoke(sessionId);
        return null;
      }
      if (at - Date.parse(signedIn.session.lastSeenAt) <= TOUCH_EVERY_MS) return signedIn;
      const lastSeenAt = new Date(at).toISOString();
      const expiresAt = new Date(slidingExpiry(signedIn.session.createdAt, at, policy)).toISOString();
      await store.transaction((tx) => tx.touchSession(sessionId, lastSeenAt, expiresAt));
      const touched = { ...signedIn, session: { ...signedIn.session, lastSeenAt, expiresAt } };
      cache?.put(touched, at);
      return touched;
    },
    async revoke(sessionId) {
      await store.transaction((tx) => tx.deleteSession(sessionId), GATED);
      cache?.forgetSession(sessionId);
    },
    async revokeOthers(userId, keepSessionId) {
      const ended = await store.transaction((tx) => tx.deleteOtherSessionsOfUser(userId, keepSessionId), GATED);
      for (const sessionId of ended) cache?.forgetSession(sessionId);
      return ended;
    },
    async revokeUser(userId) {
      // Open realtime streams end through the sessions.revoked signal.
      await store.transaction((tx) => tx.deleteUserSessions(userId), GATED);
      cache?.forgetUser(userId);
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
