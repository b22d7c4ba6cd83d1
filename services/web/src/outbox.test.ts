/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError } from './api.ts';
import type { Message, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createOutbox, isRetryablePostError, pausedFor, type OutboxDeps } from './outbox.ts';
import { createRoomView } from './room-state.ts';
import { createStore } from './store.ts';
import { messageFixture } from './test-fixtures.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A server that stores posts in arrival order, answering each after `latency(n)` ms, or failing as told. */
function fakeServer(options: { latency?: (n: number) => number; failFor?: (body: string) => ApiError | null } = {}) {
  const stored: Message[] = [];
  let posts = 0;
  const api: OutboxDeps['api'] = {
    async postMessage(roomId, body, clientMessageId) {
      await new Promise((resolve) => setTimeout(resolve, options.latency?.(posts++) ?? 0));
      const error = options.failFor?.(body) ?? null;
      if (error !== null) throw error;
      const seq = stored.length + 1;
      const m = messageFixture(seq, { roomId, authorId: ME.id, clientMessageId, body });
      stored.push(m);
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
    ...overrides,
  });
  return { outbox, view: () => store.get().views['r1']! };
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

test('a post that meets a network error is retried until it goes, and stays pending meanwhile', async () => {
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
  assert.equal(waits.length, 2);
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
