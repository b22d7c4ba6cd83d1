/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError } from './api.ts';
import type { Message, RoomEvent, RoomForMember, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createMessages, isRetryablePostError, type MessagesApi, type MessagesDeps } from './messages.ts';
import { createStore } from './store.ts';

const AT = '2025-01-01T00:00:00.000Z';
const ME: User = { id: 'u1', name: 'Me', email: 'me@example.com', role: 'member' } as unknown as User;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function message(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    roomId: 'r1',
    seq,
    authorId: 'u2',
    clientMessageId: `c${seq}`,
    body: `hello ${seq}`,
    mentions: [],
    sound: null,
    createdAt: AT,
    editedAt: null,
    deletedAt: null,
    boosts: [],
    ...overrides,
  };
}

function created(seq: number, overrides: Partial<Message> = {}): RoomEvent {
  return { v: 1, roomId: 'r1', seq, at: AT, type: 'message.created', message: message(seq, overrides) } as unknown as RoomEvent;
}

const ROOM = { id: 'r1', lastSeq: 2, memberIds: ['u1', 'u2'] } as unknown as RoomForMember;

/** A server that stores posts in arrival order, answering each after `latency(n)` ms. */
function fakeApi(options: { latency?: (n: number) => number; failFor?: (body: string) => ApiError | null } = {}) {
  const stored: Message[] = [];
  let seq = 2;
  let posts = 0;
  const api: MessagesApi = {
    room: () => Promise.resolve(ROOM),
    messages: () => Promise.resolve({ messages: [message(1), message(2)] }),
    async postMessage(roomId, body, clientMessageId) {
      await new Promise((resolve) => setTimeout(resolve, options.latency?.(posts++) ?? 0));
      const error = options.failFor?.(body) ?? null;
      if (error !== null) throw error;
      const m = message((seq += 1), { authorId: ME.id, roomId, body, clientMessageId });
      stored.push(m);
      return m;
    },
    editMessage: () => Promise.reject(new Error('unused')),
    deleteMessage: () => Promise.reject(new Error('unused')),
    addBoost: () => Promise.reject(new Error('unused')),
    deleteBoost: () => Promise.reject(new Error('unused')),
  };
  return { api, stored };
}

function harness(api: MessagesApi, overrides: Partial<MessagesDeps> = {}) {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  const calls = { resync: 0, changed: [] as string[] };
  let ids = 0;
  const messages = createMessages({
    ctx: { me: ME, store, isVisible: () => true },
    api,
    resync: () => (calls.resync += 1),
    onViewChanged: (roomId) => calls.changed.push(roomId),
    onRoomLoaded: () => undefined,
    ensureUser: () => undefined,
    newClientMessageId: () => `client-${(ids += 1)}`,
    wait: () => Promise.resolve(),
    ...overrides,
  });
  const view = () => store.get().views['r1']!;
  return { messages, store, calls, view };
}

test('only the network and the server failing make a post worth trying again', () => {
  const cases = [
    [new ApiError(0, 'network', 'offline'), true],
    [new ApiError(503, 'unavailable', 'retry'), true],
    [new ApiError(429, 'rate_limited', 'slow down'), true],
    [new ApiError(400, 'invalid', 'too long'), false],
    [new ApiError(403, 'forbidden', 'not a member'), false],
    [new Error('a bug'), false],
  ] as const;
  for (const [error, want] of cases) assert.equal(isRetryablePostError(error), want, error.message);
});

test('events that arrive while the first page loads are applied after it, in seq order', async () => {
  const { api } = fakeApi();
  const h = harness(api);
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
  const { api } = fakeApi();
  const h = harness(api);
  await h.messages.load('r1');
  h.messages.applyEvent(created(5));
  assert.equal(h.calls.resync, 1);
  assert.equal(h.view().lastSeq, 2);
  h.messages.applyEvent(created(3));
  assert.equal(h.view().lastSeq, 3);
});

test('twenty posts typed at once are stored in typed order and each pending copy gives way to its message', async () => {
  // Later posts would be answered sooner if they were in flight together.
  const { api, stored } = fakeApi({ latency: (n) => Math.max(0, 20 - n) });
  const h = harness(api);
  await h.messages.load('r1');
  const typed = Array.from({ length: 20 }, (_, k) => `message ${k + 1}`);
  for (const body of typed) h.messages.send('r1', body);
  assert.deepEqual(
    h.view().pending.map((p) => p.body),
    typed,
    'all shown at once, as typed',
  );
  while (h.view().pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(
    stored.map((m) => m.body),
    typed,
  );
  assert.deepEqual(
    h
      .view()
      .messages.slice(2)
      .map((m) => m.body),
    typed,
  );
});

test('a post refused for good is marked failed, the next still goes, and retry sends it again', async () => {
  let refuse = true;
  const { api, stored } = fakeApi({ failFor: (body) => (body === 'b' && refuse ? new ApiError(400, 'invalid', 'Too long.') : null) });
  const h = harness(api);
  await h.messages.load('r1');
  for (const body of ['a', 'b', 'c']) h.messages.send('r1', body);
  while (h.view().pending.some((p) => p.status === 'pending')) await tick();
  assert.deepEqual(
    stored.map((m) => m.body),
    ['a', 'c'],
  );
  assert.deepEqual(
    h.view().pending.map((p) => [p.body, p.status, p.error]),
    [['b', 'failed', 'Too long.']],
  );
  refuse = false;
  h.messages.retry('r1', h.view().pending[0]!.clientMessageId);
  assert.equal(h.view().pending[0]?.status, 'pending');
  while (h.view().pending.length > 0) await tick();
  assert.deepEqual(
    stored.map((m) => m.body),
    ['a', 'c', 'b'],
  );
});

test('a post that meets a network error is retried until it goes, and stays pending meanwhile', async () => {
  let failures = 2;
  const { api, stored } = fakeApi({ failFor: () => (failures-- > 0 ? new ApiError(0, 'network', 'offline') : null) });
  const waits: number[] = [];
  const h = harness(api, {
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  await h.messages.load('r1');
  h.messages.send('r1', 'hello');
  while (h.view().pending.length > 0) {
    assert.equal(h.view().pending[0]?.status, 'pending');
    await tick();
  }
  assert.equal(waits.length, 2);
  assert.deepEqual(
    stored.map((m) => m.body),
    ['hello'],
  );
});

test('forgetting a room drops its view and its resume entry', async () => {
  const { api } = fakeApi();
  const h = harness(api);
  await h.messages.load('r1');
  h.messages.forget('r1');
  assert.equal(h.store.get().views['r1'], undefined);
  assert.deepEqual(h.messages.resumeMap(), {});
});
