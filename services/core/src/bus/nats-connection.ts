import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BusConfig } from '../config.ts';
import { within } from '../deadline.ts';
import { unavailable } from './nats-errors.ts';

export type NatsBusConfig = Extract<BusConfig, { type: 'nats' }>;

/** nats.js pings every 2 minutes by default; a dead server would go unnoticed for minutes. */
const PING_INTERVAL_MS = 20_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
const DRAIN_TIMEOUT_MS = 5_000;

/** A connection and the watch that follows its state. */
export interface WatchedConnection {
  readonly nc: NatsConnection;
  readonly watch: ConnectionWatch;
}

/** Connects for good (it reconnects for ever); refuses with a message naming NATS and the servers. */
export async function connectWatched(config: NatsBusConfig): Promise<WatchedConnection> {
  const watch = new ConnectionWatch();
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...config.servers],
      name: `hearth-${config.instance}`,
      ...(config.credentials === undefined ? {} : { user: config.credentials.user, pass: config.credentials.pass }),
      maxReconnectAttempts: -1,
      pingInterval: PING_INTERVAL_MS,
      reconnectDelayHandler: () => watch.reconnectDelay(),
      // Otherwise every request (each command, each JetStream publish) creates two Errors up
      // front, for their stacks: 5% of the gateway's and messaging's CPU while posting. A
      // request that fails is reported with its subject and command by our own errors.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw unavailable(`cannot connect to ${serversOf(config)}`, error);
  }
  watch.follow(nc);
  return { nc, watch };
}

export function serversOf(config: NatsBusConfig): string {
  return `NATS at ${config.servers.join(', ')}`;
}

/** Flushes what is pending, within a bound, and closes. */
export async function drainAndClose(nc: NatsConnection): Promise<void> {
  try {
    await within(nc.drain(), DRAIN_TIMEOUT_MS, () => new Error('drain timed out'));
  } catch {
    // Already closed, or the server is gone: nothing left to flush.
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * Follows the connection's state. nats.js v3 discards what was written while disconnected
 * when it reconnects, so a publish or request made during an outage is lost and only times
 * out; waiting for the reconnect first lets it go through at once.
 *
 * nats.js also asks for the wait before each reconnect attempt without saying how many
 * failed, so the back-off grows with the length of the outage instead.
 */
export class ConnectionWatch {
  #connected = true;
  #since: number | undefined;
  #reconnected = Promise.withResolvers<void>();

  reconnectDelay(): number {
    const now = Date.now();
    this.#since ??= now;
    const wait = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_MIN_MS, (now - this.#since) / 4));
    return Math.round(wait * (0.8 + Math.random() * 0.4));
  }

  follow(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) this.#observe(status.type);
    })().catch(() => undefined);
    void nc.closed().then(() => this.#reconnected.resolve());
  }

  /** Resolves once connected, or after `ms` regardless: the caller's own timeout then speaks. */
  async connected(ms: number): Promise<void> {
    if (this.#connected) return;
    await within(this.#reconnected.promise, ms, () => new Error('still disconnected')).catch(() => undefined);
  }

  #observe(type: string): void {
    if (type === 'disconnect') {
      this.#connected = false;
    } else if (type === 'reconnect') {
      this.#connected = true;
      this.#since = undefined;
      this.#reconnected.resolve();
      this.#reconnected = Promise.withResolvers<void>();
    }
  }
}
