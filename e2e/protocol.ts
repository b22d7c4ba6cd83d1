/**
 * The client protocol as docs/protocol.md states it, typed from the outside:
 * the end-to-end tests check the server against this, not against its own types.
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
  /** The version of their picture (GET /api/users/{id}/avatar?v=…); null when they have none. */
  readonly avatar: string | null;
}

export interface SessionAnswer {
  readonly user: User;
  readonly csrfToken: string;
}

export interface Room {
  readonly id: string;
  readonly kind: RoomKind;
  readonly name: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastSeq: number;
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

export interface MessageFile {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly alt: string | null;
  readonly image: { readonly width: number; readonly height: number; readonly thumbnail: boolean } | null;
}

export interface Message {
  readonly id: string;
  readonly roomId: string;
  readonly seq: number;
  readonly authorId: string;
  readonly clientMessageId: string;
  readonly body: string;
  readonly mentions: readonly string[];
  readonly sound: string | null;
  readonly file: MessageFile | null;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
  readonly boosts: readonly Boost[];
}

export interface Account {
  readonly name: string;
  readonly joinUrl?: string;
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
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

export interface ReadyFrame {
  readonly type: 'ready';
  readonly connectionId: string;
  readonly userId: string;
  readonly rooms: Readonly<Record<string, number>>;
  readonly online: readonly string[];
}

export type ServerFrame =
  | ReadyFrame
  | { readonly type: 'room.event'; readonly event: RoomEvent }
  | { readonly type: 'typing'; readonly roomId: string; readonly userId: string }
  | { readonly type: 'presence'; readonly userId: string; readonly online: boolean }
  | { readonly type: 'user.updated'; readonly userId: string }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export type ClientFrame =
  | { readonly type: 'hello'; readonly resume: Readonly<Record<string, number>> }
  | { readonly type: 'ping' }
  | { readonly type: 'typing'; readonly roomId: string };

export const CLOSE_CODES = {
  shutting_down: 1001,
  unauthenticated: 4001,
  bad_frame: 4400,
  hello_timeout: 4408,
  too_slow: 4429,
} as const;

/** A bot (docs/protocol.md, "Bots and webhooks"). */
export interface Bot {
  readonly userId: string;
  readonly name: string;
  readonly webhookUrl: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly active: boolean;
}

export interface ApiToken {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly roomIds: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** The create answer: the only time the token itself is shown. */
export interface NewApiToken extends ApiToken {
  readonly token: string;
}

/** The JSON body a bot's webhook receives when the bot is mentioned. */
export interface WebhookPayload {
  readonly message: Message;
  readonly room: { readonly id: string; readonly name: string | null };
  readonly author: { readonly id: string; readonly name: string };
  readonly bot: { readonly id: string; readonly name: string };
  readonly replyUrl: string;
}

/** One line of the audit export, or one entry of an audit page (docs/protocol.md, "Audit log"). */
export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actorId: string | null;
  readonly actorName: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly origin: { readonly ip: string; readonly userAgent: string } | null;
}
