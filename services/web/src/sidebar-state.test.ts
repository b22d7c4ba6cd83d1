/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { RoomEvent, RoomForMember } from './api-types.ts';
import { applyEventToSidebar, badgeText, readRoom, roomDisplayName } from './sidebar-state.ts';
import { AT, createdEvent, messageFixture } from './test-fixtures.ts';

const ME = 'me';

function room(id: string, overrides: Partial<RoomForMember> = {}): RoomForMember {
  return {
    id,
    kind: 'open',
    name: id,
    createdBy: ME,
    createdAt: AT,
    lastSeq: 1,
    lastMessageSeq: 0,
    involvement: 'mentions',
    readSeq: 1,
    unread: false,
    unreadCount: 0,
    mentionCount: 0,
    memberIds: [ME, 'u2'],
    ...overrides,
  };
}

function created(roomId: string, seq: number, authorId: string): RoomEvent {
  return createdEvent(messageFixture(seq, { roomId, authorId, body: 'hi' }));
}

test('a message from someone else marks another room unread, not the one being read', () => {
  const rooms = [room('a'), room('b')];
  const other = applyEventToSidebar(rooms, created('b', 2, 'u2'), { meId: ME, readingRoomId: 'a' });
  assert.deepEqual(
    other.rooms.map((r) => r.unread),
    [false, true],
  );
  assert.equal(other.rooms[1]?.lastMessageSeq, 2);
  const reading = applyEventToSidebar(rooms, created('a', 2, 'u2'), { meId: ME, readingRoomId: 'a' });
  assert.deepEqual(
    reading.rooms.map((r) => r.unread),
    [false, false],
  );
});

test('counts unread messages and mentions of others, up to the cap, and reading clears them', () => {
  const ctx = { meId: ME, readingRoomId: null };
  const mention = createdEvent(messageFixture(2, { roomId: 'a', authorId: 'u2', body: 'hi <@me>', mentions: [ME] }));
  let rooms: readonly RoomForMember[] = applyEventToSidebar([room('a')], mention, ctx).rooms;
  rooms = applyEventToSidebar(rooms, created('a', 3, 'u2'), ctx).rooms;
  rooms = applyEventToSidebar(rooms, created('a', 4, ME), ctx).rooms;
  assert.deepEqual([rooms[0]?.unreadCount, rooms[0]?.mentionCount], [2, 1]);
  const full = applyEventToSidebar([room('a', { unread: true, unreadCount: 100 })], created('a', 2, 'u2'), ctx).rooms;
  assert.equal(full[0]?.unreadCount, 100);
  assert.equal(badgeText(100), '99+');
  assert.equal(badgeText(7), '7');
  const read = readRoom(rooms[0]!);
  assert.deepEqual([read.unread, read.unreadCount, read.mentionCount], [false, 0, 0]);
  const replayed = applyEventToSidebar([room('a', { readSeq: 5 })], created('a', 4, 'u2'), ctx).rooms;
  assert.equal(replayed[0]?.unreadCount, 0, 'an event at or before the read marker is not new');
});

test('your own message and hidden rooms never become unread', () => {
  const own = applyEventToSidebar([room('a')], created('a', 2, ME), { meId: ME, readingRoomId: null });
  assert.equal(own.rooms[0]?.unread, false);
  const hidden = applyEventToSidebar([room('a', { involvement: 'invisible' })], created('a', 2, 'u2'), { meId: ME, readingRoomId: null });
  assert.equal(hidden.rooms[0]?.unread, false);
});

test('joining a room asks for the list again; leaving one removes it', () => {
  const membership = { roomId: 'c', userId: ME, involvement: 'mentions' as const, readSeq: 0, createdAt: AT };
  const joined = applyEventToSidebar(
    [room('a')],
    { v: 1, type: 'membership.added', roomId: 'c', seq: 3, at: AT, membership },
    { meId: ME, readingRoomId: null },
  );
  assert.equal(joined.refetch, true);
  const left = applyEventToSidebar(
    [room('a'), room('c')],
    { v: 1, type: 'membership.removed', roomId: 'c', seq: 4, at: AT, userId: ME },
    { meId: ME, readingRoomId: null },
  );
  assert.deepEqual(
    left.rooms.map((r) => r.id),
    ['a'],
  );
  assert.equal(left.removedSelf, true);
});

test('other people joining and leaving change the member list', () => {
  const membership = { roomId: 'a', userId: 'u3', involvement: 'mentions' as const, readSeq: 0, createdAt: AT };
  const ctx = { meId: ME, readingRoomId: null };
  const added = applyEventToSidebar([room('a')], { v: 1, type: 'membership.added', roomId: 'a', seq: 2, at: AT, membership }, ctx);
  assert.deepEqual(added.rooms[0]?.memberIds, [ME, 'u2', 'u3']);
  const removed = applyEventToSidebar(added.rooms, { v: 1, type: 'membership.removed', roomId: 'a', seq: 3, at: AT, userId: 'u2' }, ctx);
  assert.deepEqual(removed.rooms[0]?.memberIds, [ME, 'u3']);
  assert.equal(removed.removedSelf, false);
});

test('a direct room is named after the other people in it', () => {
  const names: Record<string, string> = { [ME]: 'Me', u2: 'Zoe', u3: 'Adam' };
  const nameOf = (id: string): string => names[id] ?? '?';
  assert.equal(roomDisplayName({ kind: 'direct', name: null, memberIds: [ME, 'u2', 'u3'] }, ME, nameOf), 'Adam, Zoe');
  assert.equal(roomDisplayName({ kind: 'direct', name: null, memberIds: [ME] }, ME, nameOf), 'Me');
  assert.equal(roomDisplayName({ kind: 'open', name: 'Design', memberIds: [] }, ME, nameOf), 'Design');
});
