/**
 * The JSON shapes the browser receives. The domain records and events are the server's
 * own types (type-only imports: nothing of @hearth/core reaches the bundle); the answers
 * and frames below are what docs/protocol.md specifies for the REST API and the stream.
 */

export type { Boost, SignedInDevice, Involvement, Membership, Message, MessageFile, Role, Room, RoomKind, SearchHit, User } from '@hearth/core';
/** Every room the client is given (GET /api/rooms, GET /api/rooms/{roomId}) carries its badge counts. */
export type { RoomWithCounts as RoomForMember } from '@hearth/core';
export type { RoomEvent, RoomEventData } from '@hearth/core';
import type { User } from '@hearth/core';

/** How people may sign in here: passwords (for everyone, administrators only, or nobody) and SSO. */
export interface SignInOptions {
  readonly password: 'enabled' | 'admins' | 'disabled';
  readonly sso: { readonly label: string; readonly startUrl: string } | null;
}

export interface Status {
  readonly setUp: boolean;
  readonly accountName: string | null;
  readonly signIn: SignInOptions;
}

export interface SessionAnswer {
  readonly user: User;
  readonly csrfToken: string;
}

export interface AccountAnswer {
  readonly name: string;
  readonly joinUrl?: string;
}

/** The realtime stream's frames (protocol §4), shared with the server. */
export type { ClientFrame, CloseReason, ReadyFrame, ServerFrame } from '@hearth/core';
