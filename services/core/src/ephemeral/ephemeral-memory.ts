import { HearthError } from '../errors.ts';
import type { Ephemeral, RateWindow } from './ephemeral.ts';

const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

export interface EphemeralMemoryOptions {
  /** Milliseconds on a clock that only moves forward; tests pass their own to move time without sleeping. */
  readonly now?: () => number;
  /** How often expired keys are swept out; reads also expire them, lazily, in between. */
  readonly sweepIntervalMs?: number;
}

/** The embedded tier's short-lived state: plain Maps, gone on restart. */
export class EphemeralMemory implements Ephemeral {
  readonly #now: () => number;
  readonly #windows = new ExpiringMap<number>();
  readonly #throttles = new ExpiringMap<true>();
  readonly #values = new ExpiringMap<string>();
  /** userId → connectionId → expiresAt. Never swept by the timer: only expirePresence may report who went offline. */
  readonly #presence = new Map<string, Map<string, number>>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(options: EphemeralMemoryOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async hit(key: string, windowMs: number): Promise<RateWindow> {
    const now = this.#open();
    const current = this.#windows.get(key, now);
    const count = (current?.value ?? 0) + 1;
    const expiresAt = current?.expiresAt ?? now + windowMs;
    this.#windows.set(key, count, expiresAt);
    return { count, resetMs: expiresAt - now };
  }

  async throttle(key: string, ms: number): Promise<boolean> {
    const now = this.#open();
    if (this.#throttles.get(key, now) !== undefined) return false;
    this.#throttles.set(key, true, now + ms);
    return true;
  }

  async get(key: string): Promise<string | null> {
    const now = this.#open();
    return this.#values.get(key, now)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const now = this.#open();
    this.#values.set(key, value, now + ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.#open();
    this.#values.delete(key);
  }

  async touchPresence(userId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    const now = this.#open();
    const connections = this.#presence.get(userId) ?? new Map<string, number>();
    dropExpired(connections, now);
    const cameOnline = connections.size === 0;
    connections.set(connectionId, now + ttlMs);
    this.#presence.set(userId, connections);
    return cameOnline;
  }

  /**
   * Expired but not yet swept connections of the user go too: once the user entry is
   * gone expirePresence cannot report the user, so this call reports them instead.
   */
  async dropPresence(userId: string, connectionId: string): Promise<boolean> {
    const now = this.#open();
    const connections = this.#presence.get(userId);
    if (connections === undefined || !connections.delete(connectionId)) return false;
    dropExpired(connections, now);
    if (connections.size > 0) return false;
    this.#presence.delete(userId);
    return true;
  }

  async expirePresence(): Promise<string[]> {
    const now = this.#open();
    const offline: string[] = [];
    for (const [userId, connections] of this.#presence) {
      dropExpired(connections, now);
      if (connections.size > 0) continue;
      this.#presence.delete(userId);
      offline.push(userId);
    }
    return offline;
  }

  async onlineUsers(): Promise<string[]> {
    const now = this.#open();
    const online: string[] = [];
    for (const [userId, connections] of this.#presence) {
      if ([...connections.values()].some((expiresAt) => expiresAt > now)) online.push(userId);
    }
    return online;
  }

  async ping(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#windows.clear();
    this.#throttles.clear();
    this.#values.clear();
    this.#presence.clear();
  }

  /** Refuses use after close, as a remote store would, and reads the clock once per call. */
  #open(): number {
    if (this.#closed) throw new HearthError('unavailable', 'ephemeral state is closed');
    return this.#now();
  }

  #sweep(): void {
    const now = this.#now();
    this.#windows.sweep(now);
    this.#throttles.sweep(now);
    this.#values.sweep(now);
  }
}

interface Expiring<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/** A Map whose entries vanish at their expiry time: on read, and on sweep. */
class ExpiringMap<V> {
  readonly #entries = new Map<string, Expiring<V>>();

  get(key: string, now: number): Expiring<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}

function dropExpired(connections: Map<string, number>, now: number): void {
  for (const [connectionId, expiresAt] of connections) {
    if (expiresAt <= now) connections.delete(connectionId);
  }
}
