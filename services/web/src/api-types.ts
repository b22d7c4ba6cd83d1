/**
 * The JSON shapes the browser receives, copied from @hearth/core's domain types
 * (services/core/src/domain/types.ts and events.ts) because that package is Node-only.
 * docs/protocol.md is the contract; keep these in step with it.
 */

export type Role = 'member' | 'administrator' | 'bot';
export type RoomKind = 'open' | 'closed' | 'direct';
export type Involvement = 'invisible' | 'nothing' | 'mentions' | 'everything';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly role: Role;
  readonly active: boolean;
  readonly createdAt: string;
}

export interface Room {
  readonly id: string;
  readonly kind: RoomKind;
  /** Direct rooms have no name; clients name them after the other members. */
  readonly name: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastSeq: number;
  readonly lastMessageSeq: number;
}

export interface RoomForMember extends Room {
  readonly involvement: Involvement;
  readonly readSeq: number;
  readonly unread: boolean;
  readonly memberIds: readonly string[];
}

export interface Membership {
  readonly roomId: string;
  readonly userId: string;
  readonly involvement: Involvement;
  readonly readSeq: number;
  readonly createdAt: string;
}

export interface Boost {
  readonly id: string;
  readonly messageId: string;
  readonly authorId: string;
  readonly content: string;
  readonly createdAt: string;
}

export interface Message {
  readonly id: string;
  readonly roomId: string;
  readonly seq: number;
  readonly authorId: string;
  readonly clientMessageId: string;
  /** Empty once deleted. */
  readonly body: string;
  readonly mentions: readonly string[];
  /** Set for a `/play <sound>` message. */
  readonly sound: string | null;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
  readonly boosts: readonly Boost[];
}

export interface SearchHit {
  readonly message: Message;
  readonly roomName: string | null;
}

export interface Status {
  readonly setUp: boolean;
  readonly accountName: string | null;
}

export interface SessionAnswer {
  readonly user: User;
  readonly csrfToken: string;
}

export interface AccountAnswer {
  readonly name: string;
  readonly joinUrl?: string;
}

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

export type RoomEvent = RoomEventData & {
  readonly v: number;
  readonly roomId: string;
  readonly seq: number;
  readonly at: string;
  readonly traceparent?: string;
};

/** Frames the server sends over the realtime WebSocket (protocol §4.3). */
export type ServerFrame =
  | {
      readonly type: 'ready';
      readonly connectionId: string;
      readonly userId: string;
      readonly rooms: Readonly<Record<string, number>>;
      readonly online: readonly string[];
    }
  | { readonly type: 'room.event'; readonly event: RoomEvent }
  | { readonly type: 'typing'; readonly roomId: string; readonly userId: string }
  | { readonly type: 'presence'; readonly userId: string; readonly online: boolean }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export type ReadyFrame = Extract<ServerFrame, { type: 'ready' }>;

/** Frames the client sends (protocol §4.2). */
export type ClientFrame =
  | { readonly type: 'hello'; readonly resume: Readonly<Record<string, number>> }
  | { readonly type: 'ping' }
  | { readonly type: 'typing'; readonly roomId: string };
