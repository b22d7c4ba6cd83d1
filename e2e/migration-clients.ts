import { errorOf, HearthClient } from './client.ts';
import { sleep } from './helpers.ts';
import type { Message, ServerFrame } from './protocol.ts';
import type { RealtimeStream, Transport } from './realtime.ts';

/**
 * The clients of a tier migration's end-to-end run (migration-run.ts): people who keep posting
 * and people who keep following over WebSocket and SSE, on the old tier and then, when the run
 * switches them, on the new one, with the same session (a session is a record, so it is copied).
 */

/** The same person on another tier: the session cookie, CSRF token and user carried over. */
export function onTier(client: HearthClient, url: string): HearthClient {
  const moved = new HearthClient(url);
  for (const [name, value] of client.cookies) moved.cookies.set(name, value);
  moved.csrfToken = client.csrfToken;
  moved.user = client.user;
  return moved;
}

export interface Acknowledged {
  readonly message: Message;
  /** Date.now() when the 201 came. */
  readonly at: number;
  /** The tier's URL that acknowledged it. */
  readonly url: string;
}

export interface Refusal {
  readonly at: number;
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
}

const RETRY_MS = 100;

/**
 * Posts one message after another, alternating over `roomIds`, each retried with the same
 * clientMessageId until a tier answers 201: a 503 (writes paused) or a tier that is gone is
 * retried on whichever tier the writer is on by then.
 */
export class MigratingWriter {
  readonly prefix: string;
  readonly acknowledged: Acknowledged[] = [];
  readonly refusals: Refusal[] = [];
  /** Failures that are not a 503 (a stopped tier's refused connection), for the diagnostics. */
  readonly failures: string[] = [];
  /** 4xx answers, which no retry fixes and which should never come. */
  readonly unexpected: string[] = [];
  #client: HearthClient;
  readonly #roomIds: readonly string[];
  readonly #intervalMs: number;
  #stopping = false;
  #abandoned = false;
  #running: Promise<void> | null = null;

  constructor(client: HearthClient, roomIds: readonly string[], prefix: string, intervalMs: number) {
    this.#client = client;
    this.#roomIds = roomIds;
    this.prefix = prefix;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  moveTo(url: string): void {
    this.#client = onTier(this.#client, url);
  }

  /** Stops after the message in hand is acknowledged; gives it up (noting it in `unexpected`) after `finishWithinMs`. */
  async stop(finishWithinMs = 30_000): Promise<void> {
    this.#stopping = true;
    const timer = setTimeout(() => (this.#abandoned = true), finishWithinMs);
    await this.#running;
    clearTimeout(timer);
  }

  async #run(): Promise<void> {
    for (let n = 1; !this.#stopping; n += 1) {
      const roomId = this.#roomIds[n % this.#roomIds.length]!;
      const acknowledged = await this.#postUntilAcknowledged(roomId, `${this.prefix} says ${n}`, `${this.prefix}-${n}`);
      if (acknowledged === null) return;
      this.acknowledged.push(acknowledged);
      await sleep(this.#intervalMs);
    }
  }

  async #postUntilAcknowledged(roomId: string, body: string, clientMessageId: string): Promise<Acknowledged | null> {
    const path = `/api/rooms/${encodeURIComponent(roomId)}/messages`;
    for (;;) {
      if (this.#abandoned) {
        this.unexpected.push(`${clientMessageId}: still not acknowledged when the writer was stopped`);
        return null;
      }
      const client = this.#client;
      try {
        const response = await client.raw('POST', path, { body, clientMessageId }, { timeoutMs: 15_000 });
        if (response.status === 201) return { message: response.json as Message, at: Date.now(), url: client.baseUrl };
        const refusal = { at: Date.now(), status: response.status, code: errorOf(response)?.code ?? null, retryAfter: response.headers.get('retry-after') };
        if (response.status >= 400 && response.status < 500) this.unexpected.push(`${clientMessageId}: ${response.status} ${response.text.slice(0, 200)}`);
        else this.refusals.push(refusal);
      } catch (error) {
        this.failures.push(`${clientMessageId} on ${client.baseUrl}: ${error instanceof Error ? error.message : String(error)}`);
      }
      await sleep(RETRY_MS);
    }
  }
}

export interface FollowerOptions {
  /** Resume by Last-Event-ID (`room:seq`, as EventSource sends it) for this one room, which is then all it follows. */
  readonly lastEventIdRoom?: string;
}

/**
 * A person's realtime stream, on one tier and then on the next: it leaves the old tier with the
 * last seq it applied per room and connects to the new one resuming from there. Every room event
 * received over all its connections is kept; a duplicate, a gap or a room resumed elsewhere than
 * asked is noted as an anomaly.
 */
export class TierFollower {
  readonly name: string;
  readonly transport: Transport;
  /** Room → the seqs of the room events received, in arrival order. */
  readonly received = new Map<string, number[]>();
  readonly anomalies: string[] = [];
  /** Frames other than room events received (typing, presence), by type: the stream is live. */
  readonly otherFrames = new Map<string, number>();
  #client: HearthClient;
  readonly #options: FollowerOptions;
  readonly #applied = new Map<string, number>();
  #stream: RealtimeStream | null = null;
  #consumed = 0;

  constructor(name: string, client: HearthClient, transport: Transport, options: FollowerOptions = {}) {
    this.name = name;
    this.#client = client;
    this.transport = transport;
    this.#options = options;
  }

  /** Connects on the client's tier; resumes from the seqs applied when it has followed before. */
  async connect(): Promise<void> {
    const resuming = this.#applied.size > 0;
    const room = this.#options.lastEventIdRoom;
    const resume = !resuming
      ? {}
      : room !== undefined
        ? { lastEventId: `${room}:${this.#applied.get(room) ?? 0}` }
        : { resume: Object.fromEntries(this.#applied) };
    this.#stream = this.#client.connect(this.transport, resume);
    this.#consumed = 0;
    await this.#stream.ready;
    this.absorb();
  }

  /** Leaves this tier (closing the stream, keeping what it received) and follows on `url`. */
  async moveTo(url: string): Promise<void> {
    await this.#stream?.close();
    this.absorb();
    this.#client = onTier(this.#client, url);
    await this.connect();
  }

  async stop(): Promise<void> {
    await this.#stream?.close();
    this.absorb();
  }

  /** The last seq applied in each room followed. */
  applied(): ReadonlyMap<string, number> {
    this.absorb();
    return this.#applied;
  }

  /** Takes in the frames of the current stream not yet looked at. */
  absorb(): void {
    const frames = this.#stream?.frames ?? [];
    while (this.#consumed < frames.length) {
      const frame = frames[this.#consumed]!;
      this.#consumed += 1;
      this.#take(frame);
    }
  }

  #take(frame: ServerFrame): void {
    if (frame.type === 'ready') this.#ready(frame.rooms);
    else if (frame.type === 'room.event') this.#event(frame.event.roomId, frame.event.seq);
    else this.otherFrames.set(frame.type, (this.otherFrames.get(frame.type) ?? 0) + 1);
  }

  #follows(roomId: string): boolean {
    return this.#options.lastEventIdRoom === undefined || this.#options.lastEventIdRoom === roomId;
  }

  #ready(rooms: Readonly<Record<string, number>>): void {
    for (const [roomId, seq] of Object.entries(rooms)) {
      if (!this.#follows(roomId)) continue;
      const applied = this.#applied.get(roomId);
      if (applied === undefined) {
        this.#applied.set(roomId, seq);
        this.received.set(roomId, []);
      } else if (seq !== applied) {
        this.anomalies.push(`${this.name}: ready continues room ${roomId} from ${seq}, but it resumed from ${applied}`);
      }
    }
  }

  #event(roomId: string, seq: number): void {
    const received = this.received.get(roomId);
    if (received === undefined) return;
    received.push(seq);
    const applied = this.#applied.get(roomId) ?? 0;
    if (seq === applied + 1) this.#applied.set(roomId, seq);
    else if (seq <= applied) this.anomalies.push(`${this.name}: room ${roomId} seq ${seq} again (applied ${applied})`);
    else this.anomalies.push(`${this.name}: room ${roomId} jumped from ${applied} to ${seq}`);
  }
}
