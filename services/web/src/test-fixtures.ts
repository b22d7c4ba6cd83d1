/// Fixtures the web client's unit tests share; no part of the app imports this file.
import type { Message, RoomEvent } from './api-types.ts';

export const AT = '2025-01-01T00:00:00.000Z';

/** A stored message: seq-derived ids, in room r1 by u1 unless told otherwise. */
export function messageFixture(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    roomId: 'r1',
    seq,
    authorId: 'u1',
    clientMessageId: `c${seq}`,
    body: `hello ${seq}`,
    mentions: [],
    sound: null,
    file: null,
    createdAt: AT,
    editedAt: null,
    deletedAt: null,
    boosts: [],
    ...overrides,
  };
}

/** The message.created event of a message. */
export function createdEvent(message: Message): RoomEvent {
  return { v: 1, type: 'message.created', roomId: message.roomId, seq: message.seq, at: AT, message };
}

/** localStorage's calls, on a Map. */
export function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}
