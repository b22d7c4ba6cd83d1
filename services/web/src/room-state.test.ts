/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RoomEvent } from './api-types.ts';
import { AT, messageFixture } from './test-fixtures.ts';
import { addPending, applyRoomEvent, createRoomView, prependOlder, setPendingStatus, upsertMessages, type PendingMessage } from './room-state.ts';

const message = messageFixture;

function event(seq: number, data: Record<string, unknown>): RoomEvent {
  return { v: 1, roomId: 'r1', seq, at: AT, ...data } as unknown as RoomEvent;
}

function pending(clientMessageId: string): PendingMessage {
  return { clientMessageId, roomId: 'r1', authorId: 'u1', body: 'hi', createdAt: AT, status: 'pending', error: null };
}

test('a short first page means there is nothing older', () => {
  assert.equal(createRoomView('r1', [message(1)], 1, 40).hasOlder, false);
  const full = Array.from({ length: 40 }, (_, i) => message(i + 1));
  assert.equal(createRoomView('r1', full, 40, 40).hasOlder, true);
});

test('events at or below lastSeq are dropped, the next one is applied, a jump is a gap', () => {
  const view = createRoomView('r1', [message(5)], 5, 40);
  assert.equal(applyRoomEvent(view, event(5, { type: 'message.created', message: message(5) })).outcome, 'stale');
  const applied = applyRoomEvent(view, event(6, { type: 'message.created', message: message(6) }));
  assert.equal(applied.outcome, 'applied');
  assert.equal(applied.view.lastSeq, 6);
  assert.deepEqual(
    applied.view.messages.map((m) => m.seq),
    [5, 6],
  );
  const gap = applyRoomEvent(view, event(8, { type: 'message.created', message: message(8) }));
  assert.equal(gap.outcome, 'gap');
  assert.equal(gap.view, view);
});

test('re-applying a message already in the page does not show it twice', () => {
  const view = createRoomView('r1', [message(5), message(6)], 5, 40);
  const { view: next } = applyRoomEvent(view, event(6, { type: 'message.created', message: message(6) }));
  assert.deepEqual(
    next.messages.map((m) => m.id),
    ['m5', 'm6'],
  );
});

test('a confirmed message retires its pending copy, whichever arrives first', () => {
  let view = addPending(createRoomView('r1', [], 0, 40), pending('c1'));
  view = upsertMessages(view, [message(1, { clientMessageId: 'c1' })]);
  assert.equal(view.pending.length, 0);
  assert.equal(view.messages.length, 1);
  // The realtime copy arrives after the POST answer: still one message.
  const { view: after } = applyRoomEvent(view, event(1, { type: 'message.created', message: message(1, { clientMessageId: 'c1' }) }));
  assert.equal(after.messages.length, 1);
  assert.equal(after.pending.length, 0);
});

test('a pending message of another author with the same client id is not retired', () => {
  const view = upsertMessages(addPending(createRoomView('r1', [], 0, 40), pending('c1')), [message(1, { clientMessageId: 'c1', authorId: 'u2' })]);
  assert.equal(view.pending.length, 1);
});

test('a failed message keeps its client id for the retry', () => {
  const view = setPendingStatus(addPending(createRoomView('r1', [], 0, 40), pending('c1')), 'c1', 'failed', 'boom');
  assert.deepEqual(
    view.pending.map((p) => [p.clientMessageId, p.status, p.error]),
    [['c1', 'failed', 'boom']],
  );
});

test('edits, deletions and boosts change the message in place', () => {
  const file = { id: 'f1', name: 'a.pdf', contentType: 'application/pdf', size: 10, alt: null, image: null };
  let view = createRoomView('r1', [message(1, { file })], 1, 40);
  view = applyRoomEvent(view, event(2, { type: 'message.updated', message: message(1, { body: 'edited', editedAt: AT }) })).view;
  assert.equal(view.messages[0]?.body, 'edited');
  const boost = { id: 'b1', messageId: 'm1', authorId: 'u2', content: '👍', createdAt: AT };
  view = applyRoomEvent(view, event(3, { type: 'boost.created', boost })).view;
  view = applyRoomEvent(view, event(4, { type: 'boost.created', boost })).view;
  assert.equal(view.messages[0]?.boosts.length, 1);
  view = applyRoomEvent(view, event(5, { type: 'boost.deleted', boostId: 'b1', messageId: 'm1' })).view;
  assert.equal(view.messages[0]?.boosts.length, 0);
  view = applyRoomEvent(view, event(6, { type: 'message.deleted', messageId: 'm1' })).view;
  assert.equal(view.messages[0]?.body, '');
  assert.equal(view.messages[0]?.file, null, 'a deleted message keeps no file');
  assert.equal(view.messages[0]?.deletedAt, AT);
  assert.equal(view.lastSeq, 6);
});

test('older pages go in front and keep seq order', () => {
  const view = prependOlder(createRoomView('r1', [message(41), message(42)], 42, 2), [message(39), message(40)], 40);
  assert.deepEqual(
    view.messages.map((m) => m.seq),
    [39, 40, 41, 42],
  );
  assert.equal(view.hasOlder, false);
});
