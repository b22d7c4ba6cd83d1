import type { RoomEvent } from '@hearth/core';

/** What the server sends; docs/protocol.md §4.3 is the reference for clients. */
export type ServerFrame =
  | {
      readonly type: 'ready';
      readonly connectionId: string;
      readonly userId: string;
      readonly rooms: Record<string, number>;
      readonly online: readonly string[];
    }
  | { readonly type: 'room.event'; readonly event: RoomEvent }
  | { readonly type: 'typing'; readonly roomId: string; readonly userId: string }
  | { readonly type: 'presence'; readonly userId: string; readonly online: boolean }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: CloseReason; readonly message: string };

export type ClientFrame =
  | { readonly type: 'hello'; readonly resume: Readonly<Record<string, number>> }
  | { readonly type: 'ping' }
  | { readonly type: 'typing'; readonly roomId: string };

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

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Parses and checks a client frame; throws FrameError with a message naming the problem. */
export function parseClientFrame(text: string): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError('frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrameError('frame must be a JSON object');
  const frame = value as Record<string, unknown>;
  switch (frame['type']) {
    case 'hello':
      return { type: 'hello', resume: parseResume(frame['resume'] ?? {}) };
    case 'ping':
      return { type: 'ping' };
    case 'typing':
      if (typeof frame['roomId'] !== 'string' || frame['roomId'] === '') throw new FrameError('typing.roomId must be a room id');
      return { type: 'typing', roomId: frame['roomId'] };
    default:
      throw new FrameError(`unknown frame type ${JSON.stringify(frame['type'])}`);
  }
}

/** A resume map: room id to the last sequence applied, a whole number >= 0. */
export function parseResume(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FrameError('resume must be an object of room id to sequence');
  const resume: Record<string, number> = {};
  for (const [roomId, seq] of Object.entries(value)) {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new FrameError(`resume.${roomId} must be a whole number >= 0`);
    resume[roomId] = seq;
  }
  return resume;
}
