/**
 * Short-lived state that may be lost on restart: presence, typing throttles,
 * rate-limit counters, cached session lookups.
 * Implementations: EphemeralMemory (in process), EphemeralRedis.
 */
export interface Ephemeral {
  /**
   * Counts a hit on `key` in a fixed window of `windowMs` and returns the count
   * in the current window, including this hit.
   */
  hit(key: string, windowMs: number): Promise<RateWindow>;

  /** Returns true the first time it is called for `key` within `ms`; false until then. */
  throttle(key: string, ms: number): Promise<boolean>;

  /** A value with a time to live. */
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;

  /**
   * Marks `connectionId` of `userId` alive until now + ttlMs.
   * Returns true when the user had no live connection before (came online).
   */
  touchPresence(userId: string, connectionId: string, ttlMs: number): Promise<boolean>;
  /** Drops one connection; returns true when it was the user's last one (went offline). */
  dropPresence(userId: string, connectionId: string): Promise<boolean>;
  /** Forgets connections whose time ran out; returns the users that thereby went offline. */
  expirePresence(): Promise<string[]>;
  /** Users with at least one live connection. */
  onlineUsers(): Promise<string[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RateWindow {
  readonly count: number;
  /** Milliseconds until the window resets. */
  readonly resetMs: number;
}
