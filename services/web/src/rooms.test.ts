/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { ApiError } from './api.ts';
import type { Room, RoomEvent, RoomForMember, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createRoomView } from './room-state.ts';
import { createRooms, type RoomsApi } from './rooms.ts';
import { createStore } from './store.ts';

const AT = '2025-01-01T00:00:00.000Z';
const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;

function room(id: string, overrides: Partial<RoomForMember> = {}): RoomForMember {
  return {
    id,
    kind: 'open',
    name: id,
    memberIds: ['u1', 'u2'],
    lastSeq: 5,
    lastMessageSeq: 5,
    readSeq: 5,
    unread: false,
    unreadCount: 0,
    mentionCount: 0,
    involvement: 'everything',
    ...overrides,
  } as unknown as RoomForMember;
}

function event(roomId: string, seq: number, data: Record<string, unknown>): RoomEvent {
  return { v: 1, roomId, seq, at: AT, ...data } as unknown as RoomEvent;
}

const fromOther = (roomId: string, seq: number): RoomEvent => event(roomId, seq, { type: 'message.created', message: { authorId: 'u2', seq, mentions: [] } });

function harness(listed: RoomForMember[], options: { visible?: boolean; roomsError?: ApiError } = {}) {
  const store = createStore<ChatState>(initialChatState(ME, 'Acme'));
  const log = { markRead: [] as [string, number][], listCalls: 0, signedOut: 0, removed: [] as [string, string][], ensured: [] as string[] };
  const api: RoomsApi = {
    rooms() {
      log.listCalls += 1;
      return options.roomsError === undefined ? Promise.resolve({ rooms: listed }) : Promise.reject(options.roomsError);
    },
    markRead(roomId, readSeq) {
      log.markRead.push([roomId, readSeq]);
      return Promise.resolve({} as never);
    },
    createRoom: () => Promise.resolve({ id: 'new' } as Room),
    openDirect: () => Promise.resolve({ id: 'dm' } as Room),
    addMember: () => Promise.resolve({} as never),
    removeMember: () => Promise.resolve(null),
    updateRoom: (roomId, input) => Promise.resolve({ id: roomId, name: input.name ?? null } as Room),
  };
  const rooms = createRooms({
    ctx: { me: ME, store, isVisible: () => options.visible ?? true },
    api,
    ensureUser: (id) => log.ensured.push(id),
    nameOf: (id) => (id === 'u2' ? 'Bea' : 'Me'),
    onSignedOut: () => (log.signedOut += 1),
    onRemoved: (roomId, name) => log.removed.push([roomId, name]),
  });
  const open = (roomId: string, lastSeq: number): void =>
    store.update((s) => ({ ...s, currentRoomId: roomId, views: { ...s.views, [roomId]: createRoomView(roomId, [], lastSeq, 40) } }));
  return { rooms, store, log, open, find: (id: string) => store.get().rooms.find((r) => r.id === id) };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

test('the listed rooms are shown, with the open room read whatever the server last heard', async () => {
  const h = harness([room('r1', { unread: true }), room('r2', { unread: true })]);
  h.open('r1', 5);
  await h.rooms.refresh();
  assert.deepEqual(
    h.store.get().rooms.map((r) => [r.id, r.unread]),
    [
      ['r1', false],
      ['r2', true],
    ],
  );
  assert.equal(h.store.get().roomsLoaded, true);
  assert.deepEqual(h.log.ensured, ['u1', 'u2', 'u1', 'u2']);
});

test('a 401 while listing rooms signs out', async () => {
  const h = harness([], { roomsError: new ApiError(401, 'unauthenticated', 'gone') });
  await h.rooms.refresh();
  assert.equal(h.log.signedOut, 1);
});

test("a room event's sidebar effects apply once, and not for a sequence the stream resumed past", async () => {
  const h = harness([room('r1'), room('r2')]);
  await h.rooms.refresh();
  h.rooms.noteResumed({ r1: 7 });
  assert.equal(h.rooms.applyEvent(fromOther('r1', 7)), false);
  assert.equal(h.find('r1')?.unread, false);
  assert.equal(h.rooms.applyEvent(fromOther('r1', 8)), true);
  assert.equal(h.find('r1')?.unread, true);
  assert.equal(h.rooms.applyEvent(fromOther('r1', 8)), false);
});

test('a message in the room being read is marked read on the server once, after a short pause', async () => {
  const h = harness([room('r1')]);
  await h.rooms.refresh();
  h.open('r1', 9);
  h.rooms.scheduleMarkRead('r1');
  h.rooms.scheduleMarkRead('r1');
  mock.timers.tick(149);
  assert.deepEqual(h.log.markRead, []);
  mock.timers.tick(1);
  assert.deepEqual(h.log.markRead, [['r1', 9]]);
  assert.equal(h.find('r1')?.readSeq, 9);
});

test('leaving a room before its mark is sent marks it read only up to what was on screen', async () => {
  const h = harness([room('r1'), room('r2')]);
  await h.rooms.refresh();
  h.open('r1', 9);
  h.rooms.scheduleMarkRead('r1');
  h.open('r2', 3);
  // A message arrives in the room just left, before the mark goes.
  h.store.update((s) => ({ ...s, views: { ...s.views, r1: createRoomView('r1', [], 10, 40) } }));
  mock.timers.tick(150);
  assert.deepEqual(h.log.markRead, [['r1', 9]]);
});

test('a message that arrives in a room just left, before its mark goes, stays unread and counted', async () => {
  const h = harness([room('r1'), room('r2')]);
  await h.rooms.refresh();
  h.open('r1', 9);
  h.rooms.show('r1');
  h.rooms.scheduleMarkRead('r1');
  h.open('r2', 3);
  h.rooms.applyEvent(fromOther('r1', 10));
  mock.timers.tick(150);
  assert.deepEqual(h.log.markRead, [['r1', 9]]);
  const left = h.find('r1');
  assert.deepEqual([left?.readSeq, left?.unread, left?.unreadCount], [9, true, 1]);
});

test('a room loaded as the server last counted it stays read while on screen, and never reads less than the page knows', async () => {
  const h = harness([room('r1')]);
  await h.rooms.refresh();
  h.open('r1', 9);
  h.rooms.show('r1');
  mock.timers.tick(150);
  h.rooms.noteLoaded(room('r1', { readSeq: 4, unread: true, unreadCount: 4, mentionCount: 1, lastMessageSeq: 9 }));
  const loaded = h.find('r1');
  assert.deepEqual([loaded?.readSeq, loaded?.unread, loaded?.unreadCount, loaded?.mentionCount], [9, false, 0, 0]);
});

test('nothing is marked read while the tab is hidden', async () => {
  const h = harness([room('r1', { unread: true })], { visible: false });
  await h.rooms.refresh();
  h.open('r1', 9);
  h.rooms.show('r1');
  mock.timers.tick(1_000);
  assert.deepEqual(h.log.markRead, []);
  assert.equal(h.find('r1')?.unread, true);
});

test('being removed from a room drops it and says what it was called; joining one lists the rooms again', async () => {
  const h = harness([room('r1', { kind: 'direct', name: null })]);
  await h.rooms.refresh();
  h.rooms.applyEvent(event('r1', 6, { type: 'membership.removed', userId: 'u1' }));
  assert.deepEqual(h.store.get().rooms, []);
  assert.deepEqual(h.log.removed, [['r1', 'Bea']]);
  const calls = h.log.listCalls;
  h.rooms.applyEvent(event('r3', 1, { type: 'membership.added', membership: { userId: 'u1', roomId: 'r3' } }));
  assert.equal(h.log.listCalls, calls + 1);
});

test('members added, removed and a rename change the sidebar entry', async () => {
  const h = harness([room('r1')]);
  await h.rooms.refresh();
  await h.rooms.addMember('r1', 'u3');
  await h.rooms.removeMember('r1', 'u2');
  await h.rooms.rename('r1', 'general');
  assert.deepEqual(h.find('r1')?.memberIds, ['u1', 'u3']);
  assert.equal(h.find('r1')?.name, 'general');
});
