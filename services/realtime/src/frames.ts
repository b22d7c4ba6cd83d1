// The frames' types and close codes are core's (protocol/frames.ts), shared with the web client;
// what is here is the server's check of what a client sends.
import { illFormedTextError, type ClientFrame } from '@hearth/core';

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Parses and checks a client frame; throws FrameError with a message naming the problem. */
export function parseClientFrame(text: string): ClientFrame {
  const frame = parseObject(text);
  switch (frame['type']) {
    case 'hello':
      return { type: 'hello', resume: parseResume(frame['resume'] ?? {}) };
    case 'ping':
      return { type: 'ping' };
    case 'typing':
      return { type: 'typing', roomId: parseRoomId(frame['roomId']) };
    default:
      throw new FrameError(`unknown frame type ${JSON.stringify(frame['type'])}`);
  }
}

/** A resume map: room id to the last sequence applied, a whole number >= 0. */
export function parseResume(value: unknown): Record<string, number> {
  if (!isPlainObject(value)) throw new FrameError('resume must be an object of room id to sequence');
  const resume: Record<string, number> = {};
  for (const [roomId, seq] of Object.entries(value)) {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new FrameError(`resume.${roomId} must be a whole number >= 0`);
    resume[roomId] = seq;
  }
  return resume;
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError('frame is not JSON');
  }
  if (!isPlainObject(value)) throw new FrameError('frame must be a JSON object');
  // The same text rule as the HTTP edge: an id with a NUL would reach the stores.
  const refusal = illFormedTextError(value, 'frame');
  if (refusal !== null) throw new FrameError(refusal.message);
  return value;
}

function parseRoomId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new FrameError('typing.roomId must be a room id');
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
