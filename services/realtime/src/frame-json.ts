import type { ServerFrame } from '@hearth/core';

/** Frames the hub sends, as one object, to many connections: a room event, typing, presence, a user's change. */
export type SharedFrame = Extract<ServerFrame, { type: 'room.event' | 'typing' | 'presence' | 'user.updated' }>;

export function isSharedFrame(frame: ServerFrame): frame is SharedFrame {
  return frame.type === 'room.event' || frame.type === 'typing' || frame.type === 'presence' || frame.type === 'user.updated';
}

/**
 * What stands for a shared frame in a cache. Each connection wraps a room event in a frame
 * of its own, but the hub hands them all the same event object; a typing, presence or
 * user.updated frame is itself the one object every connection gets.
 */
function keyOf(frame: SharedFrame): object {
  return frame.type === 'room.event' ? frame.event : frame;
}

/** Makes a shared frame's encoding (text, bytes) once, for every connection that sends it. */
export function encodeOnce<T>(cache: WeakMap<object, T>, frame: SharedFrame, encode: (frame: SharedFrame) => T): T {
  const key = keyOf(frame);
  let encoded = cache.get(key);
  if (encoded === undefined) {
    encoded = encode(frame);
    cache.set(key, encoded);
  }
  return encoded;
}

const texts = new WeakMap<object, string>();

/** The JSON text of a frame; a shared one's is made once (encodeOnce). */
export function frameJson(frame: ServerFrame): string {
  return isSharedFrame(frame) ? encodeOnce(texts, frame, JSON.stringify) : JSON.stringify(frame);
}
