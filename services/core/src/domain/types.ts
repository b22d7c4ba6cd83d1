/** The chat domain's records, as every backend stores and returns them. Times are ISO-8601 UTC strings. */

export const ROLES = ['member', 'administrator', 'bot'] as const;
export type Role = (typeof ROLES)[number];

export const ROOM_KINDS = ['open', 'closed', 'direct'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

export const INVOLVEMENTS = ['invisible', 'nothing', 'mentions', 'everything'] as const;
export type Involvement = (typeof INVOLVEMENTS)[number];

/** The single account (organisation) a Hearth instance serves; created by first-run. */
export interface Account {
  readonly id: string;
  readonly name: string;
  /** Secret part of the join link; rotating it invalidates old invitations. */
  readonly joinCode: string;
  readonly createdAt: string;
}

export interface User {
  readonly id: string;
  readonly name: string;
  /** Lower-cased; unique among users that have one. Bots have none. */
  readonly email: string | null;
  readonly role: Role;
  readonly active: boolean;
  readonly createdAt: string;
  /**
   * The version of the person's uploaded picture (a short hash of its bytes), which clients put in
   * its URL (`/api/users/{id}/avatar?v=…`) so that a browser fetches it again after a change; null
   * when they have none and are shown by their initials.
   */
  readonly avatar: string | null;
}

export interface Room {
  readonly id: string;
  readonly kind: RoomKind;
  /** Direct rooms have no name; clients name them after the other members. */
  readonly name: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  /** The room's last event sequence number; 0 before the first event. */
  readonly lastSeq: number;
  /** Sequence number of the last message.created event, for unread markers. */
  readonly lastMessageSeq: number;
}

export interface Membership {
  readonly roomId: string;
  readonly userId: string;
  readonly involvement: Involvement;
  /** The last sequence the member has seen; the room is unread while lastMessageSeq > readSeq. */
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
  /** Sequence number of the event that created it: unique and increasing within the room. */
  readonly seq: number;
  readonly authorId: string;
  readonly clientMessageId: string;
  /** Empty once deleted. */
  readonly body: string;
  readonly mentions: readonly string[];
  /** Set for a `/play <sound>` message. */
  readonly sound: string | null;
  /** The file posted with the message (one per message, as in Campfire); null once deleted. */
  readonly file: MessageFile | null;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
  readonly boosts: readonly Boost[];
}

/**
 * A file posted in a room, as its message carries it. The bytes are in the Blob store under
 * `fileBlobKey(id)` (and an image's thumbnail under `thumbnailBlobKey(id)`); they are served at
 * `GET /api/messages/{messageId}/file` to the room's members only.
 */
export interface MessageFile {
  readonly id: string;
  /** The name it was uploaded with, without any folder: what a download saves it as. */
  readonly name: string;
  /** The type it is served with: judged from the bytes for images, never HTML, SVG or script. */
  readonly contentType: string;
  readonly size: number;
  /** Words for an image, for people who cannot see it; null when none were given. */
  readonly alt: string | null;
  /** Set for an image the server could read: its size in pixels, and whether a thumbnail was made. */
  readonly image: { readonly width: number; readonly height: number; readonly thumbnail: boolean } | null;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly userAgent: string;
  readonly ip: string;
  /** The OpenID provider's session (`sid`) this session was started from; null for a password sign-in. */
  readonly idpSessionId: string | null;
}

/**
 * One of a person's sessions, as their "signed-in devices" page lists them (GET /api/sessions).
 * A session's own id is its cookie's value, a secret: it is named by a digest of it instead.
 */
export interface SignedInDevice {
  /** The session's public id (not its cookie), for DELETE /api/sessions/{sessionId}. */
  readonly id: string;
  /** The session of the request that asked: "this device". */
  readonly current: boolean;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  /** "Chrome on Linux". */
  readonly device: string;
  readonly userAgent: string;
  /** The client address it signed in from. */
  readonly ip: string;
}

/** A room as one member sees it in the sidebar. */
export interface RoomForMember extends Room {
  readonly involvement: Involvement;
  readonly readSeq: number;
  readonly unread: boolean;
  readonly memberIds: readonly string[];
}

/** A room's badge for one member (Store.unreadCounts). */
export interface UnreadCounts {
  /** Others' messages after the read marker, not deleted, counted up to 100 (UNREAD_COUNT_CAP); 0 in an invisible room. */
  readonly unreadCount: number;
  /** Those of them that mention the member. */
  readonly mentionCount: number;
}

/** A room as the sidebar shows it: with its badge. */
export type RoomWithCounts = RoomForMember & UnreadCounts;

export interface SearchHit {
  readonly message: Message;
  readonly roomName: string | null;
}
