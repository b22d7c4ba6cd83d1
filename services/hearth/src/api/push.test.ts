import assert from 'node:assert/strict';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { startPushService, type BrowserSubscription, type PushService, type ReceivedPush } from '@hearth/harness';
import { call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/**
 * Web Push through a whole Hearth: browsers' subscriptions kept by the API, and new messages
 * pushed by the messaging service to a push service on loopback that checks each request's VAPID
 * signature and decrypts its payload as a browser would (harness/src/push-service.ts). Who is
 * pushed to follows the involvement levels; a subscription the push service says is gone, or
 * whose session ended, is pushed to no more.
 */

interface Notice {
  readonly v: number;
  readonly kind: string;
  readonly roomId: string;
  readonly messageId: string;
  readonly title: string;
  readonly body: string;
  readonly path: string;
}

function assertError(response: LightMyRequestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const { error } = response.json<{ error: { code: string; field?: string } }>();
  assert.equal(error.code, code, response.body);
  if (field !== undefined) assert.equal(error.field, field, response.body);
}

describe('Web Push', () => {
  let s: TestServer;
  let push: PushService;
  let ada: TestSession;
  let bob: TestSession;
  let roomId: string;
  let posts = 0;

  before(async () => {
    push = await startPushService();
    // The server trusts the push service's CA as it trusts a real push service's.
    setDefaultCACertificates([...getCACertificates('default'), push.caCert]);
    s = await startTestServer({ HEARTH_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8', HEARTH_PUBLIC_URL: 'https://chat.example.com' });
    ada = await setUpAccount(s.app);
    bob = await joinAs(s.app, ada, 'Bob');
    const room = await call(s.app, 'POST', '/api/rooms', { session: ada, body: { kind: 'open', name: 'general', memberIds: [bob.user.id] } });
    roomId = room.json<{ id: string }>().id;
  });
  after(async () => {
    await stopAndAssertNo5xx(s);
    await push.close();
  });

  async function subscribe(session: TestSession): Promise<BrowserSubscription> {
    const subscription = push.subscribe();
    const response = await call(s.app, 'POST', '/api/push/subscriptions', { session, body: subscription });
    assert.equal(response.statusCode, 201, response.body);
    return subscription;
  }

  async function post(session: TestSession, body: string, room = roomId): Promise<string> {
    posts += 1;
    const response = await call(s.app, 'POST', `/api/rooms/${room}/messages`, { session, body: { body, clientMessageId: `push-${posts}` } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  }

  /** The next push after the first `seen`, with its notice read. */
  async function pushAfter(seen: number): Promise<ReceivedPush & { notice: Notice }> {
    const received = await push.nextAfter(seen, 10_000);
    return { ...received, notice: JSON.parse(received.text) as Notice };
  }

  /** Ada and Bob's direct room (made by the first ask, the same one after). */
  async function directRoom(): Promise<string> {
    const direct = await call(s.app, 'POST', '/api/rooms/direct', { session: ada, body: { userIds: [bob.user.id] } });
    assert.ok(direct.statusCode === 200 || direct.statusCode === 201, direct.body);
    return direct.json<{ id: string }>().id;
  }

  async function setInvolvement(session: TestSession, involvement: string, room = roomId): Promise<void> {
    const response = await call(s.app, 'PATCH', `/api/rooms/${room}/membership`, { session, body: { involvement } });
    assert.equal(response.statusCode, 200, response.body);
  }

  it('gives the key browsers subscribe with: a P-256 public key, the same at every ask', async () => {
    const first = await call(s.app, 'GET', '/api/push', { session: bob });
    assert.equal(first.statusCode, 200, first.body);
    const { publicKey } = first.json<{ publicKey: string }>();
    assert.equal(Buffer.from(publicKey, 'base64url').byteLength, 65);
    assert.equal(Buffer.from(publicKey, 'base64url')[0], 4);
    assert.equal((await call(s.app, 'GET', '/api/push', { session: ada })).json<{ publicKey: string }>().publicKey, publicKey);
    assertError(await call(s.app, 'GET', '/api/push'), 401, 'unauthenticated');
  });

  it("pushes a mention to the person mentioned, signed with the server's key and readable only with their keys", async () => {
    const subscription = await subscribe(bob);
    const seen = push.received.length;
    const messageId = await post(ada, `lunch, <@${bob.user.id}>?`);
    const received = await pushAfter(seen);
    assert.equal(received.endpoint, subscription.endpoint);
    assert.equal(received.vapidKey, (await call(s.app, 'GET', '/api/push', { session: bob })).json<{ publicKey: string }>().publicKey);
    assert.equal(received.claims.aud, push.origin);
    assert.equal(received.claims.sub, 'https://chat.example.com');
    assert.ok(received.ttl > 0);
    assert.deepEqual(received.notice, { v: 1, kind: 'message', roomId, messageId, title: 'Ada in general', body: 'lunch, @Bob?', path: `/rooms/${roomId}` });
  });

  it('pushes what their involvement asks for: mentions only by default, every message at "everything", nothing at "nothing"', async () => {
    let seen = push.received.length;
    await post(ada, 'no one in particular');
    const mention = await post(ada, `<@${bob.user.id}> this one`);
    assert.equal((await pushAfter(seen)).notice.messageId, mention, 'the message without a mention was pushed');
    seen += 1;

    await setInvolvement(bob, 'everything');
    const plain = await post(ada, 'now everything');
    assert.equal((await pushAfter(seen)).notice.messageId, plain);
    seen += 1;

    // Messages are pushed in turn: the next push after the one at "nothing" is the direct room's.
    await setInvolvement(bob, 'nothing');
    await post(ada, `<@${bob.user.id}> not even this`);
    const elsewhere = await post(ada, 'elsewhere', await directRoom());
    assert.equal((await pushAfter(seen)).notice.messageId, elsewhere, 'a mention was pushed at "nothing"');
    await setInvolvement(bob, 'mentions');
  });

  it("pushes every message of a direct room, titled with its author's name, and never a person's own message", async () => {
    await subscribe(ada);
    const directId = await directRoom();
    const seen = push.received.length;
    await post(ada, 'just between us', directId);
    const toBob = await pushAfter(seen);
    assert.deepEqual([toBob.notice.title, toBob.notice.body, toBob.notice.roomId], ['Ada', 'just between us', directId]);
    assert.ok(
      push.received.slice(seen).every((r) => !r.text.includes('"title":"Bob')),
      "Ada's own message was pushed to her",
    );
    await post(bob, 'sure', directId);
    const toAda = await pushAfter(seen + 1);
    assert.deepEqual([toAda.notice.title, toAda.notice.body], ['Bob', 'sure']);
  });

  it('forgets a subscription the push service says is gone, and one whose session ends', async () => {
    const carol = await joinAs(s.app, ada, 'Carol');
    await call(s.app, 'PUT', `/api/rooms/${roomId}/members/${carol.user.id}`, { session: ada });
    const gone = await subscribe(carol);
    push.answer(gone.endpoint, 410);
    await post(ada, `<@${carol.user.id}> are you there?`);
    await waitFor(async () => (await s.backends.store.listPushSubscriptionsOfUser(carol.user.id)).length === 0, 'the gone subscription to be removed');

    await subscribe(carol);
    assert.equal((await s.backends.store.listPushSubscriptionsOfUser(carol.user.id)).length, 1);
    assert.equal((await call(s.app, 'DELETE', '/api/session', { session: carol })).statusCode, 204);
    assert.deepEqual(await s.backends.store.listPushSubscriptionsOfUser(carol.user.id), []);
  });

  it('unsubscribes a browser, and only its own', async () => {
    const subscription = await subscribe(bob);
    const query = `/api/push/subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`;
    assertError(await call(s.app, 'DELETE', query, { session: ada }), 404, 'not_found', 'endpoint');
    assert.equal((await call(s.app, 'DELETE', query, { session: bob })).statusCode, 204);
    assertError(await call(s.app, 'DELETE', query, { session: bob }), 404, 'not_found', 'endpoint');
  });

  it('refuses a subscription that could never be pushed to, naming what is wrong', async () => {
    const good = push.subscribe();
    const refused = async (body: object, field: string): Promise<void> =>
      assertError(await call(s.app, 'POST', '/api/push/subscriptions', { session: bob, body }), 400, 'invalid_request', field);
    await refused({ ...good, endpoint: 'http://push.example.com/x' }, 'endpoint');
    await refused({ ...good, keys: { ...good.keys, p256dh: 'B'.repeat(87) } }, 'keys.p256dh');
    await refused({ ...good, keys: { ...good.keys, auth: 'short' } }, 'keys.auth');
    await refused({ endpoint: good.endpoint }, 'keys');
    assertError(await call(s.app, 'POST', '/api/push/subscriptions', { body: good }), 401, 'unauthenticated');
  });
});

describe('Web Push, refused where it is not allowed', () => {
  let s: TestServer;
  let ada: TestSession;

  before(async () => {
    s = await startTestServer({ HEARTH_PUSH: 'false' });
    ada = await setUpAccount(s.app);
  });
  after(() => stopAndAssertNo5xx(s));

  it('answers 403 push_disabled where push is turned off', async () => {
    assertError(await call(s.app, 'GET', '/api/push', { session: ada }), 403, 'push_disabled');
    const body = { endpoint: 'https://push.example.com/x', keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) } };
    assertError(await call(s.app, 'POST', '/api/push/subscriptions', { session: ada, body }), 403, 'push_disabled');
  });

  it('refuses a push service at a private address unless its network is allowed', async () => {
    const on = await startTestServer();
    try {
      const admin = await setUpAccount(on.app);
      const p256dh = (await import('node:crypto')).createECDH('prime256v1');
      p256dh.generateKeys();
      const body = { endpoint: 'https://10.1.2.3/push/x', keys: { p256dh: p256dh.getPublicKey('base64url'), auth: 'A'.repeat(22) } };
      const response = await call(on.app, 'POST', '/api/push/subscriptions', { session: admin, body });
      assertError(response, 400, 'invalid_request', 'endpoint');
      assert.match(response.json<{ error: { message: string } }>().error.message, /10\.1\.2\.3 is not a public address/);
    } finally {
      await stopAndAssertNo5xx(on);
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
