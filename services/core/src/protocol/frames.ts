import type { RoomEvent } from '../domain/events.ts';

/**
 * The realtime stream's frames, as the server sends and the client sends them: the one
 * source the realtime service and the web client both import (the web client type-only, so
 * nothing of core reaches its bundle). docs/protocol.md §4 is the reference for clients; the
 * e2e suite restates the frames on purpose, so a change here that breaks the protocol fails it.
 */

/** What the server sends (protocol §4.3). */
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
  /** Someone's name, role, picture or standing changed: fetch the users again (GET /api/users). */
  | { readonly type: 'user.updated'; readonly userId: string }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: CloseReason; readonly message: string };

export type ReadyFrame = Extract<ServerFrame, { type: 'ready' }>;

/** What the client sends (protocol §4.2). */
export type ClientFrame =
  | { readonly type: 'hello'; readonly resume: Readonly<Record<string, number>> }
  | { readonly type: 'ping' }
  | { readonly type: 'typing'; readonly roomId: string };

/** Why the server ends a stream, and the WebSocket close code it uses for each reason. */
export const CLOSE_CODES = {
  shutting_down: 1001,
  /** RFC 6455's "try again later": a backend did not answer while the stream was opening. */
  unavailable: 1013,
  unauthenticated: 4001,
  bad_frame: 4400,
  hello_timeout: 4408,
  too_slow: 4429,
} as const;

export type CloseReason = keyof typeof CLOSE_CODES;
