/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Boost, Message, RoomEvent, RoomForMember, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createMessages, isBehind, type MessagesApi } from './messages.ts';
import { createStore } from './store.ts';
import { AT, messageFixture } from './test-fixtures.ts';

const ME: User = { id: 'u1', name: 'Me', email: 'me@example.com', role: 'member' } as unknown as User;

const message = (seq: number, overrides: Partial<Message> = {}): Message => messageFixture(seq, { authorId: 'u2', ...overrides });

function created(seq: number, overrides: Partial<Message> = {}): RoomEvent {
  return { v: 1, roomId: 'r1', seq, at: AT, type: 'message.created', message: message(seq, overrides) } as unknown as RoomEvent;
}

const ROOM = { id: 'r1', lastSeq: 2, memberIds: ['u1', 'u2'] } as unknown as RoomForMember;

const api: MessagesApi = {
  room: () => Promise.resolve(ROOM),
  messages: () => Promise.resolve({ messages: [message(1), message(2)] }),
  editMessage: () => Promise.reject(new Error('unused')),
  deleteMessage: () => Promise.reject(new Error('unused')),
  addBoost: (messageId, content) => Promise.resolve({ id: 'b1', messageId, userId: 'u1', content, createdAt: AT } as unknown as Boost),
  deleteBoost: () => Promise.resolve(null),
};

function harness() {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  const calls = { resync: 0, changed: [] as string[] };
  const messages = createMessages({
    ctx: { me: ME, store, isVisible: () => true },
    api,
    resync: () => (calls.resync += 1),
    onViewChanged: (roomId) => calls.changed.push(roomId),
    onRoomLoaded: () => undefined,
    ensureUser: () => undefined,
  });
  const view = () => store.get().views['r1']!;
  return { messages, store, calls, view };
}

test('events that arrive while the first page loads are applied after it, in seq order', async () => {
  const h = harness();
  const loading = h.messages.load('r1');
  h.messages.applyEvent(created(3));
  h.messages.applyEvent(created(2)); // already in the page
  await loading;
  assert.deepEqual(
    h.view().messages.map((m) => m.seq),
    [1, 2, 3],
  );
  assert.equal(h.view().lastSeq, 3);
  assert.deepEqual(h.messages.resumeMap(), { r1: 3 });
  assert.equal(h.calls.resync, 0);
});

test('a live event past a gap asks for a resync and is not shown', async () => {
  const h = harness();
  await h.messages.load('r1');
  h.messages.applyEvent(created(5));
  assert.equal(h.calls.resync, 1);
  assert.equal(h.view().lastSeq, 2);
  h.messages.applyEvent(created(3));
  assert.equal(h.view().lastSeq, 3);
});

test('a ready past a room held says it is behind', () => {
  assert.ok(isBehind({ a: 6 }, { a: 5 }));
  assert.ok(!isBehind({ a: 5, b: 40 }, { a: 5 }));
  assert.ok(!isBehind({ a: 3 }, { a: 5 }), 'a replay from before is dropped by seq, not missed');
  assert.ok(!isBehind({}, { a: 5 }), 'a room the stream no longer has');
});

test('a ready that continues an open room past its view asks for a resync; one from where it is does not', async () => {
  const h = harness();
  await h.messages.load('r1');
  h.messages.noteReady({ r1: 2 });
  assert.equal(h.calls.resync, 0);
  // The post at 3 was committed after the page was read and before the stream read where r1 continues.
  h.messages.noteReady({ r1: 3 });
  assert.equal(h.calls.resync, 1);
});

test('a first page that comes in behind where the stream continues asks for a resync', async () => {
  const h = harness();
  const loading = h.messages.load('r1');
  // The ready came while the page (at 2) was being fetched, and continues r1 from 3.
  h.messages.noteReady({ r1: 3 });
  assert.equal(h.calls.resync, 0, 'nothing open yet');
  await loading;
  assert.equal(h.calls.resync, 1);
  assert.equal(h.view().lastSeq, 2);
});

test('forgetting a room drops its view and its resume entry', async () => {
  const h = harness();
  await h.messages.load('r1');
  h.messages.forget('r1');
  assert.equal(h.store.get().views['r1'], undefined);
  assert.deepEqual(h.messages.resumeMap(), {});
});

test('a boost shows on its message once, and unboosting takes it off', async () => {
  const h = harness();
  await h.messages.load('r1');
  await h.messages.boost('m2', 'r1', '🎉');
  h.messages.applyEvent({
    v: 1,
    roomId: 'r1',
    seq: 3,
    at: AT,
    type: 'boost.created',
    boost: { id: 'b1', messageId: 'm2', userId: 'u1', content: '🎉', createdAt: AT },
  } as unknown as RoomEvent);
  assert.deepEqual(
    h.view().messages[1]?.boosts.map((b) => b.id),
    ['b1'],
  );
  await h.messages.unboost('b1');
  assert.deepEqual(h.view().messages[1]?.boosts, []);
});
