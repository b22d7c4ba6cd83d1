/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RoomForMember, User } from './api-types.ts';
import { initialChatState, withRoom, without, withView } from './chat-state.ts';
import { createRoomView } from './room-state.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;
const base = { ...initialChatState(ME, 'Acme'), rooms: [{ id: 'r1', name: 'a' } as unknown as RoomForMember], views: { r1: createRoomView('r1', [], 3, 40) } };

test('a change to a room or view not there, or a change that changes nothing, keeps the same state (no re-render)', () => {
  assert.equal(
    withView(base, 'r2', (v) => ({ ...v, lastSeq: 9 })),
    base,
  );
  assert.equal(
    withView(base, 'r1', (v) => v),
    base,
  );
  assert.equal(
    withRoom(base, 'r2', (r) => ({ ...r, name: 'b' })),
    base,
  );
});

test('a real change makes a new state with only that room or view changed', () => {
  const viewed = withView(base, 'r1', (v) => ({ ...v, lastSeq: 9 }));
  assert.equal(viewed.views['r1']?.lastSeq, 9);
  assert.equal(base.views.r1.lastSeq, 3);
  assert.equal(withRoom(base, 'r1', (r) => ({ ...r, name: 'b' })).rooms[0]?.name, 'b');
  assert.deepEqual(without({ a: 1, b: 2 }, 'a'), { b: 2 });
});
