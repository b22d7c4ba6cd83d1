import type { Boost, Membership, Message, Room } from './types.ts';

/** Version of the event envelope; bumped on an incompatible change. */
export const EVENT_VERSION = 1;

/** What changed in a room. Each takes the room's next sequence number. */
export type RoomEventData =
  | { readonly type: 'message.created'; readonly message: Message }
  | { readonly type: 'message.updated'; readonly message: Message }
  | { readonly type: 'message.deleted'; readonly messageId: string }
  | { readonly type: 'boost.created'; readonly boost: Boost }
  | { readonly type: 'boost.deleted'; readonly boostId: string; readonly messageId: string }
  | { readonly type: 'room.created'; readonly room: Room }
  | { readonly type: 'room.updated'; readonly room: Room }
  | { readonly type: 'membership.added'; readonly membership: Membership }
  | { readonly type: 'membership.removed'; readonly userId: string };

export type RoomEventType = RoomEventData['type'];

export type RoomEvent = RoomEventData & {
  readonly v: typeof EVENT_VERSION;
  readonly roomId: string;
  readonly seq: number;
  readonly at: string;
  /** W3C trace context of the command that caused it, when there was one. */
  readonly traceparent?: string;
};

/** When an event happened, and the trace of the command that caused it, when there was one. */
export interface EventStamp {
  readonly at: string;
  readonly traceparent: string | undefined;
}

/** `data` as the room's event number `seq`. */
export function roomEvent(data: RoomEventData, roomId: string, seq: number, stamp: EventStamp): RoomEvent {
  return { ...data, v: EVENT_VERSION, roomId, seq, at: stamp.at, ...(stamp.traceparent === undefined ? {} : { traceparent: stamp.traceparent }) };
}

/** Short-lived signals that take no sequence number and are never stored. */
export type EphemeralSignal =
  | { readonly type: 'typing'; readonly roomId: string; readonly userId: string; readonly at: string }
  | { readonly type: 'presence'; readonly userId: string; readonly online: boolean; readonly at: string }
  | { readonly type: 'user.updated'; readonly userId: string; readonly at: string }
  | { readonly type: 'sessions.revoked'; readonly userId: string; readonly at: string }
  | { readonly type: 'session.ended'; readonly sessionId: string; readonly at: string };

/** The user ids an event concerns beyond the room's current members (a removed member must hear of it). */
export function affectedUserId(event: RoomEventData): string | null {
  switch (event.type) {
    case 'membership.added':
      return event.membership.userId;
    case 'membership.removed':
      return event.userId;
    default:
      return null;
  }
}
