/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PendingMessage } from './room-state.ts';
import { memoryStorage } from './test-fixtures.ts';
import { createUnsentPosts, parsePosts } from './unsent-posts.ts';

const post = (clientMessageId: string, overrides: Partial<PendingMessage> = {}): PendingMessage => ({
  clientMessageId,
  roomId: 'r1',
  authorId: 'u1',
  body: `body ${clientMessageId}`,
  createdAt: '2026-12-06T00:00:00.000Z',
  status: 'pending',
  error: null,
  ...overrides,
});

test("keeps a person's unsent posts in order across pages, each once, until dropped", () => {
  const storage = memoryStorage();
  const page = createUnsentPosts(storage, 'u1');
  page.keep(post('a'));
  page.keep(post('b', { error: 'Waiting for the connection…' }));
  page.keep(post('a'));
  // Another page (a reload, another tab) of the same person sees them, as waiting to be sent.
  const next = createUnsentPosts(storage, 'u1');
  assert.deepEqual(
    next.all().map((p) => [p.clientMessageId, p.error]),
    [
      ['b', null],
      ['a', null],
    ],
  );
  next.drop('b');
  page.drop('a');
  assert.deepEqual(page.all(), []);
  assert.equal(storage.length, 0, 'nothing is left behind once all went');
  assert.deepEqual(createUnsentPosts(storage, 'u2').all(), [], "another person's page sees none");
});

test('reads what it can of a kept value that is not its own, and goes on without storage', () => {
  assert.deepEqual(parsePosts('not json', 'u1'), []);
  assert.deepEqual(parsePosts('{"a":1}', 'u1'), []);
  assert.deepEqual(parsePosts(JSON.stringify([post('a'), { clientMessageId: 3 }, post('c', { authorId: 'u2' })]), 'u1'), [post('a')]);
  const none = createUnsentPosts(null, 'u1');
  none.keep(post('a'));
  assert.deepEqual(none.all(), []);
});
