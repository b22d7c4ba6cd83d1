/**
 * The JSON shapes the browser receives. The domain records and events are the server's
 * own types (type-only imports: nothing of @hearth/core reaches the bundle); the answers
 * and frames below are what docs/protocol.md specifies for the REST API and the stream.
 */

export type { Boost, Involvement, Membership, Message, Role, Room, RoomForMember, RoomKind, SearchHit, User } from '@hearth/core';
export type { RoomEvent, RoomEventData } from '@hearth/core';
import type { RoomEvent, User } from '@hearth/core';

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
