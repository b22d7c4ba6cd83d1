import type { Link } from '@opentelemetry/api';
import {
  contextOfTraceparent,
  linkTo,
  observeWithTrace,
  SpanKind,
  traceIdOfTraceparent,
  tracer,
  withSpan,
  type Bus,
  type Ephemeral,
  type EphemeralSignal,
  type HearthMetrics,
  type Logger,
  type RoomEvent,
  type Store,
  type Subscription,
} from '@hearth/core';
import type { Connection, TransportKind } from './connection.ts';
import { LiveDelivery, type DeliveredBatch } from './live-delivery.ts';

/** A connection is forgotten by presence this long after its last sign of life. */
export const PRESENCE_TTL_MS = 60_000;
const PRESENCE_SWEEP_MS = 15_000;
const TYPING_THROTTLE_MS = 3_000;
/**
 * Presence renewals the sweep has in flight at once. They go out on one Redis connection without
 * waiting for each other's replies (a pipeline), so a sweep costs a few round trips, not one per connection.
 */
const TOUCH_PIPELINE = 256;

export interface HubDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly ephemeral: Ephemeral;
  readonly logger: Logger;
  readonly metrics: HearthMetrics;
}

/**
 * Indexes this process's connections by room and by user, routes each bus event
 * to the connections that should see it, and keeps presence.
 */
export class Hub {
  readonly #deps: HubDeps;
  readonly #byRoom = new Map<string, Set<Connection>>();
  readonly #byUser = new Map<string, Set<Connection>>();
  readonly #subscriptions: Subscription[];
  readonly #sweep: NodeJS.Timeout;
  readonly #live: LiveDelivery;

  constructor(deps: HubDeps) {
    this.#deps = deps;
    this.#live = new LiveDelivery({
      connectionsIn: (roomId) => this.#byRoom.get(roomId) ?? [],
      onCatchUp: (work) => this.#offer(work),
      delivered: (batch) => this.#delivered(batch),
    });
    deps.metrics.onCollect(() => {
      const open: Record<TransportKind, number> = { websocket: 0, sse: 0 };
      for (const set of this.#byUser.values()) for (const connection of set) open[connection.transportKind] += 1;
      for (const [transport, count] of Object.entries(open)) deps.metrics.connections.set({ transport }, count);
    });
    this.#subscriptions = [deps.bus.subscribeRoomEvents((event) => this.#route(event)), deps.bus.subscribeSignals((signal) => this.#signal(signal))];
    this.#sweep = setInterval(() => void this.#sweepPresence(), PRESENCE_SWEEP_MS);
    this.#sweep.unref();
  }

  get connectionCount(): number {
    let count = 0;
    for (const set of this.#byUser.values()) count += set.size;
    return count;
  }

  /**
   * Store and bus reads for one room's catch-up: the bus's replay when it still holds
   * it, else the store, which is the source of truth (also while the bus is down).
   */
  async loadEvents(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[]> {
    const { bus, store, logger } = this.#deps;
    const replayed = await bus.replayRoom(roomId, afterSeq, limit).catch((error: unknown) => {
      logger.warn({ err: error, roomId }, 'bus replay failed; catching up from the store');
      return null;
    });
    return replayed ?? store.eventsSince(roomId, afterSeq, limit);
  }

  /**
   * Registers a connection for a room's live events. Returns true when live delivery has
   * passed no event of the room after `afterSeq` (and has passed one, so it is following the
   * room): every later event is then still to reach the connection live, and a catch-up read
   * would find nothing. Where it does not know, the connection catches up.
   */
  roomJoined(connection: Connection, roomId: string, afterSeq: number): boolean {
    add(this.#byRoom, roomId, connection);
    const passed = this.#live.passedSeq(roomId);
    return passed !== undefined && passed <= afterSeq;
  }

  roomLeft(connection: Connection, roomId: string): void {
    remove(this.#byRoom, roomId, connection);
  }

  /** Registers a connection and announces its user if they just came online. */
  async attach(connection: Connection): Promise<void> {
    add(this.#byUser, connection.userId, connection);
    await this.touch(connection);
  }

  async detach(connection: Connection): Promise<void> {
    remove(this.#byUser, connection.userId, connection);
    for (const roomId of connection.roomIds()) remove(this.#byRoom, roomId, connection);
    if (await this.#deps.ephemeral.dropPresence(connection.userId, connection.id)) await this.#presence(connection.userId, false);
  }

  async touch(connection: Connection): Promise<void> {
    if (await this.#deps.ephemeral.touchPresence(connection.userId, connection.id, PRESENCE_TTL_MS)) {
      await this.#presence(connection.userId, true);
    }
  }

  async typing(connection: Connection, roomId: string): Promise<void> {
    if (!connection.hasRoom(roomId)) return;
    if (!(await this.#deps.ephemeral.throttle(`typing:${roomId}:${connection.userId}`, TYPING_THROTTLE_MS))) return;
    await this.#deps.bus.publishSignal({ type: 'typing', roomId, userId: connection.userId, at: new Date().toISOString() });
  }

  online(): Promise<string[]> {
    return this.#deps.ephemeral.onlineUsers();
  }

  /** Closes every connection (shutdown) and stops listening to the bus. */
  close(): void {
    clearInterval(this.#sweep);
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#live.close();
    for (const set of this.#byUser.values()) for (const c of [...set]) c.close('shutting_down', 'the server is restarting; reconnect with resume');
  }

  #route(event: RoomEvent): void {
    this.#live.push(event);
    // A new member's connections start streaming the room from the event that added them.
    if (event.type === 'membership.added') {
      for (const connection of this.#byUser.get(event.membership.userId) ?? []) {
        if (!connection.hasRoom(event.roomId)) this.#offer(connection.joinRoom(event.roomId, event.seq - 1));
      }
    }
  }

  /**
   * A batch has reached every socket of its room here. Each event's latency counts from its
   * commit; the fan-out is one span, recorded now that it is over, in the trace of the batch's
   * first post and linked to the others' (one batch can serve many posts). A room with no
   * connection here delivered nothing, and counts nothing: a fast no-op would dilute the
   * latency of the processes that did deliver.
   */
  #delivered({ events, connections, dropped, startedAt }: DeliveredBatch): void {
    if (connections === 0) return;
    const { metrics, logger } = this.#deps;
    const now = Date.now();
    for (const event of events)
      observeWithTrace(metrics.delivery, Math.max(0, now - Date.parse(event.at)) / 1_000, {}, traceIdOfTraceparent(event.traceparent));
    metrics.fanoutSends.inc(events.length * connections - dropped);
    if (dropped > 0) metrics.fanoutDrops.inc(dropped);
    const [first, ...rest] = events;
    if (first?.traceparent === undefined) return;
    const links = rest.map((event) => linkTo(event.traceparent)).filter((link): link is Link => link !== null);
    const attributes = { 'hearth.events': events.length, 'hearth.connections': connections };
    const span = tracer().startSpan(
      'hearth.fanout',
      { kind: SpanKind.CONSUMER, startTime: startedAt, links, attributes },
      contextOfTraceparent(first.traceparent),
    );
    withSpan(span, () => logger.debug({ events: events.length, connections }, 'room events delivered'));
    span.end(now);
  }

  #signal(signal: EphemeralSignal): void {
    switch (signal.type) {
      case 'typing':
        return this.#typing(signal.roomId, signal.userId);
      case 'presence': {
        // One frame object for all: its text is made once (frame-json.ts).
        const frame = { type: 'presence', userId: signal.userId, online: signal.online } as const;
        return this.#each(
          () => true,
          (c) => c.send(frame),
        );
      }
      case 'sessions.revoked':
        return this.#each(
          (c) => c.userId === signal.userId,
          (c) => c.close('unauthenticated', 'your session ended'),
        );
      case 'session.ended':
        return this.#each(
          (c) => c.sessionId === signal.sessionId,
          (c) => c.close('unauthenticated', 'you signed out'),
        );
      case 'user.updated': {
        // Everyone sees everyone's name and picture, so everyone hears of the change.
        const frame = { type: 'user.updated', userId: signal.userId } as const;
        return this.#each(
          () => true,
          (c) => c.send(frame),
        );
      }
    }
  }

  #typing(roomId: string, userId: string): void {
    const frame = { type: 'typing', roomId, userId } as const;
    for (const c of this.#byRoom.get(roomId) ?? []) {
      if (c.userId !== userId) c.send(frame);
    }
  }

  /** Applies `act` to every connection `matches` picks; a snapshot, since closing one changes the sets. */
  #each(matches: (connection: Connection) => boolean, act: (connection: Connection) => void): void {
    const picked = [...this.#byUser.values()].flatMap((set) => [...set].filter(matches));
    for (const connection of picked) act(connection);
  }

  #offer(work: Promise<void>): void {
    work.catch((error: unknown) => this.#deps.logger.error({ err: error }, 'delivering a room event failed'));
  }

  async #presence(userId: string, online: boolean): Promise<void> {
    await this.#deps.bus.publishSignal({ type: 'presence', userId, online, at: new Date().toISOString() });
  }

  async #sweepPresence(): Promise<void> {
    try {
      await this.#touchOpenConnections();
      for (const userId of await this.#deps.ephemeral.expirePresence()) await this.#presence(userId, false);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'presence sweep failed');
    }
  }

  /** Renews the presence of every open connection of this process, TOUCH_PIPELINE at a time. */
  async #touchOpenConnections(): Promise<void> {
    const open = [...this.#byUser.values()].flatMap((set) => [...set].filter((c) => !c.closed));
    for (let i = 0; i < open.length; i += TOUCH_PIPELINE) {
      await Promise.all(open.slice(i, i + TOUCH_PIPELINE).map((c) => this.touch(c)));
    }
  }
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
