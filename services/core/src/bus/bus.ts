import type { RequestOrigin } from '../domain/audit.ts';
import type { EphemeralSignal, RoomEvent } from '../domain/events.ts';

/** A command as it crosses the bus: its name picks the handler, `payload` is its JSON body. */
export interface CommandRequest {
  readonly name: string;
  readonly payload: unknown;
  readonly traceparent?: string;
  readonly origin?: RequestOrigin;
}

/** A handler's answer: the result, or an error body as HearthError.toJSON() makes it. */
export type CommandReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly field?: string } };

export type CommandHandler = (request: CommandRequest) => Promise<CommandReply>;
export type RoomEventListener = (event: RoomEvent) => void;
export type SignalListener = (signal: EphemeralSignal) => void;

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Moves commands to messaging and events to realtime.
 * Implementations: BusLocal (in process), BusNats (NATS + JetStream).
 */
export interface Bus {
  /**
   * Sends a command to one handler (a queue group in the server tiers) and waits
   * for its reply. Rejects with HearthError('unavailable') when no handler answers
   * within `timeoutMs`.
   */
  request(request: CommandRequest, timeoutMs?: number): Promise<CommandReply>;
  /** Registers this process as a handler of every command. One handler per process. */
  handleCommands(handler: CommandHandler): Subscription;

  /**
   * Publishes a room event to the durable stream. Publishing the same (roomId, seq)
   * twice stores and delivers it once.
   */
  publishRoomEvent(event: RoomEvent): Promise<void>;
  /**
   * Hands a committed event to live subscribers at once, ahead of publishRoomEvent, which still
   * has to store it: an announcement may be lost, and a subscriber takes one only when it is the
   * room's next event after one it has seen, so each still sees each event once, in order. It
   * saves live delivery the outbox relay's read and the stream's round trip. Never throws.
   */
  announceRoomEvent(event: RoomEvent): void;
  /** Live room events of every room, in the order each room's events were published. */
  subscribeRoomEvents(listener: RoomEventListener): Subscription;
  /**
   * Events of one room with seq > afterSeq from the durable stream, oldest first.
   * Returns null when the stream no longer holds seq afterSeq + 1 (the caller then
   * reads the Store, which is the source of truth).
   */
  replayRoom(roomId: string, afterSeq: number, limit: number): Promise<RoomEvent[] | null>;

  /** Fire-and-forget signals (typing, presence) to every subscriber; never stored. */
  publishSignal(signal: EphemeralSignal): Promise<void>;
  subscribeSignals(listener: SignalListener): Subscription;

  ping(): Promise<void>;
  /** The durable stream's storage now, or null for a bus that keeps none (in-process). */
  streamUsage(): Promise<StreamUsage | null>;
  close(): Promise<void>;
}

export interface StreamUsage {
  readonly bytes: number;
  /** The stream's own limit, or else its account's JetStream storage limit; null when neither is set. */
  readonly maxBytes: number | null;
  /**
   * Events in the stream this process's live feed has not received yet (JetStream consumer lag);
   * null when it subscribes to none. Read from the stream now, so a feed that stopped shows its lag growing.
   */
  readonly consumerPending: number | null;
}

/** Told of each room event a subscribing process takes from the stream, `delaySeconds` after the stream stored it. */
export type ConsumeObserver = (delaySeconds: number) => void;
