import type { HearthClient } from './client.ts';
import { sleep } from './helpers.ts';
import type { Message, RoomEvent, ServerFrame } from './protocol.ts';
import { connectStream, type RealtimeStream, type StreamClosed, type Transport, type WebSocketStream } from './realtime.ts';

/**
 * What the fault-tolerance tests of the server tiers share: posters that keep posting
 * and retry until acknowledged, realtime members that reconnect with resume whenever
 * their stream ends, and a look at NATS's monitoring endpoint.
 */

/** Polls `check` until it holds; fails with `what` (and `explain()`) after timeoutMs. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, explain: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms. ${explain()}`);
    await sleep(50);
  }
}

/** The promise's value, or a failure naming `what` after timeoutMs. */
export async function within<T>(what: string, work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface ConnzSubscription {
  readonly subject: string;
  readonly qgroup?: string;
  readonly msgs: number;
}

interface Connz {
  readonly connections: readonly { readonly cid: number; readonly subscriptions_list_detail?: readonly ConnzSubscription[] }[];
}

/**
 * Per NATS connection in the `messaging` queue group (one per messaging process): how
 * many commands it has been handed so far, from nats-server's /connz.
 */
export async function commandsHandledPerConnection(monitorUrl: string): Promise<Map<number, number>> {
  const response = await fetch(`${monitorUrl}/connz?subs=detail&limit=1024`, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) throw new Error(`${monitorUrl}/connz answered ${response.status}`);
  const connz = (await response.json()) as Connz;
  const handled = new Map<number, number>();
  for (const connection of connz.connections) {
    for (const subscription of connection.subscriptions_list_detail ?? []) {
      if (subscription.qgroup === 'messaging' && subscription.subject.includes('.cmd.')) {
        handled.set(connection.cid, (handled.get(connection.cid) ?? 0) + subscription.msgs);
      }
    }
  }
  return handled;
}

const POST_TIMEOUT_MS = 15_000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

/**
 * Posts one message after another (waiting `intervalMs` after each acknowledgement),
 * alternating over `roomIds`. A POST that fails or times out is not acknowledged and is
 * retried with the same clientMessageId until one answers 201; once stopped, the message
 * in hand is still retried until acknowledged (or `finishWithinMs` passes), so every
 * message ever attempted ends up acknowledged.
 */
export class SteadyPoster {
  readonly client: HearthClient;
  readonly prefix: string;
  /** Every post sent, whether or not an answer came: its clientMessageId and body (a retry is the same post). */
  readonly attempted: { readonly clientMessageId: string; readonly body: string }[] = [];
  readonly acknowledged: Message[] = [];
  /** When each acknowledgement arrived (Date.now()), in the order of `acknowledged`. */
  readonly acknowledgedAt: number[] = [];
  /** When the attempt that was acknowledged was sent (Date.now()), in the order of `acknowledged`: tells a post sent after a fault from one in flight. */
  readonly acknowledgedSentAt: number[] = [];
  /** 503 answers that did not say when to retry (Retry-After). */
  readonly withoutRetryAfter: string[] = [];
  /** Failed attempts (status or error), for the test's diagnostics. */
  readonly failures: string[] = [];
  /** Answers no retry can fix (a 4xx), which should never happen here. */
  readonly unexpected: string[] = [];
  readonly #roomIds: readonly string[];
  readonly #intervalMs: number;
  #stopping = false;
  #giveUpAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | null = null;

  constructor(client: HearthClient, roomIds: readonly string[], prefix: string, intervalMs: number) {
    this.client = client;
    this.#roomIds = roomIds;
    this.prefix = prefix;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops posting new messages; resolves once the one in hand is acknowledged. */
  async stop(finishWithinMs = 60_000): Promise<void> {
    this.#stopping = true;
    this.#giveUpAt = Date.now() + finishWithinMs;
    await this.#running;
  }

  async #run(): Promise<void> {
    for (let n = 1; !this.#stopping; n += 1) {
      const roomId = this.#roomIds[n % this.#roomIds.length] as string;
      const attempt = { clientMessageId: `${this.prefix}-${n}`, body: `${this.prefix} says ${n}` };
      this.attempted.push(attempt);
      const { message, sentAt } = await this.#postUntilAcknowledged(roomId, attempt.body, attempt.clientMessageId);
      this.acknowledged.push(message);
      this.acknowledgedAt.push(Date.now());
      this.acknowledgedSentAt.push(sentAt);
      await sleep(this.#intervalMs);
    }
  }

  async #postUntilAcknowledged(roomId: string, body: string, clientMessageId: string): Promise<{ message: Message; sentAt: number }> {
    const path = `/api/rooms/${encodeURIComponent(roomId)}/messages`;
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      let failure: string;
      const sentAt = Date.now();
      try {
        const response = await this.client.raw('POST', path, { body, clientMessageId }, { timeoutMs: POST_TIMEOUT_MS });
        if (response.status === 201) return { message: response.json as Message, sentAt };
        failure = `${clientMessageId}: ${response.status} ${response.text.slice(0, 200)}`;
        if (response.status >= 400 && response.status < 500) this.unexpected.push(failure);
        if (response.status === 503 && response.headers.get('retry-after') === null) this.withoutRetryAfter.push(failure);
      } catch (error) {
        failure = `${clientMessageId}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      }
      this.failures.push(failure);
      if (Date.now() > this.#giveUpAt) throw new Error(`${this.prefix} gave up on ${clientMessageId} after the load stopped; last failure: ${failure}`);
      await sleep(delay);
    }
  }
}

const PING_EVERY_MS = 20_000;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 1_000;

/**
 * A member's realtime stream that reconnects, with `resume` set to the last seq applied
 * per room, whenever it ends. It keeps every room event received over all its
 * connections, in arrival order, and notes anything a correct server never sends (a
 * duplicate, a gap, a resumed room restarting elsewhere than asked).
 */
export class ResumingMember {
  readonly name: string;
  readonly transport: Transport;
  /** Every room event of the rooms it started with, over all connections, in arrival order. */
  readonly received = new Map<string, RoomEvent[]>();
  /** The room's seq the first ready frame gave. */
  readonly started = new Map<string, number>();
  readonly anomalies: string[] = [];
  /** How each connection ended. */
  readonly ends: StreamClosed[] = [];
  readonly firstReady: Promise<void>;
  connections = 0;
  readonly #client: HearthClient;
  readonly #baseUrl: string;
  readonly #applied = new Map<string, number>();
  readonly #firstReady = Promise.withResolvers<void>();
  #current: RealtimeStream | null = null;
  #consumed = 0;
  #stopped = false;
  #running: Promise<void> | null = null;

  constructor(name: string, client: HearthClient, transport: Transport, baseUrl: string) {
    this.name = name;
    this.#client = client;
    this.transport = transport;
    this.#baseUrl = baseUrl;
    this.firstReady = this.#firstReady.promise;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#current?.close();
    await this.#running;
  }

  /** The last seq applied in the room (taking in what the current connection has received). */
  applied(roomId: string): number | undefined {
    this.#absorb();
    return this.#applied.get(roomId);
  }

  async #run(): Promise<void> {
    let delay = RECONNECT_FIRST_MS;
    while (!this.#stopped) {
      const resume = Object.fromEntries(this.#applied);
      const stream = connectStream(this.transport, this.#baseUrl, { cookie: this.#client.cookieHeader(), ...(this.#applied.size > 0 ? { resume } : {}) });
      this.#current = stream;
      this.#consumed = 0;
      this.connections += 1;
      // Frames are taken in when asked for (applied()) and when the stream ends; ready at once.
      stream.ready.then(
        () => this.#absorb(),
        () => undefined,
      );
      const pinger = this.transport === 'websocket' ? setInterval(() => ping(stream as WebSocketStream), PING_EVERY_MS) : undefined;
      const end = await stream.closed;
      clearInterval(pinger);
      this.#absorb();
      this.ends.push(end);
      const gotReady = stream.frames.some((frame) => frame.type === 'ready');
      delay = gotReady ? RECONNECT_FIRST_MS : Math.min(RECONNECT_MAX_MS, delay * 2);
      if (!this.#stopped) await sleep(delay);
    }
  }

  /** Applies the current connection's frames not yet taken in. */
  #absorb(): void {
    const frames = this.#current?.frames ?? [];
    while (this.#consumed < frames.length) {
      const frame = frames[this.#consumed] as ServerFrame;
      this.#consumed += 1;
      if (frame.type === 'ready') this.#ready(frame.rooms);
      else if (frame.type === 'room.event') this.#event(frame.event);
    }
  }

  #ready(rooms: Readonly<Record<string, number>>): void {
    const first = this.started.size === 0;
    for (const [roomId, seq] of Object.entries(rooms)) {
      const applied = this.#applied.get(roomId);
      if (first) {
        this.started.set(roomId, seq);
        this.#applied.set(roomId, seq);
        this.received.set(roomId, []);
      } else if (applied !== undefined && seq !== applied) {
        this.anomalies.push(`connection ${this.connections}: ready continues room ${roomId} from ${seq}, but the resume asked for ${applied}`);
      }
    }
    this.#firstReady.resolve();
  }

  #event(event: RoomEvent): void {
    const received = this.received.get(event.roomId);
    if (received === undefined) return;
    received.push(event);
    const applied = this.#applied.get(event.roomId) ?? 0;
    if (event.seq === applied + 1) this.#applied.set(event.roomId, event.seq);
    else if (event.seq <= applied) this.anomalies.push(`connection ${this.connections}: room ${event.roomId} seq ${event.seq} again (applied ${applied})`);
    else this.anomalies.push(`connection ${this.connections}: room ${event.roomId} jumped from ${applied} to ${event.seq}`);
  }
}

function ping(stream: WebSocketStream): void {
  try {
    stream.send({ type: 'ping' });
  } catch {
    // The socket is closing; the reconnect follows.
  }
}
