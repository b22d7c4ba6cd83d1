import type { RoomEvent, ServerFrame } from '@hearth/core';

/**
 * The JSON text of a frame. A room event goes to every connection streaming its room,
 * and the hub hands them all the same event object, so its text is made once.
 */
const eventText = new WeakMap<RoomEvent, string>();

export function frameJson(frame: ServerFrame): string {
  if (frame.type !== 'room.event') return JSON.stringify(frame);
  let text = eventText.get(frame.event);
  if (text === undefined) {
    text = JSON.stringify(frame);
    eventText.set(frame.event, text);
  }
  return text;
}
