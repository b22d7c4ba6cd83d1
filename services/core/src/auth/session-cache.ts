import type { EphemeralSignal } from '../domain/events.ts';
import type { SignedIn } from './sessions.ts';

/** How long a session read from the store is used without reading it again, should a signal that ends it be lost. */
export const SESSION_FRESH_MS = 5_000;
/** Sessions kept at most; past it the oldest read goes first. */
export const SESSION_CACHE_ENTRIES = 10_000;

interface Entry {
  readonly signedIn: SignedIn;
  /** Until when it is used: its read plus SESSION_FRESH_MS, never past the session's expiry. */
  readonly until: number;
}

/**
 * Signed-in sessions as last read from the store, so that a busy client's requests do not each
 * read their session and user again. Whatever ends a session or changes its user is published
 * on the bus as a signal (session.ended, sessions.revoked, user.updated), which reaches every
 * process's cache and drops what it concerns before the command that caused it is answered (the
 * signal is published first, on the same connection). A signal lost with a bus connection
 * leaves an entry in use for SESSION_FRESH_MS at most.
 */
export class SessionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #freshMs: number;
  readonly #maxEntries: number;

  constructor(freshMs = SESSION_FRESH_MS, maxEntries = SESSION_CACHE_ENTRIES) {
    this.#freshMs = freshMs;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The session and its user as read within the last freshMs, or undefined: read it from the store. */
  get(sessionId: string, now: number): SignedIn | undefined {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.signedIn;
    this.#entries.delete(sessionId);
    return undefined;
  }

  /** Keeps what was just read (or written) at `now`. */
  put(signedIn: SignedIn, now: number): void {
    const { id } = signedIn.session;
    this.#entries.delete(id);
    this.#entries.set(id, { signedIn, until: Math.min(now + this.#freshMs, Date.parse(signedIn.session.expiresAt)) });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value ?? id);
  }

  forgetSession(sessionId: string): void {
    this.#entries.delete(sessionId);
  }

  forgetUser(userId: string): void {
    for (const [id, entry] of this.#entries) if (entry.signedIn.user.id === userId) this.#entries.delete(id);
  }

  /** Drops what a signal says has ended or changed; the others concern no session. */
  observe(signal: EphemeralSignal): void {
    if (signal.type === 'session.ended') this.forgetSession(signal.sessionId);
    else if (signal.type === 'sessions.revoked' || signal.type === 'user.updated') this.forgetUser(signal.userId);
  }
}
