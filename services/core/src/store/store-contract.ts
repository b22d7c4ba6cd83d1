import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_VERSION, type RoomEvent, type RoomEventData } from '../domain/events.ts';
import { directKey } from '../domain/rules.ts';
import type { Involvement, Membership, Message, Room, RoomKind, Session, User } from '../domain/types.ts';
import { HearthError, type ErrorCode } from '../errors.ts';
import { newId } from '../ids.ts';
import type { ApiToken } from '../domain/bots.ts';
import type { NewUser, Store } from './store.ts';
import { postContextTests } from './post-context-contract.ts';
import { pushTests } from './push-contract.ts';
import { copyTargetTests } from './record-copy-contract.ts';
import { writeGateTests } from './write-gate-contract.ts';
import { postInTx } from './store-test-support.ts';

/**
 * The behaviour every Store must have, exercised through the interface only, so each
 * implementation runs the same suite: `runStoreContract('StoreSqlite', () => StoreSqlite.open(':memory:'))`.
 * Each test opens a fresh, empty store and closes it.
 */
export function runStoreContract(label: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${label}`, () => {
    const test = (name: string, body: (store: Store) => Promise<void>) => it(name, () => withStore(open, body));
    describe('account', casesOf(test, accountTests));
    describe('users', casesOf(test, userTests));
    describe('rooms', casesOf(test, roomTests));
    describe('transactions', casesOf(test, transactionTests, roomLockTests, postContextTests));
    describe('memberships', casesOf(test, membershipTests));
    describe('unread counts', casesOf(test, unreadCountTests));
    describe('messages and boosts', casesOf(test, messageTests, messagePageAndBoostTests));
    describe('events', casesOf(test, eventTests));
    describe('search', casesOf(test, searchTests, searchQueryTests));
    describe('sessions', casesOf(test, sessionTests));
    describe('push subscriptions and server keys', casesOf(test, pushTests));
    describe('identities', casesOf(test, identityTests));
    describe('audit log', casesOf(test, auditTests));
    describe('bots and API tokens', casesOf(test, botTests));
    describe('webhook deliveries', casesOf(test, webhookDeliveryTests, webhookClaimTests));
    describe('the write gate', casesOf(test, writeGateTests));
    describe('the target of a copy', casesOf(test, copyTargetTests));
  });
}

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

/** A describe's body: each group of tests in turn. */
function casesOf(test: StoreTest, ...groups: readonly ((test: StoreTest) => void)[]): () => void {
  return () => {
    for (const group of groups) group(test);
  };
}

async function withStore(open: () => Promise<Store>, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

// ---- fixtures ----

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
/** A fixed time `n` seconds after T0, so order and equality are deterministic. */
const at = (n: number): string => new Date(T0 + n * 1000).toISOString();

function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = overrides.id ?? newId();
  return { id, name: 'Someone', email: `${id}@example.com`, role: 'member', passwordHash: null, createdAt: at(0), ...overrides };
}

function addUser(store: Store, overrides: Partial<NewUser> = {}): Promise<User> {
  return store.transaction((tx) => tx.insertUser(newUser(overrides)));
}

async function addPeople(store: Store): Promise<{ ada: User; bob: User; cy: User }> {
  const ada = await addUser(store, { name: 'Ada', email: 'ada@example.com', createdAt: at(1) });
  const bob = await addUser(store, { name: 'Bob', email: 'bob@example.com', createdAt: at(2) });
  const cy = await addUser(store, { name: 'Cy', email: 'cy@example.com', createdAt: at(3) });
  return { ada, bob, cy };
}

interface RoomSpec {
  readonly name?: string | null;
  readonly kind?: RoomKind;
  readonly members?: readonly User[];
  readonly directKey?: string | null;
}

/** A room created by the first member, with every member joined at T0. */
function addRoom(store: Store, creator: User, spec: RoomSpec = {}): Promise<Room> {
  return store.transaction(async (tx) => {
    const room = await tx.insertRoom({
      id: newId(),
      kind: spec.kind ?? 'open',
      name: spec.name === undefined ? 'general' : spec.name,
      createdBy: creator.id,
      createdAt: at(0),
      directKey: spec.directKey ?? null,
    });
    for (const member of spec.members ?? [creator]) {
      await tx.putMembership(membership(room.id, member.id, 'mentions', at(0)));
    }
    return room;
  });
}

/** A membership that has read nothing yet. */
function membership(roomId: string, userId: string, involvement: Involvement, createdAt: string): Membership {
  return { roomId, userId, involvement, readSeq: 0, createdAt };
}

function roomEvent(roomId: string, seq: number, data: RoomEventData): RoomEvent {
  return { ...data, v: EVENT_VERSION, roomId, seq, at: at(seq) };
}

/** What a test says of a message it posts; the rest is made up. */
interface PostSpec {
  readonly author: User;
  readonly body: string;
  readonly createdAt: string;
  readonly mentions?: readonly string[];
}

/** Posts as the messaging service does, its event stamped at(seq). */
function post(store: Store, room: Room, spec: PostSpec): Promise<Message> {
  const { author, body, createdAt, mentions = [] } = spec;
  const message = { id: newId(), roomId: room.id, authorId: author.id, clientMessageId: newId(), body, mentions, sound: null, file: null, createdAt };
  return store.transaction((tx) => postInTx(tx, message, at));
}

/** Posts each body in turn, at(1), at(2) and on. */
async function postEach(store: Store, room: Room, author: User, texts: readonly string[]): Promise<void> {
  for (const [i, body] of texts.entries()) await post(store, room, { author, body, createdAt: at(i + 1) });
}

function newSession(user: User, overrides: Partial<Session> = {}): Session {
  return {
    id: newId(),
    userId: user.id,
    csrfToken: newId(),
    createdAt: at(0),
    lastSeenAt: at(0),
    expiresAt: at(3600),
    userAgent: 'contract-test',
    ip: '127.0.0.1',
    idpSessionId: null,
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HearthError, `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}

const byId = <T extends { readonly id: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => a.id.localeCompare(b.id));
const sorted = (items: readonly string[]): string[] => [...items].sort();
const bodies = (hits: readonly { readonly message: Message }[]): string[] => hits.map((hit) => hit.message.body);

/** The bodies of the first ten messages `user` finds for `query`. */
async function found(store: Store, user: User, query: string): Promise<string[]> {
  return bodies(await store.searchMessages(user.id, query, 10));
}

// ---- account ----

function accountTests(test: StoreTest): void {
  test('stores the one account and updates its name and join code', async (store) => {
    assert.equal(await store.getAccount(), null);
    const account = { id: newId(), name: 'Acme', joinCode: 'join-1', createdAt: at(0) };
    await store.transaction((tx) => tx.insertAccount(account));
    assert.deepEqual(await store.getAccount(), account);

    const renamed = await store.transaction((tx) => tx.updateAccount({ name: 'Acme Ltd' }));
    assert.deepEqual(renamed, { ...account, name: 'Acme Ltd' });
    const rotated = await store.transaction((tx) => tx.updateAccount({ joinCode: 'join-2' }));
    assert.deepEqual(rotated, { ...account, name: 'Acme Ltd', joinCode: 'join-2' });
    assert.deepEqual(await store.getAccount(), rotated);
  });

  test('refuses a second account and an update before the first', async (store) => {
    await rejectsWith(
      store.transaction((tx) => tx.updateAccount({ name: 'Nobody' })),
      'not_set_up',
    );
    const account = { id: newId(), name: 'Acme', joinCode: 'join-1', createdAt: at(0) };
    await store.transaction((tx) => tx.insertAccount(account));
    await rejectsWith(
      store.transaction((tx) => tx.insertAccount({ ...account, id: newId() })),
      'already_set_up',
    );
    assert.deepEqual(await store.getAccount(), account);
  });
}

// ---- users ----

function userTests(test: StoreTest): void {
  test('inserts users with a lower-cased email and reads them back', async (store) => {
    const ada = await addUser(store, { name: 'Ada', email: 'Ada@Example.COM', passwordHash: 'hash-1', createdAt: at(1) });
    assert.deepEqual(ada, { id: ada.id, name: 'Ada', email: 'ada@example.com', role: 'member', active: true, createdAt: at(1), avatar: null });
    // Bots have no email; two of them do not collide.
    const bot1 = await addUser(store, { name: 'Bot 1', email: null, role: 'bot' });
    const bot2 = await addUser(store, { name: 'Bot 2', email: null, role: 'bot' });

    assert.deepEqual(await store.getUser(ada.id), ada);
    assert.deepEqual(await store.getUser(bot1.id), bot1);
    assert.equal(await store.getUser(newId()), null);
    assert.deepEqual(byId(await store.listUsers()), byId([ada, bot1, bot2]));
    assert.equal(await store.countUsers(), 3);
  });

  test('finds credentials by email whatever its case', async (store) => {
    const ada = await addUser(store, { email: 'ada@example.com', passwordHash: 'hash-1' });
    await addUser(store, { email: null, role: 'bot' });
    assert.deepEqual(await store.getCredentialsByEmail('ADA@example.Com'), { user: ada, passwordHash: 'hash-1' });
    assert.equal(await store.getCredentialsByEmail('nobody@example.com'), null);
    assert.equal(await store.getCredentialsByEmail(''), null, 'a user without an email is never found by one');
  });

  test('refuses a duplicate email whatever its case', async (store) => {
    await addUser(store, { email: 'ada@example.com' });
    await rejectsWith(addUser(store, { email: 'ADA@example.com' }), 'email_taken', 'email');
    assert.equal(await store.countUsers(), 1);
  });

  test('updates only the fields a patch names', async (store) => {
    const ada = await addUser(store, { name: 'Ada', email: 'ada@example.com', passwordHash: 'old' });
    const renamed = await store.transaction((tx) => tx.updateUser(ada.id, { name: 'Ada L.' }));
    assert.deepEqual(renamed, { ...ada, name: 'Ada L.' });
    const changed = await store.transaction((tx) => tx.updateUser(ada.id, { role: 'administrator', active: false, passwordHash: 'new' }));
    assert.deepEqual(changed, { ...ada, name: 'Ada L.', role: 'administrator', active: false });
    assert.deepEqual(await store.getUser(ada.id), changed);
    assert.deepEqual(await store.getCredentialsByEmail('ada@example.com'), { user: changed, passwordHash: 'new' });
    const reactivated = await store.transaction((tx) => tx.updateUser(ada.id, { active: true }));
    assert.equal(reactivated.active, true);
    await rejectsWith(
      store.transaction((tx) => tx.updateUser(newId(), { name: 'Ghost' })),
      'user_not_found',
    );
  });

  test("sets and clears a user's picture, which every read of the user carries", async (store) => {
    const ada = await addUser(store, { name: 'Ada', email: 'ada@example.com' });
    const session = newSession(ada);
    await store.transaction((tx) => tx.insertSession(session));
    const pictured = await store.transaction((tx) => tx.setUserAvatar(ada.id, 'v1-abc_DEF'));
    assert.deepEqual(pictured, { ...ada, avatar: 'v1-abc_DEF' });
    assert.deepEqual(await store.getUser(ada.id), pictured);
    assert.deepEqual(await store.listUsers(), [pictured]);
    assert.deepEqual((await store.getSessionWithUser(session.id))?.user, pictured);
    // A rename keeps the picture.
    assert.equal((await store.transaction((tx) => tx.updateUser(ada.id, { name: 'Ada L.' }))).avatar, 'v1-abc_DEF');
    const cleared = await store.transaction((tx) => tx.setUserAvatar(ada.id, null));
    assert.deepEqual(cleared, { ...ada, name: 'Ada L.', avatar: null });
    await rejectsWith(
      store.transaction((tx) => tx.setUserAvatar(newId(), 'v2')),
      'user_not_found',
    );
  });
}

// ---- rooms ----

function roomTests(test: StoreTest): void {
  test('inserts, reads and updates rooms', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada, { name: 'general' });
    assert.deepEqual(room, { id: room.id, kind: 'open', name: 'general', createdBy: ada.id, createdAt: at(0), lastSeq: 0, lastMessageSeq: 0 });
    assert.deepEqual(await store.getRoom(room.id), room);
    assert.equal(await store.getRoom(newId()), null);

    const renamed = await store.transaction((tx) => tx.updateRoom(room.id, { name: 'lounge' }));
    assert.deepEqual(renamed, { ...room, name: 'lounge' });
    const closed = await store.transaction((tx) => tx.updateRoom(room.id, { kind: 'closed' }));
    assert.deepEqual(closed, { ...room, name: 'lounge', kind: 'closed' });
    const unnamed = await store.transaction((tx) => tx.updateRoom(room.id, { name: null }));
    assert.equal(unnamed.name, null);
    assert.deepEqual(await store.transaction((tx) => tx.updateRoom(room.id, {})), unnamed);
    assert.deepEqual(await store.getRoom(room.id), unnamed);
    await rejectsWith(
      store.transaction((tx) => tx.updateRoom(newId(), { name: 'x' })),
      'room_not_found',
    );
  });

  test('lists open rooms only, by name', async (store) => {
    const { ada, bob } = await addPeople(store);
    await addRoom(store, ada, { name: 'beta' });
    await addRoom(store, ada, { name: 'alpha' });
    await addRoom(store, ada, { name: 'secret', kind: 'closed' });
    await addRoom(store, ada, { name: null, kind: 'direct', members: [ada, bob], directKey: directKey([ada.id, bob.id]) });
    assert.deepEqual(
      (await store.listOpenRooms()).map((room) => room.name),
      ['alpha', 'beta'],
    );
  });

  test('finds a direct room by its exact member set, in any order', async (store) => {
    const { ada, bob, cy } = await addPeople(store);
    const key = directKey([ada.id, bob.id]);
    const direct = await addRoom(store, ada, { name: null, kind: 'direct', members: [ada, bob], directKey: key });
    assert.deepEqual(await store.findDirectRoom([bob.id, ada.id]), direct);
    assert.deepEqual(await store.findDirectRoom([ada.id, bob.id]), direct);
    assert.equal(await store.findDirectRoom([ada.id]), null);
    assert.equal(await store.findDirectRoom([ada.id, bob.id, cy.id]), null);
    assert.equal(await store.findDirectRoom([]), null);
  });

  test('hands out sequence numbers with no gap or duplicate under 50 concurrent transactions', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    const seqs = await Promise.all(
      Array.from({ length: 50 }, () =>
        store.transaction(async (tx) => {
          const seq = await tx.nextSeq(room.id);
          // Yield mid-transaction so a store that interleaved transactions would show it.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.appendEvent(roomEvent(room.id, seq, { type: 'room.updated', room }));
          return seq;
        }),
      ),
    );
    const expected = Array.from({ length: 50 }, (_, i) => i + 1);
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      expected,
    );
    assert.equal((await store.getRoom(room.id))?.lastSeq, 50);
    assert.deepEqual(
      (await store.eventsSince(room.id, 0, 100)).map((event) => event.seq),
      expected,
    );
    await rejectsWith(
      store.transaction((tx) => tx.nextSeq(newId())),
      'room_not_found',
    );
  });
}

// ---- transactions ----

function transactionTests(test: StoreTest): void {
  test('commits and returns what the work returns; the work sees its own writes', async (store) => {
    const id = newId();
    const seen = await store.transaction(async (tx) => {
      await tx.insertUser(newUser({ id }));
      return tx.getUser(id);
    });
    assert.equal(seen?.id, id);
    assert.equal((await store.getUser(id))?.id, id);
  });

  test('rolls back every write of a transaction that throws, and passes the error on', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    const ghost = newId();
    const boom = new Error('boom');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insertUser(newUser({ id: ghost }));
        await tx.nextSeq(room.id);
        await tx.putMembership(membership(room.id, ghost, 'everything', at(1)));
        await tx.updateRoom(room.id, { name: 'renamed' });
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.equal(await store.getUser(ghost), null);
    assert.equal(await store.getMembership(room.id, ghost), null);
    assert.deepEqual(await store.getRoom(room.id), room);
    assert.equal(await store.countUsers(), 3);
    // The store is usable afterwards.
    assert.equal(await store.transaction((tx) => tx.nextSeq(room.id)), 1);
  });

  test('never shows a read from outside a transaction the writes that transaction rolls back', async (store) => {
    const id = newId();
    const begun = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const running = store.transaction(async (tx) => {
      await tx.insertUser(newUser({ id }));
      begun.resolve();
      await gate.promise;
      throw new Error('abort');
    });
    await begun.promise;
    const read = store.getUser(id);
    gate.resolve();
    await assert.rejects(running, /abort/);
    assert.equal(await read, null);
  });

  test('answers ping', async (store) => {
    await store.ping();
  });
}

/** lockRoom: what serialises the posts to one room. */
function roomLockTests(test: StoreTest): void {
  test('locks an existing room inside a transaction and refuses a missing one', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    await store.transaction((tx) => tx.lockRoom(room.id));
    await rejectsWith(
      store.transaction((tx) => tx.lockRoom(newId())),
      'room_not_found',
    );
    // A lock ends with its transaction, committed or rolled back.
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.lockRoom(room.id);
        throw new Error('abort');
      }),
      /abort/,
    );
    const seq = await store.transaction(async (tx) => {
      await tx.lockRoom(room.id);
      return tx.nextSeq(room.id);
    });
    assert.equal(seq, 1);
  });

  test('lets one of two concurrent check-then-insert transactions under lockRoom insert', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    const clientMessageId = newId();
    const postOnce = () =>
      store.transaction(async (tx) => {
        await tx.lockRoom(room.id);
        if ((await tx.getMessageByClientId(room.id, ada.id, clientMessageId)) !== null) return 'found';
        // Yield between the check and the insert, where an unlocked store would let the other in.
        await new Promise((resolve) => setImmediate(resolve));
        const seq = await tx.nextSeq(room.id);
        await tx.insertMessage({
          id: newId(),
          roomId: room.id,
          seq,
          authorId: ada.id,
          clientMessageId,
          body: 'once',
          mentions: [],
          sound: null,
          file: null,
          createdAt: at(1),
        });
        return 'inserted';
      });
    assert.deepEqual((await Promise.all([postOnce(), postOnce()])).sort(), ['found', 'inserted']);
    assert.deepEqual(
      (await store.listMessages(room.id, { limit: 10 })).map((message) => message.body),
      ['once'],
    );
  });
}

// ---- memberships ----

function membershipTests(test: StoreTest): void {
  test('puts, reads, lists and deletes memberships; an update keeps createdAt', async (store) => {
    const { ada, bob } = await addPeople(store);
    const room = await addRoom(store, ada, { members: [] });
    const adas = membership(room.id, ada.id, 'mentions', at(1));
    const bobs = membership(room.id, bob.id, 'everything', at(2));
    assert.deepEqual(await store.transaction((tx) => tx.putMembership(adas)), adas);
    assert.deepEqual(await store.transaction((tx) => tx.putMembership(bobs)), bobs);

    const updated = await store.transaction((tx) => tx.putMembership({ ...adas, involvement: 'nothing', readSeq: 3, createdAt: at(9) }));
    assert.deepEqual(updated, { ...adas, involvement: 'nothing', readSeq: 3 });
    assert.deepEqual(await store.getMembership(room.id, ada.id), updated);
    assert.equal(await store.getMembership(room.id, newId()), null);
    assert.deepEqual(sortedMembers(await store.listMembers(room.id)), sortedMembers([updated, bobs]));

    await store.transaction((tx) => tx.markReadUpTo(room.id, ada.id, 7));
    assert.deepEqual(await store.getMembership(room.id, ada.id), { ...updated, readSeq: 7 }, 'moved up, nothing else changed');
    await store.transaction((tx) => tx.markReadUpTo(room.id, ada.id, 5));
    assert.equal((await store.getMembership(room.id, ada.id))?.readSeq, 7, 'never back');
    const stranger = newId();
    await store.transaction((tx) => tx.markReadUpTo(room.id, stranger, 9));
    assert.equal(await store.getMembership(room.id, stranger), null, 'no membership made');
    assert.deepEqual(sortedMembers(await store.listMembers(room.id)), sortedMembers([{ ...updated, readSeq: 7 }, bobs]));

    assert.equal(await store.transaction((tx) => tx.deleteMembership(room.id, ada.id)), true);
    assert.equal(await store.transaction((tx) => tx.deleteMembership(room.id, ada.id)), false);
    assert.equal(await store.getMembership(room.id, ada.id), null);
    assert.deepEqual(await store.listMembers(room.id), [bobs]);
  });

  test("lists a member's rooms by name, with unread flags and member ids", async (store) => {
    const { ada, bob, cy } = await addPeople(store);
    const kitchen = await addRoom(store, ada, { name: 'kitchen', members: [ada, bob] });
    const attic = await addRoom(store, ada, { name: 'attic', kind: 'closed', members: [ada] });
    const basement = await addRoom(store, ada, { name: 'basement', members: [ada, cy] });
    await addRoom(store, bob, { name: 'garden', members: [bob] });
    await post(store, kitchen, { author: bob, body: 'in the kitchen', createdAt: at(10) });
    const read = await post(store, attic, { author: ada, body: 'in the attic', createdAt: at(11) });
    await post(store, basement, { author: cy, body: 'in the basement', createdAt: at(12) });
    await store.transaction((tx) => tx.putMembership({ ...membership(attic.id, ada.id, 'mentions', at(0)), readSeq: read.seq }));
    await store.transaction((tx) => tx.putMembership(membership(basement.id, ada.id, 'invisible', at(0))));

    const rooms = await store.listRoomsForMember(ada.id);
    assert.deepEqual(
      rooms.map((room) => room.name),
      ['attic', 'basement', 'kitchen'],
    );
    const [atticView, basementView, kitchenView] = rooms;
    assert.deepEqual(
      { ...kitchenView, memberIds: sorted(kitchenView?.memberIds ?? []) },
      {
        ...(await store.getRoom(kitchen.id)),
        involvement: 'mentions',
        readSeq: 0,
        unread: true,
        memberIds: sorted([ada.id, bob.id]),
      },
    );
    assert.equal(kitchenView?.lastMessageSeq, 1);
    assert.equal(atticView?.unread, false, 'read up to the last message');
    assert.deepEqual(atticView?.memberIds, [ada.id]);
    assert.equal(basementView?.unread, false, 'invisible rooms are never unread');
    assert.equal(basementView?.involvement, 'invisible');
    assert.deepEqual(
      (await store.listRoomsForMember(bob.id)).map((room) => room.name),
      ['garden', 'kitchen'],
    );
    assert.deepEqual(await store.listRoomsForMember(newId()), []);
  });
}

function unreadCountTests(test: StoreTest): void {
  test('counts a member’s unread messages and mentions per room: others’ only, after the marker, not deleted, up to 100', async (store) => {
    const { ada, bob } = await addPeople(store);
    const kitchen = await addRoom(store, ada, { name: 'kitchen', members: [ada, bob] });
    const busy = await addRoom(store, ada, { name: 'busy', members: [ada, bob] });
    const quiet = await addRoom(store, ada, { name: 'quiet', members: [ada, bob] });
    await post(store, kitchen, { author: ada, body: 'mine', createdAt: at(1) });
    const read = await post(store, kitchen, { author: bob, body: 'read already', createdAt: at(2) });
    await store.transaction((tx) => tx.putMembership({ ...membership(kitchen.id, ada.id, 'mentions', at(0)), readSeq: read.seq }));
    await post(store, kitchen, { author: bob, body: 'hello <@ada>', mentions: [ada.id], createdAt: at(3) });
    const gone = await post(store, kitchen, { author: bob, body: 'oops <@ada>', mentions: [ada.id], createdAt: at(4) });
    await store.transaction((tx) => tx.markMessageDeleted(gone.id, at(5)));
    await post(store, kitchen, { author: bob, body: 'and more', createdAt: at(6) });
    await post(store, kitchen, { author: bob, body: 'for <@bob> only', mentions: [bob.id], createdAt: at(7) });
    for (let i = 0; i < 105; i++) await post(store, busy, { author: bob, body: `busy ${i}`, createdAt: at(10 + i) });
    await post(store, quiet, { author: bob, body: 'shh <@ada>', mentions: [ada.id], createdAt: at(200) });
    await store.transaction((tx) => tx.putMembership(membership(quiet.id, ada.id, 'invisible', at(0))));

    const counts = await store.unreadCounts(ada.id);
    assert.deepEqual(counts.get(kitchen.id), { unreadCount: 3, mentionCount: 1 });
    assert.deepEqual(counts.get(busy.id), { unreadCount: 100, mentionCount: 0 }, 'counted up to the cap');
    assert.deepEqual(counts.get(quiet.id), { unreadCount: 0, mentionCount: 0 }, 'an invisible room counts nothing');
    assert.deepEqual([...(await store.unreadCounts(ada.id, kitchen.id))], [[kitchen.id, { unreadCount: 3, mentionCount: 1 }]]);
    assert.deepEqual((await store.unreadCounts(bob.id)).get(kitchen.id), { unreadCount: 1, mentionCount: 0 }, 'bob’s read marker is 0: ada’s one message');
    assert.equal((await store.unreadCounts(newId())).size, 0);
  });
}

const sortedMembers = (members: readonly Membership[]): Membership[] => [...members].sort((a, b) => a.userId.localeCompare(b.userId));

// ---- messages and boosts ----

function messageTests(test: StoreTest): void {
  test('inserts messages and finds them by id and by client id', async (store) => {
    const { ada, bob } = await addPeople(store);
    const room = await addRoom(store, ada, { members: [ada, bob] });
    const message = await post(store, room, { author: ada, body: `hi <@${bob.id}>`, createdAt: at(5), mentions: [bob.id] });
    assert.deepEqual(message, {
      id: message.id,
      roomId: room.id,
      seq: 1,
      authorId: ada.id,
      clientMessageId: message.clientMessageId,
      body: `hi <@${bob.id}>`,
      mentions: [bob.id],
      sound: null,
      file: null,
      createdAt: at(5),
      editedAt: null,
      deletedAt: null,
      boosts: [],
    });
    assert.deepEqual(await store.getMessage(message.id), message);
    assert.deepEqual(await store.getMessageByClientId(room.id, ada.id, message.clientMessageId), message);
    assert.equal(await store.getMessageByClientId(room.id, bob.id, message.clientMessageId), null);
    assert.equal(await store.getMessage(newId()), null);

    const sound = await store.transaction(async (tx) =>
      tx.insertMessage({ ...message, id: newId(), seq: await tx.nextSeq(room.id), clientMessageId: newId(), body: '/play tada', mentions: [], sound: 'tada' }),
    );
    assert.equal((await store.getMessage(sound.id))?.sound, 'tada');
  });

  test('refuses a second message with the same client id from the same author', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    const first = await post(store, room, { author: ada, body: 'once', createdAt: at(1) });
    const again = store.transaction(async (tx) => tx.insertMessage({ ...first, id: newId(), seq: await tx.nextSeq(room.id) }));
    await rejectsWith(again, 'conflict');
    assert.deepEqual(
      (await store.listMessages(room.id, { limit: 10 })).map((message) => message.id),
      [first.id],
    );
  });

  test('edits and deletes messages', async (store) => {
    const { ada, bob } = await addPeople(store);
    const room = await addRoom(store, ada, { members: [ada, bob] });
    const message = await post(store, room, { author: ada, body: 'first draft', createdAt: at(1) });
    const edited = await store.transaction((tx) => tx.updateMessageBody(message.id, `second <@${bob.id}>`, [bob.id], at(2)));
    assert.deepEqual(edited, { ...message, body: `second <@${bob.id}>`, mentions: [bob.id], editedAt: at(2) });
    assert.deepEqual(await store.getMessage(message.id), edited);

    const deleted = await store.transaction((tx) => tx.markMessageDeleted(message.id, at(3)));
    assert.equal(deleted.body, '');
    assert.equal(deleted.deletedAt, at(3));
    assert.equal(deleted.id, message.id);
    assert.equal(deleted.seq, message.seq);
    assert.deepEqual(await store.getMessage(message.id), deleted);

    await rejectsWith(
      store.transaction((tx) => tx.updateMessageBody(newId(), 'x', [], at(4))),
      'message_not_found',
    );
    await rejectsWith(
      store.transaction((tx) => tx.markMessageDeleted(newId(), at(4))),
      'message_not_found',
    );
  });
}

function messagePageAndBoostTests(test: StoreTest): void {
  test('pages through messages oldest first', async (store) => {
    const { ada } = await addPeople(store);
    const room = await addRoom(store, ada);
    const other = await addRoom(store, ada, { name: 'other' });
    for (let i = 1; i <= 10; i++) await post(store, room, { author: ada, body: `message ${i}`, createdAt: at(i) });
    await post(store, other, { author: ada, body: 'elsewhere', createdAt: at(11) });
    const deleted = (await store.listMessages(room.id, { after: 4, limit: 1 }))[0];
    assert.ok(deleted !== undefined);
    await store.transaction((tx) => tx.markMessageDeleted(deleted.id, at(20)));

    const seqs = async (page: Parameters<Store['listMessages']>[1]) => (await store.listMessages(room.id, page)).map((m) => m.seq);
    assert.deepEqual(await seqs({ limit: 3 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ limit: 50 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(await seqs({ before: 8, limit: 3 }), [5, 6, 7]);
    assert.deepEqual(await seqs({ before: 3, limit: 5 }), [1, 2]);
    assert.deepEqual(await seqs({ after: 7, limit: 2 }), [8, 9]);
    assert.deepEqual(await seqs({ after: 10, limit: 5 }), []);
    assert.deepEqual(await seqs({ after: 0, limit: 2 }), [1, 2]);
    const page = await store.listMessages(room.id, { after: 4, limit: 1 });
    assert.equal(page[0]?.body, '', 'deleted messages are listed, emptied');
    assert.deepEqual(await store.listMessages(newId(), { limit: 5 }), []);
  });

  test('attaches boosts to their message, oldest first', async (store) => {
    const { ada, bob } = await addPeople(store);
    const room = await addRoom(store, ada, { members: [ada, bob] });
    const message = await post(store, room, { author: ada, body: 'boost me', createdAt: at(1) });
    const later = { id: newId(), messageId: message.id, authorId: bob.id, content: '🎉', createdAt: at(3) };
    const earlier = { id: newId(), messageId: message.id, authorId: ada.id, content: 'nice', createdAt: at(2) };
    assert.deepEqual(await store.transaction((tx) => tx.insertBoost(later)), later);
    assert.deepEqual(await store.transaction((tx) => tx.insertBoost(earlier)), earlier);

    assert.deepEqual(await store.getBoost(earlier.id), earlier);
    assert.equal(await store.getBoost(newId()), null);
    assert.deepEqual((await store.getMessage(message.id))?.boosts, [earlier, later]);
    assert.deepEqual((await store.listMessages(room.id, { limit: 5 }))[0]?.boosts, [earlier, later]);
    assert.deepEqual((await store.getMessageByClientId(room.id, ada.id, message.clientMessageId))?.boosts, [earlier, later]);

    assert.equal(await store.transaction((tx) => tx.deleteBoost(earlier.id)), true);
    assert.equal(await store.transaction((tx) => tx.deleteBoost(earlier.id)), false);
    assert.equal(await store.getBoost(earlier.id), null);
    assert.deepEqual((await store.getMessage(message.id))?.boosts, [later]);
  });
}

// ---- events ----

function eventTests(test: StoreTest): void {
  test('appends events to the room log and the outbox, and records the last message', async (store) => {
    const { ada } = await addPeople(store);
    const roomA = await addRoom(store, ada, { name: 'a' });
    const roomB = await addRoom(store, ada, { name: 'b' });
    const append = (event: RoomEvent) =>
      store.transaction(async (tx) => {
        assert.equal(await tx.nextSeq(event.roomId), event.seq);
        await tx.appendEvent(event);
      });
    const a1 = { ...roomEvent(roomA.id, 1, { type: 'room.created', room: roomA }), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await append(a1);
    const message = await post(store, roomA, { author: ada, body: 'hello', createdAt: at(2) });
    const b1 = roomEvent(roomB.id, 1, { type: 'room.created', room: roomB });
    await append(b1);
    const a3 = roomEvent(roomA.id, 3, { type: 'message.deleted', messageId: message.id });
    await append(a3);
    const a2 = roomEvent(roomA.id, 2, { type: 'message.created', message });

    assert.deepEqual(await store.eventsSince(roomA.id, 0, 10), [a1, a2, a3]);
    assert.deepEqual(await store.eventsSince(roomA.id, 1, 1), [a2]);
    assert.deepEqual(await store.eventsSince(roomA.id, 3, 10), []);
    assert.deepEqual(await store.eventsSince(roomB.id, 0, 10), [b1]);
    const stored = await store.getRoom(roomA.id);
    assert.equal(stored?.lastSeq, 3);
    assert.equal(stored?.lastMessageSeq, 2, 'only message.created moves lastMessageSeq');
    assert.equal((await store.getRoom(roomB.id))?.lastMessageSeq, 0);
  });

  test('hands out unpublished events in append order until they are marked published', async (store) => {
    const { ada } = await addPeople(store);
    const roomA = await addRoom(store, ada, { name: 'a' });
    const roomB = await addRoom(store, ada, { name: 'b' });
    const events = [
      roomEvent(roomA.id, 1, { type: 'room.created', room: roomA }),
      roomEvent(roomB.id, 1, { type: 'room.created', room: roomB }),
      roomEvent(roomA.id, 2, { type: 'membership.removed', userId: ada.id }),
      roomEvent(roomB.id, 2, { type: 'room.updated', room: roomB }),
    ];
    for (const event of events) await store.transaction((tx) => tx.appendEvent(event));

    const pending = await store.unpublishedEvents(10);
    assert.deepEqual(
      pending.map((entry) => entry.event),
      events,
    );
    assert.deepEqual(await store.outboxBacklog(), { events: events.length, oldestAt: events.map((event) => event.at).sort()[0] });
    const ids = pending.map((entry) => entry.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'outbox ids increase in append order',
    );
    assert.deepEqual(
      (await store.unpublishedEvents(2)).map((entry) => entry.event),
      events.slice(0, 2),
    );

    await store.transaction((tx) => tx.markPublished(ids.slice(0, 2)));
    await store.transaction((tx) => tx.markPublished([]));
    assert.deepEqual(await store.unpublishedEvents(10), pending.slice(2));
    assert.equal((await store.outboxBacklog()).events, events.length - 2);
    await store.transaction((tx) => tx.markPublished(ids));
    assert.deepEqual(await store.unpublishedEvents(10), []);
    assert.deepEqual(await store.outboxBacklog(), { events: 0, oldestAt: null });
    assert.equal((await store.eventsSince(roomA.id, 0, 10)).length, 2, 'publishing keeps the room log');
  });
}

// ---- search ----

async function searchWorld(store: Store) {
  const people = await addPeople(store);
  const { ada, bob } = people;
  const kitchen = await addRoom(store, ada, { name: 'kitchen', members: [ada, bob] });
  return { ...people, kitchen };
}

function searchTests(test: StoreTest): void {
  test('matches word prefixes, newest first, with the room name', async (store) => {
    const { ada, bob, kitchen } = await searchWorld(store);
    const older = await post(store, kitchen, { author: ada, body: 'hello world', createdAt: at(1) });
    await post(store, kitchen, { author: bob, body: 'Hello again', createdAt: at(2) });
    await post(store, kitchen, { author: bob, body: 'a shell script', createdAt: at(3) });
    await post(store, kitchen, { author: bob, body: 'goodbye', createdAt: at(4) });

    const hits = await store.searchMessages(ada.id, 'hel', 10);
    assert.deepEqual(bodies(hits), ['Hello again', 'hello world']);
    assert.equal(hits[0]?.roomName, 'kitchen');
    assert.deepEqual(hits[1]?.message, await store.getMessage(older.id));
    assert.deepEqual(bodies(await store.searchMessages(ada.id, 'hel', 1)), ['Hello again']);
    assert.deepEqual(await store.searchMessages(ada.id, 'hel', 0), []);
  });

  test('requires every word, each as a prefix, ignoring case and accents', async (store) => {
    const { ada, kitchen } = await searchWorld(store);
    await postEach(store, kitchen, ada, ['hello world', 'hello there', 'Café crème brûlée']);
    assert.deepEqual(await found(store, ada, 'hello wor'), ['hello world']);
    assert.deepEqual(await found(store, ada, 'wor hel'), ['hello world']);
    assert.deepEqual(await store.searchMessages(ada.id, 'hello goodbye', 10), []);
    assert.deepEqual(await found(store, ada, 'CAFE creme'), ['Café crème brûlée']);
    assert.deepEqual(await found(store, ada, 'brûl'), ['Café crème brûlée']);
  });

  test('searches only rooms the user is a member of', async (store) => {
    const { ada, bob, cy, kitchen } = await searchWorld(store);
    const attic = await addRoom(store, bob, { name: 'attic', kind: 'closed', members: [bob, cy] });
    await post(store, attic, { author: bob, body: 'secret plans', createdAt: at(1) });
    await post(store, kitchen, { author: bob, body: 'public plans', createdAt: at(2) });
    assert.deepEqual(await found(store, ada, 'plans'), ['public plans']);
    assert.deepEqual(await found(store, bob, 'plans'), ['public plans', 'secret plans']);
    await store.transaction((tx) => tx.deleteMembership(kitchen.id, ada.id));
    assert.deepEqual(await store.searchMessages(ada.id, 'plans', 10), []);
    assert.deepEqual(await store.searchMessages(newId(), 'plans', 10), []);
  });

  test('leaves deleted messages out and follows edits', async (store) => {
    const { ada, kitchen } = await searchWorld(store);
    const gone = await post(store, kitchen, { author: ada, body: 'forgettable remark', createdAt: at(1) });
    const edited = await post(store, kitchen, { author: ada, body: 'original wording', createdAt: at(2) });
    await store.transaction((tx) => tx.markMessageDeleted(gone.id, at(3)));
    await store.transaction((tx) => tx.updateMessageBody(edited.id, 'revised wording', [], at(4)));
    assert.deepEqual(await store.searchMessages(ada.id, 'forgettable', 10), []);
    assert.deepEqual(await store.searchMessages(ada.id, 'original', 10), []);
    assert.deepEqual(await found(store, ada, 'revised'), ['revised wording']);
    assert.deepEqual(await found(store, ada, 'wording'), ['revised wording']);
  });
}

/** Queries no user would mean as syntax, and scripts written without spaces. */
function searchQueryTests(test: StoreTest): void {
  test('treats query syntax as plain text and never fails on it', async (store) => {
    const { ada, kitchen } = await searchWorld(store);
    await postEach(store, kitchen, ada, ['hello world', 'and near or not']);
    const queries = [
      '"',
      '"hello',
      'hello"',
      '""',
      "'",
      '(hello',
      'hello)',
      '()',
      '*',
      'hel*',
      '**',
      'NEAR(hello world)',
      'NEAR/2',
      'hello NEAR world',
      'AND',
      'OR hello',
      'NOT',
      'hello AND',
      '-hello',
      '+hello',
      'body:hello',
      '^hello',
      '{hello}',
      '\\',
      '%',
      '_',
      '',
      '   ',
      '!!!',
      '🎉',
      'hello\u0000world',
      'a'.repeat(2000),
      Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '),
    ];
    for (const query of queries) {
      await assert.doesNotReject(store.searchMessages(ada.id, query, 10), `query ${JSON.stringify(query.slice(0, 40))}`);
    }
    assert.deepEqual(await store.searchMessages(ada.id, '', 10), []);
    assert.deepEqual(await store.searchMessages(ada.id, '!!! ***', 10), []);
    assert.deepEqual(await found(store, ada, 'hel*'), ['hello world']);
    assert.deepEqual(await found(store, ada, '"hello" (world)'), ['hello world']);
    assert.deepEqual(await found(store, ada, 'NEAR or'), ['and near or not']);
    assert.deepEqual(await found(store, ada, 'AND'), ['and near or not']);
  });

  test('finds words inside text written without spaces (Chinese, Japanese, Korean)', async (store) => {
    const { ada, kitchen } = await searchWorld(store);
    await postEach(store, kitchen, ada, ['東京都に住んでいます', '서울특별시에서 만나요', '我们明天去北京']);
    assert.deepEqual(await found(store, ada, '京都'), ['東京都に住んでいます']);
    assert.deepEqual(await found(store, ada, '住んで'), ['東京都に住んでいます']);
    assert.deepEqual(await found(store, ada, '특별시'), ['서울특별시에서 만나요']);
    assert.deepEqual(await found(store, ada, '北京'), ['我们明天去北京']);
    assert.deepEqual(await found(store, ada, '明天 北京'), ['我们明天去北京']);
    assert.deepEqual(await store.searchMessages(ada.id, '大阪', 10), []);
  });
}

// ---- sessions ----

function sessionTests(test: StoreTest): void {
  test('stores, touches and deletes sessions', async (store) => {
    const { ada, bob } = await addPeople(store);
    const first = newSession(ada);
    const second = newSession(ada, { userAgent: 'other browser', ip: '::1' });
    const bobs = newSession(bob);
    for (const session of [first, second, bobs]) await store.transaction((tx) => tx.insertSession(session));
    assert.deepEqual(await store.getSession(first.id), first);
    assert.equal(await store.getSession(newId()), null);
    assert.deepEqual(await store.getSessionWithUser(first.id), { session: first, user: await store.getUser(ada.id) });
    assert.deepEqual(await store.getSessionWithUser(bobs.id), { session: bobs, user: await store.getUser(bob.id) });
    assert.equal(await store.getSessionWithUser(newId()), null);

    await store.transaction((tx) => tx.touchSession(first.id, at(60), at(7200)));
    assert.deepEqual(await store.getSession(first.id), { ...first, lastSeenAt: at(60), expiresAt: at(7200) });

    assert.equal(await store.transaction((tx) => tx.deleteSession(first.id)), true);
    assert.equal(await store.transaction((tx) => tx.deleteSession(first.id)), false);
    assert.equal(await store.getSession(first.id), null);

    assert.equal(await store.transaction((tx) => tx.deleteUserSessions(ada.id)), 1);
    assert.equal(await store.transaction((tx) => tx.deleteUserSessions(ada.id)), 0);
    assert.equal(await store.getSession(second.id), null);
    assert.deepEqual(await store.getSession(bobs.id), bobs);
  });

  test("lists a person's sessions, the most recently seen first, and ends all of them but one", async (store) => {
    const { ada, bob } = await addPeople(store);
    const laptop = newSession(ada, { createdAt: at(0), lastSeenAt: at(50), userAgent: 'laptop' });
    const phone = newSession(ada, { createdAt: at(10), lastSeenAt: at(90), userAgent: 'phone' });
    const tablet = newSession(ada, { createdAt: at(20), lastSeenAt: at(20), userAgent: 'tablet' });
    const bobs = newSession(bob, { lastSeenAt: at(100) });
    for (const session of [laptop, phone, tablet, bobs]) await store.transaction((tx) => tx.insertSession(session));
    assert.deepEqual(await store.listSessionsOfUser(ada.id), [phone, laptop, tablet]);
    assert.deepEqual(await store.listSessionsOfUser(bob.id), [bobs]);
    assert.deepEqual(await store.listSessionsOfUser(newId()), []);

    // Seen again, the tablet comes first; the same list is read inside a transaction.
    await store.transaction((tx) => tx.touchSession(tablet.id, at(120), at(7200)));
    const touched = { ...tablet, lastSeenAt: at(120), expiresAt: at(7200) };
    assert.deepEqual(await store.transaction((tx) => tx.listSessionsOfUser(ada.id)), [touched, phone, laptop]);

    const ended = await store.transaction((tx) => tx.deleteOtherSessionsOfUser(ada.id, phone.id));
    assert.deepEqual(sorted(ended), sorted([laptop.id, tablet.id]));
    assert.deepEqual(await store.listSessionsOfUser(ada.id), [phone]);
    assert.deepEqual(await store.transaction((tx) => tx.deleteOtherSessionsOfUser(ada.id, phone.id)), []);
    // Another person's session id keeps nothing of theirs, and ends none of anyone else's.
    assert.deepEqual(await store.transaction((tx) => tx.deleteOtherSessionsOfUser(ada.id, bobs.id)), [phone.id]);
    assert.deepEqual(await store.listSessionsOfUser(bob.id), [bobs]);
  });
}

// ---- identities ----

function identityTests(test: StoreTest): void {
  test('finds a user by a linked provider identity and refuses linking it twice', async (store) => {
    const { ada, bob } = await addPeople(store);
    const issuer = 'https://sso.example/realms/acme';
    assert.equal(await store.getUserByIdentity(issuer, 'sub-1'), null);
    await store.transaction((tx) => tx.linkIdentity({ issuer, subject: 'sub-1', userId: ada.id, createdAt: at(0) }));
    assert.deepEqual(await store.getUserByIdentity(issuer, 'sub-1'), ada);
    // The same subject at another issuer is another person.
    assert.equal(await store.getUserByIdentity('https://other.example', 'sub-1'), null);
    await rejectsWith(
      store.transaction((tx) => tx.linkIdentity({ issuer, subject: 'sub-1', userId: bob.id, createdAt: at(1) })),
      'conflict',
    );
    assert.deepEqual(await store.getUserByIdentity(issuer, 'sub-1'), ada);
  });

  test('ends only the sessions started from one provider session', async (store) => {
    const { ada } = await addPeople(store);
    const fromSso = newSession(ada, { idpSessionId: 'sid-1' });
    const alsoFromSso = newSession(ada, { idpSessionId: 'sid-1' });
    const other = newSession(ada, { idpSessionId: 'sid-2' });
    const password = newSession(ada);
    for (const session of [fromSso, alsoFromSso, other, password]) await store.transaction((tx) => tx.insertSession(session));
    assert.deepEqual(await store.getSession(fromSso.id), fromSso);
    const ended = await store.transaction((tx) => tx.deleteSessionsByIdpSession('sid-1'));
    assert.deepEqual(sorted(ended), sorted([fromSso.id, alsoFromSso.id]));
    assert.equal(await store.getSession(fromSso.id), null);
    assert.deepEqual(await store.getSession(other.id), other);
    assert.deepEqual(await store.getSession(password.id), password);
    assert.deepEqual(await store.transaction((tx) => tx.deleteSessionsByIdpSession('sid-1')), []);
  });
}

// ---- audit log ----

function auditTests(test: StoreTest): void {
  test('appends entries with increasing ids and pages backwards and forwards', async (store) => {
    const { ada } = await addPeople(store);
    const written = [];
    for (let i = 0; i < 5; i++) {
      written.push(
        await store.transaction((tx) =>
          tx.appendAudit({
            at: at(i),
            actorId: i === 0 ? null : ada.id,
            action: i === 0 ? 'auth.sign_in_failed' : 'user.role_changed',
            targetType: 'user',
            targetId: ada.id,
            detail: { from: 'member', to: 'administrator', groups: ['staff', 'admins'], attempt: i, viaSso: true, note: null },
            origin: i === 0 ? null : { ip: '203.0.113.7', userAgent: 'Firefox' },
          }),
        ),
      );
    }
    const ids = written.map((entry) => entry.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, 5);
    assert.deepEqual(written[2], {
      id: ids[2],
      at: at(2),
      actorId: ada.id,
      action: 'user.role_changed',
      targetType: 'user',
      targetId: ada.id,
      detail: { from: 'member', to: 'administrator', groups: ['staff', 'admins'], attempt: 2, viaSso: true, note: null },
      origin: { ip: '203.0.113.7', userAgent: 'Firefox' },
    });
    assert.equal(written[0]?.origin, null);

    assert.deepEqual(await store.listAudit({ limit: 2 }), [written[4], written[3]]);
    assert.deepEqual(await store.listAudit({ before: Number(ids[3]), limit: 10 }), [written[2], written[1], written[0]]);
    assert.deepEqual(await store.listAudit({ after: Number(ids[1]), limit: 2 }), [written[2], written[3]]);
    assert.deepEqual(await store.listAudit({ after: Number(ids[4]), limit: 2 }), []);
  });

  test('writes nothing for a transaction that rolls back', async (store) => {
    const { ada } = await addPeople(store);
    const entry = { at: at(0), actorId: ada.id, action: 'room.created' as const, targetType: 'room' as const, targetId: 'r1', detail: {}, origin: null };
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.appendAudit(entry);
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    assert.deepEqual(await store.listAudit({ limit: 10 }), []);
  });
}

// ---- bots and API tokens ----

interface BotSpec {
  readonly name: string;
  readonly webhookUrl: string | null;
  readonly createdAt: string;
}

async function addBot(store: Store, creator: User, spec: BotSpec): Promise<User> {
  const { name, webhookUrl, createdAt } = spec;
  return store.transaction(async (tx) => {
    const user = await tx.insertUser(newUser({ name, email: null, role: 'bot', createdAt }));
    await tx.insertBot({ userId: user.id, webhookUrl, createdBy: creator.id, createdAt });
    return user;
  });
}

function apiToken(bot: User, creator: User, overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: newId(),
    userId: bot.id,
    name: 'deploys',
    roomIds: [],
    createdBy: creator.id,
    createdAt: at(10),
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

function botTests(test: StoreTest): void {
  test("inserts bots and reads them back with their user's name and activation", async (store) => {
    const { ada, bob } = await addPeople(store);
    const hook = await addBot(store, ada, { name: 'Hook', webhookUrl: 'https://hooks.example/hearth?x=1', createdAt: at(5) });
    const quiet = await addBot(store, ada, { name: 'Quiet', webhookUrl: null, createdAt: at(4) });
    const expected = { userId: hook.id, name: 'Hook', webhookUrl: 'https://hooks.example/hearth?x=1', createdBy: ada.id, createdAt: at(5), active: true };
    assert.deepEqual(await store.getBot(hook.id), expected);
    assert.equal(await store.getBot(bob.id), null, 'a person is not a bot');
    assert.equal(await store.getBot(newId()), null);
    assert.deepEqual(
      (await store.listBots()).map((bot) => bot.name),
      ['Quiet', 'Hook'],
      'oldest first',
    );

    await store.transaction((tx) => tx.updateUser(hook.id, { name: 'Hooky', active: false }));
    assert.deepEqual(await store.getBot(hook.id), { ...expected, name: 'Hooky', active: false });
    assert.deepEqual(await store.getBot(quiet.id), { userId: quiet.id, name: 'Quiet', webhookUrl: null, createdBy: ada.id, createdAt: at(4), active: true });
  });

  test("keeps a bot's webhook secrets out of the Bot, and rotates them keeping the replaced one until it expires", async (store) => {
    const { ada, bob } = await addPeople(store);
    const hook = await addBot(store, ada, { name: 'Hook', webhookUrl: null, createdAt: at(5) });
    // A bot made before deliveries were signed has no secret, until its first rotation.
    assert.deepEqual(await store.getWebhookSecrets(hook.id), { current: null, previous: null });
    assert.equal(await store.getWebhookSecrets(bob.id), null, 'a person has no bot row');
    const first = await store.transaction((tx) => tx.rotateWebhookSecret(hook.id, 'whsec_one', at(100)));
    assert.deepEqual(first, { current: 'whsec_one', previous: null }, 'no secret before: nothing to keep');
    const second = await store.transaction((tx) => tx.rotateWebhookSecret(hook.id, 'whsec_two', at(200)));
    assert.deepEqual(second, { current: 'whsec_two', previous: { secret: 'whsec_one', expiresAt: at(200) } });
    assert.deepEqual(await store.getWebhookSecrets(hook.id), second);
    const bot = await store.getBot(hook.id);
    assert.ok(bot !== null && !JSON.stringify(bot).includes('whsec_') && !JSON.stringify(await store.listBots()).includes('whsec_'));

    const made = await store.transaction(async (tx) => {
      const user = await tx.insertUser(newUser({ name: 'Signed', email: null, role: 'bot', createdAt: at(6) }));
      return tx.insertBot({ userId: user.id, webhookUrl: null, createdBy: ada.id, createdAt: at(6), webhookSecret: 'whsec_made' });
    });
    assert.ok(!JSON.stringify(made).includes('whsec_'));
    assert.deepEqual(await store.getWebhookSecrets(made.userId), { current: 'whsec_made', previous: null });
  });

  test("stores a token with its hash, lists a bot's tokens and never returns the hash with them", async (store) => {
    const { ada } = await addPeople(store);
    const bot = await addBot(store, ada, { name: 'Deployer', webhookUrl: null, createdAt: at(5) });
    const other = await addBot(store, ada, { name: 'Other', webhookUrl: null, createdAt: at(5) });
    const room = await addRoom(store, ada);
    const first = apiToken(bot, ada, { name: 'ci', roomIds: [room.id], createdAt: at(10) });
    const second = apiToken(bot, ada, { name: 'cd', roomIds: [], createdAt: at(11) });
    assert.deepEqual(await store.transaction((tx) => tx.insertApiToken(second, 'hash-2')), second);
    assert.deepEqual(await store.transaction((tx) => tx.insertApiToken(first, 'hash-1')), first);
    await store.transaction((tx) => tx.insertApiToken(apiToken(other, ada), 'hash-3'));

    assert.deepEqual(await store.getApiToken(first.id), { token: first, secretHash: 'hash-1' });
    assert.equal(await store.getApiToken(newId()), null);
    const listed = await store.listApiTokens(bot.id);
    assert.deepEqual(listed, [first, second], "oldest first, only this bot's");
    assert.ok(listed.every((token) => !('secretHash' in token) && !('secret_hash' in token)));
    assert.deepEqual(await store.listApiTokens(ada.id), []);
  });

  test('revokes a token once, keeping the first revocation time, and refuses an unknown one', async (store) => {
    const { ada } = await addPeople(store);
    const bot = await addBot(store, ada, { name: 'Deployer', webhookUrl: null, createdAt: at(5) });
    const token = apiToken(bot, ada);
    await store.transaction((tx) => tx.insertApiToken(token, 'hash'));
    const revoked = await store.transaction((tx) => tx.revokeApiToken(token.id, at(20)));
    assert.deepEqual(revoked, { ...token, revokedAt: at(20) });
    assert.deepEqual(await store.transaction((tx) => tx.revokeApiToken(token.id, at(30))), revoked);
    assert.deepEqual((await store.getApiToken(token.id))?.token, revoked);
    await rejectsWith(
      store.transaction((tx) => tx.revokeApiToken(newId(), at(30))),
      'not_found',
      'tokenId',
    );
  });

  test('records when a token was last used', async (store) => {
    const { ada } = await addPeople(store);
    const bot = await addBot(store, ada, { name: 'Deployer', webhookUrl: null, createdAt: at(5) });
    const token = apiToken(bot, ada);
    await store.transaction((tx) => tx.insertApiToken(token, 'hash'));
    await store.transaction((tx) => tx.touchApiToken(token.id, at(40)));
    assert.equal((await store.getApiToken(token.id))?.token.lastUsedAt, at(40));
    await store.transaction((tx) => tx.touchApiToken(token.id, at(100)));
    assert.deepEqual((await store.getApiToken(token.id))?.token, { ...token, lastUsedAt: at(100) });
  });
}

// ---- webhook deliveries ----

async function mentionOfBot(store: Store): Promise<{ bot: User; room: Room; message: Message }> {
  const { ada } = await addPeople(store);
  const bot = await addBot(store, ada, { name: 'Hook', webhookUrl: 'https://hooks.example/', createdAt: at(5) });
  const room = await addRoom(store, ada, { members: [ada, bot] });
  const message = await post(store, room, { author: ada, body: `hi <@${bot.id}>`, createdAt: at(6), mentions: [bot.id] });
  return { bot, room, message };
}

function webhookDeliveryTests(test: StoreTest): void {
  test("inserts a delivery due at once and lists a message's deliveries", async (store) => {
    const { bot, room, message } = await mentionOfBot(store);
    const delivery = await store.transaction((tx) => tx.insertWebhookDelivery({ botId: bot.id, messageId: message.id, roomId: room.id, createdAt: at(6) }));
    assert.deepEqual(delivery, {
      id: delivery.id,
      botId: bot.id,
      messageId: message.id,
      roomId: room.id,
      attempts: 0,
      nextAttemptAt: at(6),
      createdAt: at(6),
      deliveredAt: null,
      failedAt: null,
      lastError: null,
    });
    assert.equal(typeof delivery.id, 'number');
    assert.deepEqual(await store.listWebhookDeliveries(message.id), [delivery]);
    assert.deepEqual(await store.listWebhookDeliveries(newId()), []);
  });

  test('records a retry, a delivery and a give-up; only a retry is claimed again', async (store) => {
    const { bot, room, message } = await mentionOfBot(store);
    const insert = () => store.transaction((tx) => tx.insertWebhookDelivery({ botId: bot.id, messageId: message.id, roomId: room.id, createdAt: at(6) }));
    const retried = await insert();
    const delivered = await insert();
    const givenUp = await insert();
    await store.transaction((tx) => tx.claimWebhookDeliveries(at(10), at(40), 10));

    const retry = await store.transaction((tx) =>
      tx.recordWebhookAttempt(retried.id, { at: at(11), delivered: false, error: 'HTTP 503', nextAttemptAt: at(13) }),
    );
    assert.deepEqual(retry, { ...retried, attempts: 1, nextAttemptAt: at(13), lastError: 'HTTP 503' });
    const done = await store.transaction((tx) => tx.recordWebhookAttempt(delivered.id, { at: at(12), delivered: true, error: null, nextAttemptAt: null }));
    assert.deepEqual(done, { ...delivered, attempts: 1, nextAttemptAt: at(40), deliveredAt: at(12) });
    const gaveUp = await store.transaction((tx) =>
      tx.recordWebhookAttempt(givenUp.id, { at: at(12), delivered: false, error: 'timed out', nextAttemptAt: null }),
    );
    assert.deepEqual(gaveUp, { ...givenUp, attempts: 1, nextAttemptAt: at(40), failedAt: at(12), lastError: 'timed out' });

    assert.deepEqual(
      (await store.transaction((tx) => tx.claimWebhookDeliveries(at(100), at(130), 10))).map((d) => d.id),
      [retried.id],
    );
    const second = await store.transaction((tx) => tx.recordWebhookAttempt(retried.id, { at: at(101), delivered: true, error: null, nextAttemptAt: null }));
    assert.equal(second.attempts, 2);
    assert.equal(second.deliveredAt, at(101));
    assert.equal(second.lastError, null);
    assert.deepEqual(await store.transaction((tx) => tx.claimWebhookDeliveries(at(1000), at(1030), 10)), []);
    assert.deepEqual(
      (await store.listWebhookDeliveries(message.id)).map((d) => [d.attempts, d.deliveredAt !== null, d.failedAt !== null]),
      [
        [2, true, false],
        [1, true, false],
        [1, false, true],
      ],
    );
    await rejectsWith(
      store.transaction((tx) => tx.recordWebhookAttempt(999_999, { at: at(1), delivered: true, error: null, nextAttemptAt: null })),
      'not_found',
    );
  });
}

/** Claims: leased, never shared between two claims at once. */
function webhookClaimTests(test: StoreTest): void {
  test('claims only due deliveries, leases them, and gives them back when the lease runs out', async (store) => {
    const { bot, room, message } = await mentionOfBot(store);
    const insert = (createdAt: string) =>
      store.transaction((tx) => tx.insertWebhookDelivery({ botId: bot.id, messageId: message.id, roomId: room.id, createdAt }));
    const early = await insert(at(6));
    const later = await insert(at(7));
    const future = await insert(at(50));

    const claimed = await store.transaction((tx) => tx.claimWebhookDeliveries(at(10), at(40), 10));
    assert.deepEqual(claimed, [
      { ...early, nextAttemptAt: at(40) },
      { ...later, nextAttemptAt: at(40) },
    ]);
    assert.deepEqual(await store.transaction((tx) => tx.claimWebhookDeliveries(at(10), at(40), 10)), [], 'leased deliveries are not claimed twice');
    assert.deepEqual(await store.transaction((tx) => tx.claimWebhookDeliveries(at(39), at(70), 10)), []);
    // The lease ran out (the claimer died mid-attempt): the first two are due again, with the third.
    const again = await store.transaction((tx) => tx.claimWebhookDeliveries(at(60), at(90), 2));
    assert.deepEqual(
      again.map((d) => d.id),
      [early.id, later.id],
      'at most limit, earliest first',
    );
    assert.deepEqual(
      (await store.transaction((tx) => tx.claimWebhookDeliveries(at(60), at(90), 2))).map((d) => d.id),
      [future.id],
    );
  });

  test('two claims at once never take the same delivery', async (store) => {
    const { bot, room, message } = await mentionOfBot(store);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await store.transaction((tx) => tx.insertWebhookDelivery({ botId: bot.id, messageId: message.id, roomId: room.id, createdAt: at(6) }))).id);
    }
    const claims = await Promise.all([1, 2, 3].map(() => store.transaction((tx) => tx.claimWebhookDeliveries(at(10), at(40), 4))));
    const taken = claims.flat().map((d) => d.id);
    assert.equal(new Set(taken).size, taken.length, 'no delivery claimed twice');
    assert.deepEqual(
      [...taken].sort((a, b) => a - b),
      ids,
    );
  });
}
