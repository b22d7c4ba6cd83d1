/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError } from './api.ts';
import type { Message, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createOutbox, isRetryablePostError, pausedFor, WAITING_FOR_CONNECTION, type OutboxDeps } from './outbox.ts';
import { createRoomView } from './room-state.ts';
import { createStore } from './store.ts';
import { memoryStorage, messageFixture } from './test-fixtures.ts';
import { createUnsentPosts } from './unsent-posts.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface FakeServerOptions {
  latency?: (n: number) => number;
  /** The request fails before it reaches the server. */
  failFor?: (body: string) => ApiError | null;
  /** The server stores the post, but its answer is lost on the way back. */
  loseAnswerFor?: (body: string) => ApiError | null;
}

/**
 * A server that stores posts in arrival order, answering each after `latency(n)` ms, or failing as told.
 * Like Hearth's, it answers a clientMessageId it has stored with the message it made then.
 */
function fakeServer(options: FakeServerOptions = {}) {
  const stored: Message[] = [];
  let posts = 0;
  const api: OutboxDeps['api'] = {
    async postMessage(roomId, body, clientMessageId) {
      await new Promise((resolve) => setTimeout(resolve, options.latency?.(posts++) ?? 0));
      const error = options.failFor?.(body) ?? null;
      if (error !== null) throw error;
      const earlier = stored.find((m) => m.clientMessageId === clientMessageId);
      if (earlier !== undefined) return earlier;
      const seq = stored.length + 1;
      const m = messageFixture(seq, { roomId, authorId: ME.id, clientMessageId, body });
      stored.push(m);
      const lost = options.loseAnswerFor?.(body) ?? null;
      if (lost !== null) throw lost;
      return m;
    },
  };
  return { api, stored };
}

function harness(api: OutboxDeps['api'], overrides: Partial<OutboxDeps> = {}) {
  const store = createStore<ChatState>({ ...initialChatState(ME, 'Acme'), views: { r1: createRoomView('r1', [], 0, 40) } });
  let ids = 0;
  const outbox = createOutbox({
    ctx: { me: ME, store, isVisible: () => true },
    api,
    ensureUser: () => undefined,
    newClientMessageId: () => `client-${(ids += 1)}`,
    wait: () => Promise.resolve(),
    isOnline: () => true,
    watchConnectionBack: () => () => undefined,
    ...overrides,
  });
  return { outbox, store, view: () => store.get().views['r1']! };
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

test('twenty posts typed at once are stored in typed order and each pending copy gives way to its message', async () => {
  // Later posts would be answered sooner if they were in flight together.
  const { api, stored } = fakeServer({ latency: (n) => Math.max(0, 20 - n) });
  const h = harness(api);
  const typed = Array.from({ length: 20 }, (_, k) => `message ${k + 1}`);
  for (const body of typed) h.outbox.send('r1', body);
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
    h.view().messages.map((m) => m.body),
    typed,
  );
});

test('a post refused for good is marked failed, the next still goes, and retry sends it again', async () => {
  let refuse = true;
  const { api, stored } = fakeServer({ failFor: (body) => (body === 'b' && refuse ? new ApiError(400, 'invalid', 'Too long.') : null) });
  const h = harness(api);
  for (const body of ['a', 'b', 'c']) h.outbox.send('r1', body);
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
  h.outbox.retry('r1', h.view().pending[0]!.clientMessageId);
  assert.equal(h.view().pending[0]?.status, 'pending');
  while (h.view().pending.length > 0) await tick();
  assert.deepEqual(
    stored.map((m) => m.body),
    ['a', 'c', 'b'],
  );
});

test('a post that meets a network error is tried again until it goes, and stays pending meanwhile, never failed', async () => {
  let failures = 2;
  const { api, stored } = fakeServer({ failFor: () => (failures-- > 0 ? new ApiError(0, 'network', 'offline') : null) });
  const waits: number[] = [];
  const h = harness(api, {
    wait: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  h.outbox.send('r1', 'hello');
  while (h.view().pending.length > 0) {
    assert.equal(h.view().pending[0]?.status, 'pending');
    await tick();
  }
  assert.deepEqual(waits, [10_000, 10_000], 'each time, it waits for the connection (or its recheck)');
  assert.deepEqual(
    stored.map((m) => m.body),
    ['hello'],
  );
});

test('pausedFor: a post refused while Hearth moves waits the Retry-After the server gave; other errors do not', () => {
  assert.equal(pausedFor(new ApiError(503, 'migrating', 'moving', { retryAfter: 10 })), 10_000);
  assert.equal(pausedFor(new ApiError(503, 'migrating', 'moving')), 10_000);
  assert.equal(pausedFor(new ApiError(503, 'unavailable', 'retry', { retryAfter: 2 })), undefined);
  assert.equal(pausedFor(new Error('migrating')), undefined);
});

const NETWORK = (): ApiError => new ApiError(0, 'network', 'Could not reach the server (TypeError: Failed to fetch).');

/** A browser that goes offline and back: its queue's rechecks never come by themselves, only the connection's return. */
function offlineHarness(server: ReturnType<typeof fakeServer>['api']) {
  const browser = { online: true, back: (): void => undefined };
  const h = harness(server, {
    wait: () => new Promise<void>(() => undefined),
    isOnline: () => browser.online,
    watchConnectionBack: (listener) => {
      browser.back = listener;
      return () => {
        browser.back = () => undefined;
      };
    },
  });
  return { ...h, browser };
}

const settle = async (): Promise<void> => {
  for (let k = 0; k < 5; k += 1) await new Promise((resolve) => setTimeout(resolve, 1));
};

test('typed offline: the posts wait for the connection, then go in order, each with its clientMessageId, exactly once', async () => {
  let networkUp = false;
  const { api, stored } = fakeServer({ failFor: () => (networkUp ? null : NETWORK()) });
  const h = offlineHarness(api);
  h.browser.online = false;
  for (const body of ['one', 'two', 'three']) h.outbox.send('r1', body);
  await settle();
  assert.deepEqual(
    h.view().pending.map((p) => [p.body, p.status, p.error]),
    [
      ['one', 'pending', WAITING_FOR_CONNECTION],
      ['two', 'pending', WAITING_FOR_CONNECTION],
      ['three', 'pending', WAITING_FOR_CONNECTION],
    ],
  );
  const ids = h.view().pending.map((p) => p.clientMessageId);
  assert.equal(stored.length, 0);

  networkUp = true;
  h.browser.online = true;
  h.browser.back();
  while (h.view().pending.length > 0) await tick();
  assert.deepEqual(
    stored.map((m) => [m.body, m.clientMessageId]),
    [
      ['one', ids[0]],
      ['two', ids[1]],
      ['three', ids[2]],
    ],
  );
  assert.deepEqual(
    h.view().messages.map((m) => m.body),
    ['one', 'two', 'three'],
  );
});

test('posts typed offline survive a reload: the next page sends them in order, shows them in their room when it opens, and forgets them once stored', async () => {
  let networkUp = false;
  const { api, stored } = fakeServer({ failFor: () => (networkUp ? null : NETWORK()) });
  const storage = memoryStorage();
  const first = harness(api, { wait: () => new Promise<void>(() => undefined), isOnline: () => false, unsent: createUnsentPosts(storage, ME.id) });
  for (const body of ['one', 'two']) first.outbox.send('r1', body);
  await settle();
  const ids = first.view().pending.map((p) => p.clientMessageId);
  first.outbox.stop();

  // The reload: a new page whose room is not open yet, with the network back.
  networkUp = true;
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  const reloaded = createOutbox({
    ctx: { me: ME, store, isVisible: () => true },
    api,
    ensureUser: () => undefined,
    newClientMessageId: () => 'never',
    wait: () => Promise.resolve(),
    isOnline: () => true,
    watchConnectionBack: () => () => undefined,
    unsent: createUnsentPosts(storage, ME.id),
  });
  store.update((s) => ({ ...s, views: { r1: createRoomView('r1', [], 0, 40) } }));
  assert.deepEqual(
    store.get().views['r1']?.pending.map((p) => p.body),
    ['one', 'two'],
    'the restored posts show in the room once it opens',
  );
  while (stored.length < 2) await tick();
  await settle();
  reloaded.stop();
  assert.deepEqual(
    stored.map((m) => [m.body, m.clientMessageId]),
    [
      ['one', ids[0]],
      ['two', ids[1]],
    ],
  );
  assert.deepEqual(createUnsentPosts(storage, ME.id).all(), [], 'stored posts are forgotten');
});

test('a post whose request reached the server but whose answer was lost shows once when the connection is back', async () => {
  let lose = true;
  const { api, stored } = fakeServer({ loseAnswerFor: () => (lose ? NETWORK() : null) });
  const h = offlineHarness(api);
  h.outbox.send('r1', 'sent as the network dropped');
  h.outbox.send('r1', 'typed after');
  await settle();
  assert.deepEqual(
    stored.map((m) => m.body),
    ['sent as the network dropped'],
    'the second waits behind the first',
  );
  assert.ok(h.view().pending.every((p) => p.error === WAITING_FOR_CONNECTION));

  lose = false;
  h.browser.back();
  while (h.view().pending.length > 0) await tick();
  assert.deepEqual(
    stored.map((m) => m.body),
    ['sent as the network dropped', 'typed after'],
  );
  assert.deepEqual(
    h.view().messages.map((m) => m.body),
    ['sent as the network dropped', 'typed after'],
  );
});

test('a post typed while the room waits for the connection shows that it waits too; back, the notes go', async () => {
  let networkUp = false;
  const { api } = fakeServer({ failFor: () => (networkUp ? null : NETWORK()), latency: () => 5 });
  const h = offlineHarness(api);
  h.outbox.send('r1', 'first');
  await settle();
  h.outbox.send('r1', 'second');
  assert.equal(h.view().pending[1]?.error, WAITING_FOR_CONNECTION, 'at once, before any try');

  networkUp = true;
  h.browser.back();
  assert.deepEqual(
    h.view().pending.map((p) => p.error),
    [null, null],
    'sending again',
  );
  while (h.view().pending.length > 0) await tick();
});

test('while the browser is offline a server error waits for the connection; online, it is retried and then fails as before', async () => {
  const unavailable = (): ApiError => new ApiError(503, 'unavailable', 'Try again.');
  const offline = offlineHarness(fakeServer({ failFor: unavailable }).api);
  offline.browser.online = false;
  offline.outbox.send('r1', 'a');
  await settle();
  assert.deepEqual(
    offline.view().pending.map((p) => [p.status, p.error]),
    [['pending', WAITING_FOR_CONNECTION]],
  );

  const online = harness(fakeServer({ failFor: unavailable }).api);
  online.outbox.send('r1', 'a');
  while (online.view().pending[0]?.status === 'pending') await tick();
  assert.deepEqual(
    online.view().pending.map((p) => [p.status, p.error]),
    [['failed', 'Try again.']],
  );
});

test('stop stops listening for the connection', () => {
  let watching = 0;
  const h = harness(fakeServer().api, {
    watchConnectionBack: () => {
      watching += 1;
      return () => (watching -= 1);
    },
  });
  assert.equal(watching, 1);
  h.outbox.stop();
  assert.equal(watching, 0);
});
