import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  type AuditEntry,
  createBus,
  createCommandClient,
  createLogger,
  createMetrics,
  createStore,
  HearthError,
  isHearthError,
  type Bus,
  type CommandClient,
  type EphemeralSignal,
  type Message,
  type Room,
  type RoomEvent,
  type Store,
  type User,
} from '@hearth/core';
import { startTestMessaging } from './messaging-test-support.ts';
import { startMessaging, type Messaging } from './messaging.ts';

/**
 * Messaging through its real entry points: commands go over a BusLocal to
 * startMessaging, which applies them to an in-memory StoreSqlite; the outbox
 * relay publishes to the same bus, where these tests listen.
 */

const MESSAGE_CHARS = 1_000;

interface World {
  readonly store: Store;
  readonly bus: Bus;
  readonly messaging: Messaging;
  readonly commands: CommandClient;
  /** Every room event the bus delivered, in delivery order (subscribed before the first command). */
  readonly published: RoomEvent[];
  readonly signals: EphemeralSignal[];
  readonly admin: User;
  readonly bob: User;
  readonly carol: User;
  readonly joinCode: string;
  readonly allTalk: Room;
}

async function openWorld(t: TestContext): Promise<World> {
  const store = await createStore({ type: 'sqlite', path: ':memory:' });
  const { messaging, bus } = await startTestMessaging(t, store, { messageChars: MESSAGE_CHARS });
  const published: RoomEvent[] = [];
  const signals: EphemeralSignal[] = [];
  bus.subscribeRoomEvents((event) => published.push(event));
  bus.subscribeSignals((signal) => signals.push(signal));
  const commands = createCommandClient(bus, 5_000);
  const { account, user: admin } = await commands.send('account.setup', {
    accountName: 'Acme',
    admin: { name: 'Ada', email: 'ada@example.com', passwordHash: null },
  });
  const join = (name: string) =>
    commands.send('user.create', { joinCode: account.joinCode, actorId: null, user: { name, email: `${name.toLowerCase()}@example.com`, passwordHash: null } });
  const bob = await join('Bob');
  const carol = await join('Carol');
  const [allTalk] = await store.listOpenRooms();
  assert.ok(allTalk !== undefined);
  return { store, bus, messaging, commands, published, signals, admin, bob, carol, joinCode: account.joinCode, allTalk };
}

async function rejectsWith(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHearthError(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const seqs = (items: readonly { seq: number }[]): number[] => items.map((item) => item.seq);
const types = (events: readonly RoomEvent[]): string[] => events.map((event) => event.type);

async function roomOf(store: Store, roomId: string): Promise<Room> {
  const room = await store.getRoom(roomId);
  assert.ok(room !== null, `room ${roomId} exists`);
  return room;
}

async function memberIdsOf(store: Store, roomId: string): Promise<string[]> {
  return (await store.listMembers(roomId)).map((m) => m.userId).sort();
}

/** A body alone gets a client message id of its own; a retry names the id it repeats. */
type PostText = string | { readonly body: string; readonly clientMessageId: string };

function post(w: World, actor: User, roomId: string, text: PostText): Promise<Message> {
  const { body, clientMessageId } = typeof text === 'string' ? { body: text, clientMessageId: `c-${Math.random()}` } : text;
  return w.commands.send('message.post', { actorId: actor.id, roomId, body, clientMessageId });
}

describe('account and users', () => {
  it('account.setup creates the administrator and the "All Talk" room with room.created then membership.added', async (t) => {
    const store = await createStore({ type: 'sqlite', path: ':memory:' });
    const { bus } = await startTestMessaging(t, store, { messageChars: 100, replayLimit: 100 });
    const commands = createCommandClient(bus);
    const { account, user } = await commands.send('account.setup', {
      accountName: '  Acme  ',
      admin: { name: ' Ada ', email: 'Ada@Example.COM', passwordHash: null },
    });
    assert.equal(account.name, 'Acme');
    assert.equal(user.role, 'administrator');
    assert.equal(user.name, 'Ada');
    assert.equal(user.email, 'ada@example.com');
    assert.equal(user.active, true);

    const rooms = await store.listOpenRooms();
    assert.equal(rooms.length, 1);
    const room = rooms[0] as Room;
    assert.equal(room.name, 'All Talk');
    assert.equal(room.kind, 'open');
    assert.equal(room.createdBy, user.id);
    assert.equal(room.lastSeq, 2);

    const events = await store.eventsSince(room.id, 0, 100);
    assert.deepEqual(types(events), ['room.created', 'membership.added']);
    assert.deepEqual(seqs(events), [1, 2]);
    const [created, added] = events;
    assert.ok(created?.type === 'room.created' && added?.type === 'membership.added');
    assert.equal(created.room.id, room.id);
    assert.equal(added.membership.userId, user.id);
    assert.equal(added.membership.readSeq, 0);
    assert.deepEqual(await memberIdsOf(store, room.id), [user.id]);

    await rejectsWith(
      commands.send('account.setup', { accountName: 'Again', admin: { name: 'Eve', email: 'eve@example.com', passwordHash: null } }),
      'already_set_up',
    );
    assert.equal(await store.countUsers(), 1);
    assert.equal((await store.getAccount())?.name, 'Acme');
    assert.equal((await roomOf(store, room.id)).lastSeq, 2);
  });

  it('user.create with the join code joins every open room (not closed ones); a wrong code is not_found', async (t) => {
    const w = await openWorld(t);
    const random = await w.commands.send('room.create', { actorId: w.admin.id, kind: 'open', name: 'Random', memberIds: [] });
    const secret = await w.commands.send('room.create', { actorId: w.admin.id, kind: 'closed', name: 'Secret', memberIds: [] });
    const dave = await w.commands.send('user.create', {
      joinCode: w.joinCode,
      actorId: null,
      user: { name: 'Dave', email: 'dave@example.com', passwordHash: null },
    });
    assert.equal(dave.role, 'member');
    const rooms = (await w.store.listRoomsForMember(dave.id)).map((r) => r.id).sort();
    assert.deepEqual(rooms, [w.allTalk.id, random.id].sort());
    assert.equal(await w.store.getMembership(secret.id, dave.id), null);
    const lastAdded = (await w.store.eventsSince(random.id, 0, 100)).at(-1);
    assert.ok(lastAdded?.type === 'membership.added');
    assert.equal(lastAdded.membership.userId, dave.id);

    const before = await w.store.countUsers();
    await rejectsWith(
      w.commands.send('user.create', { joinCode: 'not-the-code', actorId: null, user: { name: 'Eve', email: 'eve@example.com', passwordHash: null } }),
      'not_found',
      'joinCode',
    );
    assert.equal(await w.store.countUsers(), before);
    assert.equal(await w.store.getCredentialsByEmail('eve@example.com'), null);
  });

  it('user.create refuses an email already taken, in any case', async (t) => {
    const w = await openWorld(t);
    await rejectsWith(
      w.commands.send('user.create', { joinCode: w.joinCode, actorId: null, user: { name: 'Bob 2', email: 'BOB@example.com', passwordHash: null } }),
      'email_taken',
      'email',
    );
  });

  it('deactivating a user publishes sessions.revoked after commit; a refused update publishes nothing', async (t) => {
    const w = await openWorld(t);
    await rejectsWith(w.commands.send('user.update', { actorId: w.bob.id, userId: w.carol.id, active: false }), 'forbidden');
    assert.equal(w.signals.length, 0);
    const updated = await w.commands.send('user.update', { actorId: w.admin.id, userId: w.carol.id, active: false });
    assert.equal(updated.active, false);
    assert.deepEqual(
      w.signals.map((s) => [s.type, 'userId' in s ? s.userId : null]),
      [
        ['sessions.revoked', w.carol.id],
        ['user.updated', w.carol.id],
      ],
    );
  });

  it("user.setAvatar sets and clears the actor's own picture and tells everyone; a bad version or a deactivated actor is refused", async (t) => {
    const w = await openWorld(t);
    const pictured = await w.commands.send('user.setAvatar', { actorId: w.bob.id, avatar: 'Abc-123_x' });
    assert.deepEqual(pictured, { ...w.bob, avatar: 'Abc-123_x' });
    assert.deepEqual(await w.store.getUser(w.bob.id), pictured);
    const cleared = await w.commands.send('user.setAvatar', { actorId: w.bob.id, avatar: null });
    assert.equal(cleared.avatar, null);
    assert.deepEqual(
      w.signals.map((s) => [s.type, 'userId' in s ? s.userId : null]),
      [
        ['user.updated', w.bob.id],
        ['user.updated', w.bob.id],
      ],
    );
    await rejectsWith(w.commands.send('user.setAvatar', { actorId: w.bob.id, avatar: '../../etc' }), 'invalid_request', 'avatar');
    await w.commands.send('user.update', { actorId: w.admin.id, userId: w.carol.id, active: false });
    await rejectsWith(w.commands.send('user.setAvatar', { actorId: w.carol.id, avatar: 'v1' }), 'user_not_found', 'actorId');
    assert.equal((await w.store.getUser(w.carol.id))?.avatar, null);
  });

  it('message.post, boost.add and membership.update from a deactivated actor are refused with user_not_found and change nothing', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const message = await post(w, w.bob, room, 'boost me');
    const deactivated = await w.commands.send('user.update', { actorId: w.admin.id, userId: w.carol.id, active: false });
    assert.equal(deactivated.active, false);
    const before = {
      room: await roomOf(w.store, room),
      events: await w.store.eventsSince(room, 0, 1_000),
      membership: await w.store.getMembership(room, w.carol.id),
    };

    await rejectsWith(post(w, w.carol, room, 'am I still here?'), 'user_not_found', 'actorId');
    await rejectsWith(w.commands.send('boost.add', { actorId: w.carol.id, messageId: message.id, content: '👋' }), 'user_not_found', 'actorId');
    await rejectsWith(
      w.commands.send('membership.update', { actorId: w.carol.id, roomId: room, readSeq: before.room.lastSeq, involvement: 'everything' }),
      'user_not_found',
      'actorId',
    );

    assert.deepEqual(await roomOf(w.store, room), before.room);
    assert.deepEqual(await w.store.eventsSince(room, 0, 1_000), before.events);
    assert.deepEqual(await w.store.getMembership(room, w.carol.id), before.membership);
    assert.deepEqual(
      (await w.store.listMessages(room, { limit: 100 })).map((m) => m.id),
      [message.id],
    );
    assert.deepEqual((await w.store.getMessage(message.id))?.boosts, []);
  });
});

describe('message.post', () => {
  it('100 concurrent posts from two users take contiguous seqs with no duplicate', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const start = (await roomOf(w.store, room)).lastSeq;
    const posts = range(1, 100).map((i) => post(w, i % 2 === 0 ? w.bob : w.carol, room, { body: `message ${i}`, clientMessageId: `concurrent-${i}` }));
    const replies = await Promise.all(posts);

    const replySeqs = seqs(replies).sort((a, b) => a - b);
    assert.deepEqual(replySeqs, range(start + 1, start + 100));
    assert.equal(new Set(replies.map((m) => m.id)).size, 100);

    const stored = await w.store.listMessages(room, { limit: 1_000 });
    assert.deepEqual(seqs(stored), range(start + 1, start + 100));
    for (const reply of replies) {
      const same = stored.find((m) => m.id === reply.id);
      assert.equal(same?.seq, reply.seq);
      assert.equal(same?.body, `message ${reply.clientMessageId.slice('concurrent-'.length)}`);
    }
    const events = await w.store.eventsSince(room, 0, 1_000);
    assert.deepEqual(seqs(events), range(1, start + 100));
    const created = events.filter((e) => e.type === 'message.created');
    assert.deepEqual(seqs(created), range(start + 1, start + 100));
    assert.equal((await roomOf(w.store, room)).lastSeq, start + 100);
    assert.equal((await roomOf(w.store, room)).lastMessageSeq, start + 100);
  });

  it('a retried post with the same clientMessageId returns the original and stores one', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const first = await post(w, w.bob, room, { body: 'deploy finished', clientMessageId: 'deploy-4711' });
    const lastSeq = (await roomOf(w.store, room)).lastSeq;
    const retry = await post(w, w.bob, room, { body: 'deploy finished (retry with another body)', clientMessageId: 'deploy-4711' });
    assert.deepEqual(retry, first);
    const concurrent = await Promise.all(range(1, 5).map(() => post(w, w.bob, room, { body: 'again', clientMessageId: 'deploy-4711' })));
    for (const reply of concurrent) assert.equal(reply.id, first.id);
    assert.equal((await roomOf(w.store, room)).lastSeq, lastSeq);
    const stored = await w.store.listMessages(room, { limit: 100 });
    assert.deepEqual(
      stored.map((m) => [m.id, m.seq, m.body]),
      [[first.id, first.seq, 'deploy finished']],
    );

    // The key is per author: another person may use the same clientMessageId.
    const carols = await post(w, w.carol, room, { body: 'mine', clientMessageId: 'deploy-4711' });
    assert.notEqual(carols.id, first.id);
    assert.equal(carols.seq, lastSeq + 1);
  });

  it('a post leaves the room read for its author and unread for the others', async (t) => {
    const w = await openWorld(t);
    const message = await post(w, w.bob, w.allTalk.id, 'lunch?');
    const unreadFor = async (user: User) => (await w.store.listRoomsForMember(user.id)).find((r) => r.id === w.allTalk.id)?.unread;
    assert.equal((await w.store.getMembership(w.allTalk.id, w.bob.id))?.readSeq, message.seq);
    assert.equal(await unreadFor(w.bob), false);
    assert.equal(await unreadFor(w.carol), true);
  });

  it('refuses a non-member (not_a_member) and an unknown room (room_not_found)', async (t) => {
    const w = await openWorld(t);
    const closed = await w.commands.send('room.create', { actorId: w.admin.id, kind: 'closed', name: 'Admins', memberIds: [] });
    await rejectsWith(post(w, w.bob, closed.id, 'let me in'), 'not_a_member', 'roomId');
    await rejectsWith(post(w, w.bob, '00000000-0000-4000-8000-000000000000', 'hello?'), 'room_not_found', 'roomId');
    assert.deepEqual(await w.store.listMessages(closed.id, { limit: 10 }), []);
  });

  it('counts the body limit in characters: at the limit it posts, one over is payload_too_large on body', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const atLimit = await post(w, w.bob, room, '😀'.repeat(MESSAGE_CHARS));
    assert.equal([...atLimit.body].length, MESSAGE_CHARS);
    await rejectsWith(post(w, w.bob, room, 'a'.repeat(MESSAGE_CHARS + 1)), 'payload_too_large', 'body');
    await rejectsWith(post(w, w.bob, room, '   '), 'invalid_request', 'body');
    const trimmed = await post(w, w.bob, room, '  padded  ');
    assert.equal(trimmed.body, 'padded');
  });

  it('/play sets the sound; an unknown sound is invalid_request on body', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const played = await post(w, w.bob, room, '/play trombone');
    assert.equal(played.sound, 'trombone');
    assert.equal(played.body, '/play trombone');
    const plain = await post(w, w.bob, room, 'we should /play trombone');
    assert.equal(plain.sound, null);
    await rejectsWith(post(w, w.bob, room, '/play nope'), 'invalid_request', 'body');
    await rejectsWith(post(w, w.bob, room, '/play'), 'invalid_request', 'body');
    // A /play message cannot be edited, and nothing can be edited into one.
    await rejectsWith(w.commands.send('message.edit', { actorId: w.bob.id, messageId: played.id, body: 'silence' }), 'invalid_request', 'body');
    await rejectsWith(w.commands.send('message.edit', { actorId: w.bob.id, messageId: plain.id, body: '/play tada' }), 'invalid_request', 'body');
  });

  it('records mentions of members, once each in order, and not of non-members', async (t) => {
    const w = await openWorld(t);
    const closed = await w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Pair', memberIds: [w.admin.id] });
    const body = `<@${w.carol.id}> <@${w.admin.id}> hi <@${w.bob.id}> and again <@${w.admin.id}>`;
    const message = await post(w, w.bob, closed.id, body);
    assert.deepEqual(message.mentions, [w.admin.id, w.bob.id]);
    const inOpen = await post(w, w.bob, w.allTalk.id, `<@${w.carol.id}>, <@00000000-0000-4000-8000-000000000000>`);
    assert.deepEqual(inOpen.mentions, [w.carol.id]);
    const edited = await w.commands.send('message.edit', { actorId: w.bob.id, messageId: message.id, body: `now just <@${w.bob.id}>` });
    assert.deepEqual(edited.mentions, [w.bob.id]);
  });
});

describe('editing, deleting and boosts', () => {
  it('the author and an administrator may edit and delete; another member is forbidden', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const message = await post(w, w.bob, room, 'first draft');
    const edited = await w.commands.send('message.edit', { actorId: w.bob.id, messageId: message.id, body: 'second draft' });
    assert.equal(edited.body, 'second draft');
    assert.notEqual(edited.editedAt, null);
    assert.equal(edited.seq, message.seq);
    await rejectsWith(w.commands.send('message.edit', { actorId: w.carol.id, messageId: message.id, body: 'vandalism' }), 'forbidden');
    await rejectsWith(w.commands.send('message.delete', { actorId: w.carol.id, messageId: message.id }), 'forbidden');
    const byAdmin = await w.commands.send('message.edit', { actorId: w.admin.id, messageId: message.id, body: 'moderated' });
    assert.equal(byAdmin.body, 'moderated');
    const deleted = await w.commands.send('message.delete', { actorId: w.admin.id, messageId: message.id });
    assert.equal(deleted.body, '');
    assert.notEqual(deleted.deletedAt, null);
    await rejectsWith(w.commands.send('message.edit', { actorId: w.bob.id, messageId: message.id, body: 'back' }), 'conflict', 'messageId');

    const own = await post(w, w.carol, room, 'mine to delete');
    const ownDeleted = await w.commands.send('message.delete', { actorId: w.carol.id, messageId: own.id });
    assert.equal(ownDeleted.body, '');

    const events = (await w.store.eventsSince(room, message.seq, 100)).map((e) => e.type);
    assert.deepEqual(events, ['message.updated', 'message.updated', 'message.deleted', 'message.created', 'message.deleted']);
    await rejectsWith(w.commands.send('message.edit', { actorId: w.bob.id, messageId: 'no-such-message', body: 'x' }), 'message_not_found', 'messageId');
  });

  it('boosts: 16 characters is fine, 17 is invalid_request on content; only the author or an administrator removes one', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const message = await post(w, w.bob, room, 'ship it');
    const boost = await w.commands.send('boost.add', { actorId: w.carol.id, messageId: message.id, content: '1234567890abcdef' });
    assert.equal(boost.content, '1234567890abcdef');
    assert.equal(boost.authorId, w.carol.id);
    const emoji = await w.commands.send('boost.add', { actorId: w.bob.id, messageId: message.id, content: '🎉'.repeat(16) });
    assert.equal(emoji.content, '🎉'.repeat(16));
    await rejectsWith(w.commands.send('boost.add', { actorId: w.carol.id, messageId: message.id, content: '1234567890abcdefg' }), 'invalid_request', 'content');
    await rejectsWith(w.commands.send('boost.add', { actorId: w.carol.id, messageId: message.id, content: '   ' }), 'invalid_request', 'content');

    assert.deepEqual(
      (await w.store.getMessage(message.id))?.boosts.map((b) => b.id),
      [boost.id, emoji.id],
    );
    await rejectsWith(w.commands.send('boost.remove', { actorId: w.bob.id, boostId: boost.id }), 'forbidden');
    assert.deepEqual(await w.commands.send('boost.remove', { actorId: w.carol.id, boostId: boost.id }), { removed: true });
    assert.deepEqual(await w.commands.send('boost.remove', { actorId: w.admin.id, boostId: emoji.id }), { removed: true });
    await rejectsWith(w.commands.send('boost.remove', { actorId: w.carol.id, boostId: boost.id }), 'not_found', 'boostId');
    assert.deepEqual((await w.store.getMessage(message.id))?.boosts, []);

    const events = await w.store.eventsSince(room, message.seq, 100);
    assert.deepEqual(types(events), ['boost.created', 'boost.created', 'boost.deleted', 'boost.deleted']);
    const last = events.at(-1);
    assert.ok(last?.type === 'boost.deleted');
    assert.deepEqual([last.boostId, last.messageId], [emoji.id, message.id]);
  });
});

describe('rooms and memberships', () => {
  it('a closed room: its creator adds and removes members; a removed member can no longer post', async (t) => {
    const w = await openWorld(t);
    const room = await w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Project X', memberIds: [] });
    assert.equal(room.kind, 'closed');
    assert.deepEqual(await memberIdsOf(w.store, room.id), [w.bob.id]);

    const membership = await w.commands.send('membership.add', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id });
    assert.equal(membership.userId, w.carol.id);
    assert.equal(membership.involvement, 'mentions');
    await post(w, w.carol, room.id, 'glad to be here');
    await rejectsWith(w.commands.send('membership.add', { actorId: w.carol.id, roomId: room.id, userId: w.admin.id }), 'forbidden');
    await rejectsWith(w.commands.send('membership.remove', { actorId: w.carol.id, roomId: room.id, userId: w.bob.id }), 'forbidden');

    assert.deepEqual(await w.commands.send('membership.remove', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id }), { removed: true });
    assert.deepEqual(await memberIdsOf(w.store, room.id), [w.bob.id]);
    await rejectsWith(post(w, w.carol, room.id, 'still here?'), 'not_a_member', 'roomId');
    assert.deepEqual(await w.commands.send('membership.remove', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id }), { removed: false });

    const events = await w.store.eventsSince(room.id, 0, 100);
    assert.deepEqual(types(events), ['room.created', 'membership.added', 'membership.added', 'message.created', 'membership.removed']);
    assert.deepEqual(seqs(events), [1, 2, 3, 4, 5]);
    const removed = events.at(-1);
    assert.ok(removed?.type === 'membership.removed');
    assert.equal(removed.userId, w.carol.id);
  });

  it('open → closed → open re-adds everyone, including someone removed while closed', async (t) => {
    const w = await openWorld(t);
    const everyone = [w.admin.id, w.bob.id, w.carol.id].sort();
    const room = await w.commands.send('room.create', { actorId: w.bob.id, kind: 'open', name: 'Town', memberIds: [] });
    assert.deepEqual(await memberIdsOf(w.store, room.id), everyone);
    const closed = await w.commands.send('room.update', { actorId: w.bob.id, roomId: room.id, kind: 'closed' });
    assert.equal(closed.kind, 'closed');
    await w.commands.send('membership.remove', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id });
    assert.deepEqual(await memberIdsOf(w.store, room.id), [w.admin.id, w.bob.id].sort());
    const dave = await w.commands.send('user.create', {
      joinCode: w.joinCode,
      actorId: null,
      user: { name: 'Dave', email: 'dave@example.com', passwordHash: null },
    });
    assert.equal(await w.store.getMembership(room.id, dave.id), null, 'a closed room is not joined by new users');

    const reopened = await w.commands.send('room.update', { actorId: w.bob.id, roomId: room.id, kind: 'open' });
    assert.equal(reopened.kind, 'open');
    assert.deepEqual(await memberIdsOf(w.store, room.id), [...everyone, dave.id].sort());
    const tail = (await w.store.eventsSince(room.id, closed.lastSeq, 100)).map((e) =>
      e.type === 'membership.added' ? `added ${e.membership.userId}` : e.type,
    );
    assert.deepEqual(tail.slice(0, 2), ['membership.removed', 'room.updated']);
    assert.deepEqual(tail.slice(2).sort(), [`added ${w.carol.id}`, `added ${dave.id}`].sort());
    assert.equal(reopened.lastSeq, closed.lastSeq + 4);
    await rejectsWith(w.commands.send('room.update', { actorId: w.carol.id, roomId: room.id, kind: 'closed' }), 'forbidden');
  });

  it('direct.open returns the one room of a set of people, whatever the order', async (t) => {
    const w = await openWorld(t);
    const first = await w.commands.send('direct.open', { actorId: w.bob.id, userIds: [w.carol.id] });
    assert.equal(first.kind, 'direct');
    assert.equal(first.name, null);
    const again = await w.commands.send('direct.open', { actorId: w.carol.id, userIds: [w.bob.id] });
    const withSelf = await w.commands.send('direct.open', { actorId: w.bob.id, userIds: [w.carol.id, w.bob.id, w.carol.id] });
    assert.equal(again.id, first.id);
    assert.equal(withSelf.id, first.id);
    assert.deepEqual(await memberIdsOf(w.store, first.id), [w.bob.id, w.carol.id].sort());
    const three = await w.commands.send('direct.open', { actorId: w.carol.id, userIds: [w.admin.id, w.bob.id] });
    const threeAgain = await w.commands.send('direct.open', { actorId: w.admin.id, userIds: [w.bob.id, w.carol.id] });
    assert.notEqual(three.id, first.id);
    assert.equal(threeAgain.id, three.id);
    assert.equal((await w.store.eventsSince(first.id, 0, 100)).length, 3, 'room.created and two membership.added, once');
    await rejectsWith(w.commands.send('direct.open', { actorId: w.bob.id, userIds: [w.bob.id] }), 'invalid_request', 'userIds');
    await rejectsWith(w.commands.send('direct.open', { actorId: w.bob.id, userIds: ['00000000-0000-4000-8000-000000000000'] }), 'user_not_found', 'userIds');
  });

  it('membership.update moves readSeq forward only and clamps it to the room', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    for (const i of range(1, 3)) await post(w, w.carol, room, `news ${i}`);
    const lastSeq = (await roomOf(w.store, room)).lastSeq;
    const update = (readSeq: number) => w.commands.send('membership.update', { actorId: w.bob.id, roomId: room, readSeq });
    assert.equal((await update(lastSeq - 1)).readSeq, lastSeq - 1);
    assert.equal((await update(1)).readSeq, lastSeq - 1);
    assert.equal((await update(1_000_000)).readSeq, lastSeq);
    assert.equal((await w.store.getMembership(room, w.bob.id))?.readSeq, lastSeq);
    const involvement = await w.commands.send('membership.update', { actorId: w.bob.id, roomId: room, involvement: 'everything' });
    assert.equal(involvement.involvement, 'everything');
    assert.equal(involvement.readSeq, lastSeq);
    assert.equal((await roomOf(w.store, room)).lastSeq, lastSeq, 'read markers take no sequence');
  });
});

describe('outbox relay and failures', () => {
  it('publishes every committed event to the bus exactly once, in seq order per room', async (t) => {
    const w = await openWorld(t);
    const closed = await w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Side', memberIds: [w.carol.id] });
    await Promise.all([
      ...range(1, 60).map((i) => post(w, i % 2 === 0 ? w.bob : w.carol, w.allTalk.id, `a${i}`)),
      ...range(1, 40).map((i) => post(w, w.carol, closed.id, `b${i}`)),
    ]);
    const rooms = [w.allTalk.id, closed.id];
    const stored = new Map<string, RoomEvent[]>();
    for (const roomId of rooms) stored.set(roomId, await w.store.eventsSince(roomId, 0, 1_000));
    const total = [...stored.values()].reduce((sum, events) => sum + events.length, 0);
    await waitUntil(() => w.published.length >= total, `${total} published events (have ${w.published.length})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(w.published.length, total, 'nothing published twice');
    for (const roomId of rooms) {
      assert.deepEqual(
        w.published.filter((e) => e.roomId === roomId),
        stored.get(roomId),
      );
    }
    assert.deepEqual(await w.store.unpublishedEvents(100), []);
  });

  it('a command that fails leaves no event, no signal and no consumed seq', async (t) => {
    const w = await openWorld(t);
    const room = w.allTalk.id;
    const message = await post(w, w.bob, room, 'base');
    await waitUntil(async () => (await w.store.unpublishedEvents(10)).length === 0, 'the outbox to drain');
    const before = {
      room: await roomOf(w.store, room),
      events: await w.store.eventsSince(room, 0, 1_000),
      published: w.published.length,
      rooms: await w.store.listRoomsForMember(w.bob.id),
    };

    await rejectsWith(post(w, w.bob, room, 'x'.repeat(MESSAGE_CHARS + 1)), 'payload_too_large', 'body');
    await rejectsWith(post(w, w.bob, room, '/play nope'), 'invalid_request', 'body');
    await rejectsWith(w.commands.send('boost.add', { actorId: w.bob.id, messageId: message.id, content: 'x'.repeat(17) }), 'invalid_request', 'content');
    await rejectsWith(w.commands.send('message.edit', { actorId: w.carol.id, messageId: message.id, body: 'no' }), 'forbidden');
    // This one fails after it has already emitted room.created and membership.added inside its transaction.
    await rejectsWith(
      w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Doomed', memberIds: [w.carol.id, '00000000-0000-4000-8000-000000000000'] }),
      'user_not_found',
      'memberIds',
    );
    await rejectsWith(w.commands.send('room.update', { actorId: w.carol.id, roomId: room, name: 'Mine now' }), 'forbidden');

    assert.deepEqual(await roomOf(w.store, room), before.room);
    assert.deepEqual(await w.store.eventsSince(room, 0, 1_000), before.events);
    assert.deepEqual(await w.store.listRoomsForMember(w.bob.id), before.rooms);
    assert.deepEqual(await w.store.unpublishedEvents(100), []);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(w.published.length, before.published);
    assert.deepEqual(w.signals, []);

    const next = await post(w, w.bob, room, 'after the failures');
    assert.equal(next.seq, before.room.lastSeq + 1);
  });

  it('an unknown command or a non-object payload is invalid_request', async (t) => {
    const w = await openWorld(t);
    assert.deepEqual(await w.bus.request({ name: 'message.shout', payload: {} }), {
      ok: false,
      error: { code: 'invalid_request', message: 'unknown command message.shout' },
    });
    const reply = await w.bus.request({ name: 'message.post', payload: null });
    assert.equal(reply.ok, false);
    assert.equal(reply.ok ? null : reply.error.code, 'invalid_request');
  });
});

/** The entries written since `after`, oldest first, without their ids and times. */
async function auditSince(store: Store, after: number): Promise<Omit<AuditEntry, 'id' | 'at'>[]> {
  return (await store.listAudit({ after, limit: 100 })).map(({ id: _id, at: _at, ...entry }) => entry);
}

async function lastAuditId(store: Store): Promise<number> {
  return (await store.listAudit({ limit: 1 }))[0]?.id ?? 0;
}

describe('audit log', () => {
  const origin = { ip: '203.0.113.9', userAgent: 'audit-test/1.0' };

  it('records role changes, deactivation and reactivation with actor, target, detail and origin; a rename is not recorded', async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    const update = (change: { role?: 'member' | 'administrator'; active?: boolean; name?: string }) =>
      w.commands.send('user.update', { actorId: w.admin.id, userId: w.bob.id, ...change }, { origin });
    await update({ role: 'administrator' });
    await update({ active: false });
    await update({ active: true });
    await update({ name: 'Robert' });
    await update({ role: 'administrator' });
    const user = { type: 'user', id: w.bob.id } as const;
    assert.deepEqual(await auditSince(w.store, start), [
      { actorId: w.admin.id, action: 'user.role_changed', targetType: user.type, targetId: user.id, detail: { from: 'member', to: 'administrator' }, origin },
      { actorId: w.admin.id, action: 'user.deactivated', targetType: user.type, targetId: user.id, detail: { name: 'Bob' }, origin },
      { actorId: w.admin.id, action: 'user.reactivated', targetType: user.type, targetId: user.id, detail: { name: 'Bob' }, origin },
    ]);
  });

  it('records who created each user: the first administrator at setup, people joining by link, and an administrator adding someone', async (t) => {
    const w = await openWorld(t);
    const created = (await auditSince(w.store, 0)).filter((entry) => entry.action === 'user.created');
    assert.deepEqual(created, [
      {
        actorId: w.admin.id,
        action: 'user.created',
        targetType: 'user',
        targetId: w.admin.id,
        detail: { via: 'setup', role: 'administrator', email: 'ada@example.com' },
        origin: null,
      },
      {
        actorId: w.bob.id,
        action: 'user.created',
        targetType: 'user',
        targetId: w.bob.id,
        detail: { via: 'join_link', role: 'member', email: 'bob@example.com' },
        origin: null,
      },
      {
        actorId: w.carol.id,
        action: 'user.created',
        targetType: 'user',
        targetId: w.carol.id,
        detail: { via: 'join_link', role: 'member', email: 'carol@example.com' },
        origin: null,
      },
    ]);
    const start = await lastAuditId(w.store);
    const dan = await w.commands.send(
      'user.create',
      { joinCode: null, actorId: w.admin.id, user: { name: 'Dan', email: 'dan@example.com', passwordHash: null, role: 'administrator' } },
      { origin },
    );
    assert.deepEqual(await auditSince(w.store, start), [
      {
        actorId: w.admin.id,
        action: 'user.created',
        targetType: 'user',
        targetId: dan.id,
        detail: { via: 'administrator', role: 'administrator', email: 'dan@example.com' },
        origin,
      },
    ]);
  });

  it('records join-link rotation without the code, and a command sent without an origin with a null one', async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    const account = await w.commands.send('account.rotateJoinCode', { actorId: w.admin.id });
    const entries = await auditSince(w.store, start);
    assert.deepEqual(entries, [
      { actorId: w.admin.id, action: 'account.join_link_rotated', targetType: 'account', targetId: account.id, detail: {}, origin: null },
    ]);
    assert.ok(!JSON.stringify(entries).includes(account.joinCode));
  });

  it('records room creation and updates, and membership changes, each with who did it', async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    const room = await w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Plans', memberIds: [w.carol.id, w.carol.id] }, { origin });
    await w.commands.send('room.update', { actorId: w.admin.id, roomId: room.id, name: 'Secret plans', kind: 'open' }, { origin });
    await w.commands.send('room.update', { actorId: w.admin.id, roomId: room.id, kind: 'closed' }, { origin });
    await w.commands.send('membership.remove', { actorId: w.admin.id, roomId: room.id, userId: w.carol.id }, { origin });
    await w.commands.send('membership.remove', { actorId: w.admin.id, roomId: room.id, userId: w.carol.id }, { origin });
    await w.commands.send('membership.add', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id }, { origin });
    await w.commands.send('membership.add', { actorId: w.bob.id, roomId: room.id, userId: w.carol.id }, { origin });
    const target = { targetType: 'room', targetId: room.id } as const;
    const carol = { targetType: 'user', targetId: w.carol.id } as const;
    assert.deepEqual(
      await auditSince(w.store, start),
      [
        { actorId: w.bob.id, action: 'room.created', ...target, detail: { name: 'Plans', kind: 'closed', memberIds: [w.carol.id] }, origin },
        {
          actorId: w.admin.id,
          action: 'room.updated',
          ...target,
          detail: { nameFrom: 'Plans', nameTo: 'Secret plans', kindFrom: 'closed', kindTo: 'open' },
          origin,
        },
        { actorId: w.admin.id, action: 'room.updated', ...target, detail: { kindFrom: 'open', kindTo: 'closed' }, origin },
        { actorId: w.admin.id, action: 'membership.removed', ...carol, detail: { roomId: room.id, roomName: 'Secret plans' }, origin },
        { actorId: w.bob.id, action: 'membership.added', ...carol, detail: { roomId: room.id, roomName: 'Secret plans' }, origin },
      ],
      'a removal or addition that changed nothing is not recorded',
    );
  });

  it('a refused command records nothing', async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    await rejectsWith(w.commands.send('user.update', { actorId: w.bob.id, userId: w.carol.id, role: 'administrator' }, { origin }), 'forbidden');
    await rejectsWith(w.commands.send('account.rotateJoinCode', { actorId: w.bob.id }, { origin }), 'forbidden');
    await rejectsWith(
      w.commands.send('room.create', { actorId: w.bob.id, kind: 'closed', name: 'Doomed', memberIds: ['00000000-0000-4000-8000-000000000000'] }, { origin }),
      'user_not_found',
    );
    assert.deepEqual(await auditSince(w.store, start), []);
  });
});

describe('user.provision (a sign-in with SSO)', () => {
  const identity = { issuer: 'https://sso.acme.example', subject: 'sub-dan' };
  const provision = (w: World, change: { email?: string; name?: string; role?: 'member' | 'administrator'; groups?: string[] } = {}) =>
    w.commands.send('user.provision', { ...identity, email: 'dan@example.com', name: 'Dan', role: 'member', groups: [], ...change });

  it('creates a user at the first sign-in, recorded as via sso, and finds the same user by the identity afterwards', async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    const first = await provision(w);
    assert.equal(first.created, true);
    assert.deepEqual([first.user.name, first.user.email, first.user.role], ['Dan', 'dan@example.com', 'member']);
    assert.deepEqual(await memberIdsOf(w.store, w.allTalk.id), [w.admin.id, w.bob.id, w.carol.id, first.user.id].sort(), 'joined the open rooms');
    assert.deepEqual(await auditSince(w.store, start), [
      {
        actorId: first.user.id,
        action: 'user.created',
        targetType: 'user',
        targetId: first.user.id,
        detail: { via: 'sso', role: 'member', email: 'dan@example.com' },
        origin: null,
      },
    ]);
    const again = await provision(w, { email: 'dan.other@example.com' });
    assert.deepEqual(again, { user: first.user, created: false }, 'the identity, not the email, finds the user');
  });

  it("links the local account that has the provider's email instead of creating a second user", async (t) => {
    const w = await openWorld(t);
    const start = await lastAuditId(w.store);
    const linked = await provision(w, { email: 'bob@example.com', name: 'Bob' });
    assert.equal(linked.created, false);
    assert.equal(linked.user.id, w.bob.id);
    assert.equal((await w.store.getUserByIdentity(identity.issuer, identity.subject))?.id, w.bob.id);
    assert.deepEqual(await auditSince(w.store, start), []);
  });

  it("follows the provider: its groups set the role (recorded, by no one), its name the user's name; an empty name changes nothing", async (t) => {
    const w = await openWorld(t);
    const { user } = await provision(w);
    const start = await lastAuditId(w.store);
    const renamed = await provision(w, { name: '  Daniel ' });
    assert.deepEqual([renamed.user.role, renamed.user.name], ['member', 'Daniel']);
    assert.ok(w.signals.some((signal) => signal.type === 'user.updated' && signal.userId === user.id));
    const promoted = await provision(w, { role: 'administrator', name: '  ', groups: ['staff'] });
    assert.deepEqual([promoted.user.role, promoted.user.name], ['administrator', 'Daniel']);
    assert.deepEqual(await auditSince(w.store, start), [
      {
        actorId: null,
        action: 'user.role_changed',
        targetType: 'user',
        targetId: user.id,
        detail: { from: 'member', to: 'administrator', via: 'sso_groups', groups: ['staff'] },
        origin: null,
      },
    ]);
  });

  it("refuses a deactivated user, and a bot's email", async (t) => {
    const w = await openWorld(t);
    const { user } = await provision(w);
    await w.commands.send('user.update', { actorId: w.admin.id, userId: user.id, active: false });
    await rejectsWith(provision(w), 'sso_forbidden');
    const bot = { id: '00000000-0000-4000-8000-00000000b07b', name: 'Hook', email: 'hook@example.com', role: 'bot', passwordHash: null } as const;
    await w.store.transaction((tx) => tx.insertUser({ ...bot, createdAt: new Date().toISOString() }));
    await rejectsWith(
      w.commands.send('user.provision', { issuer: identity.issuer, subject: 'sub-hook', email: bot.email, name: 'Hook', role: 'member', groups: [] }),
      'sso_forbidden',
    );
  });
});

describe('a command that fails on the server', () => {
  /** Messaging over a store whose transactions fail as a PostgreSQL outage does, with a log that is kept. */
  async function withFailingStore(t: TestContext, failure: Error): Promise<{ messaging: Messaging; lines: Array<Record<string, unknown>> }> {
    const real = await createStore({ type: 'sqlite', path: ':memory:' });
    const store: Store = new Proxy(real, {
      get: (target, key, receiver) => (key === 'transaction' ? () => Promise.reject(failure) : Reflect.get(target, key, receiver)),
    });
    const bus = await createBus({ type: 'local', replayLimit: 100 });
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('debug', 'messaging', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const messaging = startMessaging({
      store,
      bus,
      logger,
      metrics: createMetrics({ target: 'messaging', version: 'test' }),
      limits: { messageChars: MESSAGE_CHARS },
      publicUrl: 'http://hearth.test',
    });
    t.after(async () => {
      await messaging.stop();
      await bus.close();
      await real.close();
    });
    return { messaging, lines };
  }

  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const payload = { actorId: 'u', roomId: 'r', clientMessageId: 'c', body: 'hi' };
  const cases = [
    {
      name: 'a backend outage answers unavailable, and names no host',
      failure: new HearthError('unavailable', 'PostgreSQL at 10.0.0.5:5432/hearth: connect ECONNREFUSED 10.0.0.5:5432'),
      reply: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: 2 },
    },
    {
      name: 'a bug answers internal, and shows neither its query nor its stack',
      failure: new Error('syntax error at or near "FROM" in SELECT * FROM rooms'),
      reply: { code: 'internal', message: 'something went wrong on our side; it has been logged' },
    },
  ];
  for (const { name, failure, reply } of cases) {
    it(`${name}; the log has the detail with the command and its trace`, async (t) => {
      const { messaging, lines } = await withFailingStore(t, failure);
      const answer = await messaging.apply({ name: 'message.post', payload, traceparent });
      assert.deepEqual(answer, { ok: false, error: reply });
      const logged = lines.find((line) => line['command'] === 'message.post' && line['traceparent'] === traceparent);
      assert.ok(logged !== undefined, `a log line names the command and the trace: ${JSON.stringify(lines)}`);
      assert.equal((logged['err'] as { message?: unknown }).message, failure.message, 'the log has the detail');
    });
  }
});
