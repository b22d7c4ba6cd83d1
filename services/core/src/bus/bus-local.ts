import type { EphemeralSignal, RoomEvent } from '../domain/events.ts';
import { HearthError } from '../errors.ts';
import { answerCommand } from './answer-command.ts';
import type { Bus, CommandHandler, CommandReply, CommandRequest, RoomEventListener, SignalListener, Subscription } from './bus.ts';
import { Fanout } from './fanout.ts';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface BusLocalOptions {
  /** Room events kept per room for replayRoom; the oldest are dropped beyond it. 0 keeps none. */
  readonly replayLimit: number;
  /** Receives what a listener or command handler threw; delivery to the others carries on. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The embedded tier's bus: one process, nothing durable. Its replay log is lost on
 * restart, which replayRoom answers with null so the caller reads the Store instead.
 */
export class BusLocal implements Bus {
  readonly #replayLimit: number;
  readonly #onError: (error: unknown) => void;
  readonly #rooms = new Map<string, RoomLog>();
  readonly #roomEvents: Fanout<RoomEvent>;
  readonly #signals: Fanout<EphemeralSignal>;
  readonly #handlerWaiters = new Set<PromiseWithResolvers<CommandHandler>>();
  #registration: { readonly handler: CommandHandler } | undefined;
  #closed = false;

  constructor(options: BusLocalOptions) {
    this.#replayLimit = options.replayLimit;
    this.#onError = options.onError ?? warn;
    this.#roomEvents = new Fanout(this.#onError);
    this.#signals = new Fanout(this.#onError);
  }

  /** The deadline covers waiting for a handler to register and the handler's answer, as a NATS request's does. */
  async request(request: CommandRequest, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<CommandReply> {
    this.#assertOpen();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(noAnswer()), timeoutMs);
    try {
      // Awaiting here also keeps the handler out of the caller's own stack.
      const handler = await this.#awaitHandler(deadline.signal);
      return await untilAborted(answerCommand(handler, request, this.#onError), deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  handleCommands(handler: CommandHandler): Subscription {
    if (this.#registration !== undefined) throw new Error('BusLocal: a command handler is already registered');
    const registration = { handler };
    this.#registration = registration;
    for (const waiter of this.#handlerWaiters) waiter.resolve(handler);
    this.#handlerWaiters.clear();
    return {
      unsubscribe: () => {
        if (this.#registration === registration) this.#registration = undefined;
      },
    };
  }

  async publishRoomEvent(event: RoomEvent): Promise<void> {
    this.#assertOpen();
    const log = this.#logOf(event.roomId);
    if (!log.append(event, this.#replayLimit)) return;
    this.#roomEvents.publish(event);
  }

  /** Taken, as BusNats's feed takes one, only as the next event of a room already published here. */
  announceRoomEvent(event: RoomEvent): void {
    if (this.#closed) return;
    const log = this.#rooms.get(event.roomId);
    if (log === undefined || !log.isNext(event.seq)) return;
    log.append(event, this.#replayLimit);
    this.#roomEvents.publish(event);
  }

  subscribeRoomEvents(listener: RoomEventListener): Subscription {
    return this.#roomEvents.subscribe(listener);
  }

  /**
   * Answers from the log only when it can vouch for every event after afterSeq:
   * - null when nothing of the room was published in this process (a restart may have lost events);
   * - [] when afterSeq is at or past the highest seq published here;
   * - otherwise the held events from afterSeq + 1 on, or null when afterSeq + 1 was
   *   trimmed or the run has a gap.
   */
  async replayRoom(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[] | null> {
    this.#assertOpen();
    return this.#rooms.get(roomId)?.after(afterSeq, limit) ?? null;
  }

  async publishSignal(signal: EphemeralSignal): Promise<void> {
    this.#assertOpen();
    this.#signals.publish(signal);
  }

  subscribeSignals(listener: SignalListener): Subscription {
    return this.#signals.subscribe(listener);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  /** Events live in this process's memory, bounded by the replay limit: no stream to fill. */
  async streamUsage(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#registration = undefined;
    this.#roomEvents.clear();
    this.#signals.clear();
    this.#rooms.clear();
    for (const waiter of this.#handlerWaiters) waiter.reject(closedError());
    this.#handlerWaiters.clear();
  }

  #awaitHandler(signal: AbortSignal): Promise<CommandHandler> {
    if (this.#registration !== undefined) return Promise.resolve(this.#registration.handler);
    const waiter = Promise.withResolvers<CommandHandler>();
    this.#handlerWaiters.add(waiter);
    const onAbort = (): void => {
      this.#handlerWaiters.delete(waiter);
      waiter.reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return waiter.promise;
  }

  #logOf(roomId: string): RoomLog {
    let log = this.#rooms.get(roomId);
    if (log === undefined) {
      log = new RoomLog();
      this.#rooms.set(roomId, log);
    }
    return log;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

/**
 * One room's recent events, strictly increasing by seq. Trimmed events are skipped
 * by moving `#head` and cut off in bulk, so appending stays O(1) amortised.
 */
class RoomLog {
  #events: RoomEvent[] = [];
  #head = 0;
  /** Highest seq published in this process; 0 before the first. */
  #latestSeq = 0;

  /**
   * Returns false for a seq at or below the latest: the outbox relay publishes each
   * room in seq order, so that is a re-publish, and dropping it keeps delivery ordered.
   */
  append(event: RoomEvent, limit: number): boolean {
    if (event.seq <= this.#latestSeq) return false;
    this.#latestSeq = event.seq;
    if (limit <= 0) return true;
    this.#events.push(event);
    if (this.#events.length - this.#head > limit) this.#head += 1;
    if (this.#head >= Math.max(limit, 64)) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  /** Whether `seq` directly follows the latest seq published here (false before the first). */
  isNext(seq: number): boolean {
    return this.#latestSeq > 0 && seq === this.#latestSeq + 1;
  }

  after(afterSeq: number, limit: number): RoomEvent[] | null {
    if (this.#latestSeq === 0) return null;
    if (afterSeq >= this.#latestSeq) return [];
    const start = this.#indexOf(afterSeq + 1);
    if (start === -1) return null;
    const run = this.#events.slice(start, start + Math.max(limit, 0));
    return run.every((event, i) => event.seq === afterSeq + 1 + i) ? run : null;
  }

  #indexOf(seq: number): number {
    let low = this.#head;
    let high = this.#events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#events[mid]?.seq ?? Infinity) < seq) low = mid + 1;
      else high = mid;
    }
    return this.#events[low]?.seq === seq ? low : -1;
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  const aborted = Promise.withResolvers<never>();
  const onAbort = (): void => aborted.reject(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return Promise.race([work, aborted.promise]).finally(() => signal.removeEventListener('abort', onAbort));
}

function noAnswer(): HearthError {
  return new HearthError('unavailable', 'no messaging handler answered');
}

function closedError(): HearthError {
  return new HearthError('unavailable', 'the bus is closed');
}

/** Without an onError a listener's failure still shows up, on stderr, rather than vanishing. */
function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : String(error), { code: 'HEARTH_BUS_LISTENER' });
}
