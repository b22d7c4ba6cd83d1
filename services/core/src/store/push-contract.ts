import assert from 'node:assert/strict';
import type { PushSubscriptionRecord } from '../domain/push.ts';
import type { Involvement, Session, User } from '../domain/types.ts';
import { newId } from '../ids.ts';
import type { Store } from './store.ts';
import { addAuthorAndRoom } from './store-test-support.ts';

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

const AT = '2025-01-01T00:00:00.000Z';

async function signIn(store: Store, user: User): Promise<Session> {
  const session: Session = {
    id: newId(),
    userId: user.id,
    csrfToken: newId(),
    createdAt: AT,
    lastSeenAt: AT,
    expiresAt: '2025-01-02T00:00:00.000Z',
    userAgent: 'push-contract',
    ip: '127.0.0.1',
    idpSessionId: null,
  };
  await store.transaction((tx) => tx.insertSession(session));
  return session;
}

function subscription(session: Session, name: string): PushSubscriptionRecord {
  return {
    endpoint: `https://push.example/${name}`,
    userId: session.userId,
    sessionId: session.id,
    p256dh: `key-${name}`,
    auth: `auth-${name}`,
    createdAt: AT,
  };
}

async function join(store: Store, roomId: string, user: User, involvement: Involvement): Promise<void> {
  await store.transaction((tx) => tx.putMembership({ roomId, userId: user.id, involvement, readSeq: 0, createdAt: AT }));
}

/** Push subscriptions and server keys, the same in both stores. */
export function pushTests(test: StoreTest): void {
  test('keeps a subscription per endpoint: subscribing again replaces it, whoever subscribes', async (store) => {
    const { ada, bob } = await addAuthorAndRoom(store);
    const [adas, bobs] = [await signIn(store, ada), await signIn(store, bob)];
    await store.transaction((tx) => tx.putPushSubscription(subscription(adas, 'a')));
    await store.transaction((tx) => tx.putPushSubscription({ ...subscription(adas, 'a'), p256dh: 'new-key' }));
    assert.deepEqual(await store.listPushSubscriptionsOfUser(ada.id), [{ ...subscription(adas, 'a'), p256dh: 'new-key' }]);
    // The same browser, another person signed in: the endpoint is now Bob's alone.
    await store.transaction((tx) => tx.putPushSubscription({ ...subscription(bobs, 'a') }));
    assert.deepEqual(await store.listPushSubscriptionsOfUser(ada.id), []);
    assert.deepEqual(await store.listPushSubscriptionsOfUser(bob.id), [subscription(bobs, 'a')]);
  });

  test("removes a person's own subscription only, or any by its endpoint", async (store) => {
    const { ada, bob } = await addAuthorAndRoom(store);
    const adas = await signIn(store, ada);
    await store.transaction(async (tx) => {
      await tx.putPushSubscription(subscription(adas, 'a'));
      await tx.putPushSubscription(subscription(adas, 'b'));
    });
    assert.equal(await store.transaction((tx) => tx.deletePushSubscription(bob.id, 'https://push.example/a')), false);
    assert.equal(await store.transaction((tx) => tx.deletePushSubscription(ada.id, 'https://push.example/a')), true);
    assert.equal(await store.transaction((tx) => tx.deletePushSubscriptionByEndpoint('https://push.example/b')), true);
    assert.equal(await store.transaction((tx) => tx.deletePushSubscriptionByEndpoint('https://push.example/b')), false);
    assert.deepEqual(await store.listPushSubscriptionsOfUser(ada.id), []);
  });

  test("ending a session ends its subscriptions, and no other session's", async (store) => {
    const { ada } = await addAuthorAndRoom(store);
    const [laptop, phone] = [await signIn(store, ada), await signIn(store, ada)];
    await store.transaction(async (tx) => {
      await tx.putPushSubscription(subscription(laptop, 'laptop'));
      await tx.putPushSubscription(subscription(phone, 'phone'));
    });
    await store.transaction((tx) => tx.deleteOtherSessionsOfUser(ada.id, phone.id));
    assert.deepEqual(await store.listPushSubscriptionsOfUser(ada.id), [subscription(phone, 'phone')]);
    await store.transaction((tx) => tx.deleteSession(phone.id));
    assert.deepEqual(await store.listPushSubscriptionsOfUser(ada.id), []);
  });

  test("lists a room's targets: members' subscriptions with their involvement, leaving out those told nothing", async (store) => {
    const { ada, bob, room } = await addAuthorAndRoom(store);
    const cy = await store.transaction((tx) => tx.insertUser({ id: newId(), name: 'Cy', email: null, role: 'member', passwordHash: null, createdAt: AT }));
    const dee = await store.transaction((tx) => tx.insertUser({ id: newId(), name: 'Dee', email: null, role: 'member', passwordHash: null, createdAt: AT }));
    await join(store, room.id, bob, 'everything');
    await join(store, room.id, cy, 'nothing');
    const sessions = await Promise.all([ada, bob, cy, dee].map((user) => signIn(store, user)));
    await store.transaction(async (tx) => {
      for (const [i, session] of sessions.entries()) await tx.putPushSubscription(subscription(session, String(i)));
    });
    const targets = await store.listPushTargets(room.id);
    assert.deepEqual(
      targets.map((t) => [t.userId, t.endpoint, t.p256dh, t.auth, t.involvement, t.roomKind]),
      [
        [ada.id, 'https://push.example/0', 'key-0', 'auth-0', 'mentions', 'open'],
        [bob.id, 'https://push.example/1', 'key-1', 'auth-1', 'everything', 'open'],
      ],
    );
    assert.deepEqual(await store.listPushTargets(newId()), []);
  });

  test('keeps the first server key kept under a name, and gives it to every later keeper', async (store) => {
    assert.equal(await store.getServerKey('vapid'), null);
    const kept = await Promise.all(['one', 'two', 'three'].map((value) => store.transaction((tx) => tx.keepServerKey('vapid', value, AT))));
    assert.equal(new Set(kept).size, 1);
    assert.equal(await store.getServerKey('vapid'), kept[0]);
    assert.equal(await store.transaction((tx) => tx.keepServerKey('other', 'x', AT)), 'x');
  });
}
