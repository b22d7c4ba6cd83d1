import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import type { Message, Room, RoomForMember, SearchHit } from '@hearth/core';
import { PASSWORD, call, joinAs, joinCodeOf, sessionOf, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, type TestServer } from '../test-server.ts';

/**
 * The REST API of a whole Hearth (target `all`) through app.inject: real SQLite,
 * BusLocal and messaging behind it. Every response of every server in this file is
 * recorded, and the last test checks that none was a 5xx.
 */

/** What /api/status says of sign-in when SSO is not configured. */
const PASSWORDS_ONLY = { password: 'enabled', sso: null };

const servers: TestServer[] = [];
async function server(env: Readonly<Record<string, string>> = {}): Promise<TestServer> {
  const started = await startTestServer(env);
  servers.push(started);
  return started;
}
after(async () => {
  for (const s of servers) await s.stop();
});

function assertError(response: LightMyRequestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const { error } = response.json<{ error: { code: string; message: string; field?: string } }>();
  assert.equal(error.code, code, response.body);
  assert.equal(typeof error.message, 'string');
  if (field !== undefined) assert.equal(error.field, field, response.body);
}

/** A message to post: its body, and the client's id for it (a fresh one unless a test needs to repeat it). */
interface NewPost {
  readonly body: string;
  readonly clientMessageId?: string;
}

async function postMessage(app: FastifyInstance, session: TestSession, roomId: string, post: NewPost): Promise<Message> {
  const { body, clientMessageId = `c-${Math.random()}` } = post;
  const response = await call(app, 'POST', `/api/rooms/${roomId}/messages`, { session, body: { body, clientMessageId } });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<Message>();
}

async function createRoom(app: FastifyInstance, session: TestSession, body: { kind: 'open' | 'closed'; name: string; memberIds?: string[] }): Promise<Room> {
  const response = await call(app, 'POST', '/api/rooms', { session, body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<Room>();
}

describe('signing in and out', () => {
  let s: TestServer;
  before(async () => {
    s = await server();
  });

  it('status, setup, session and sign-out', async () => {
    assert.deepEqual((await call(s.app, 'GET', '/api/status')).json(), { setUp: false, accountName: null, signIn: PASSWORDS_ONLY });
    assertError(await call(s.app, 'GET', '/api/session'), 401, 'unauthenticated');

    const setup = await call(s.app, 'POST', '/api/setup', { body: { accountName: 'Acme', name: 'Ada', email: 'Ada@Example.com', password: PASSWORD } });
    assert.equal(setup.statusCode, 201, setup.body);
    const admin = sessionOf(setup);
    assert.equal(admin.user.role, 'administrator');
    assert.equal(admin.user.email, 'ada@example.com');
    assert.ok(admin.csrfToken.length >= 16);
    const cookie = setup.cookies.find((c) => c.name === 'hearth_session');
    assert.ok(cookie !== undefined);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.secure, undefined, 'no Secure on an http public URL');
    assert.equal(cookie.maxAge, 90 * 24 * 3600, 'the cookie lasts as long as the session may (HEARTH_SESSION_MAX_AGE_HOURS)');
    const raw = String(setup.headers['set-cookie']);
    assert.match(raw, /; HttpOnly/);
    assert.match(raw, /; SameSite=Lax/);

    assert.deepEqual((await call(s.app, 'GET', '/api/status')).json(), { setUp: true, accountName: 'Acme', signIn: PASSWORDS_ONLY });
    const current = await call(s.app, 'GET', '/api/session', { session: admin });
    assert.equal(current.statusCode, 200);
    assert.deepEqual(current.json(), { user: admin.user, csrfToken: admin.csrfToken });
    assertError(
      await call(s.app, 'POST', '/api/setup', { body: { accountName: 'Again', name: 'Eve', email: 'eve@example.com', password: PASSWORD } }),
      409,
      'already_set_up',
    );

    assertError(await call(s.app, 'DELETE', '/api/session', { session: admin, csrf: null }), 403, 'csrf_mismatch');
    const signOut = await call(s.app, 'DELETE', '/api/session', { session: admin });
    assert.equal(signOut.statusCode, 204);
    const cleared = signOut.cookies.find((c) => c.name === 'hearth_session');
    assert.equal(cleared?.value, '');
    assert.ok(cleared?.expires !== undefined && cleared.expires.getTime() <= Date.now());
    assertError(await call(s.app, 'GET', '/api/session', { session: admin }), 401, 'unauthenticated');
    assertError(await call(s.app, 'GET', '/api/rooms', { session: admin }), 401, 'unauthenticated');

    const signIn = await call(s.app, 'POST', '/api/session', { body: { email: ' ADA@example.com ', password: PASSWORD } });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const again = sessionOf(signIn);
    assert.equal(again.user.id, admin.user.id);
    assert.notEqual(again.csrfToken, admin.csrfToken);
    assert.equal((await call(s.app, 'GET', '/api/rooms', { session: again })).statusCode, 200);
  });

  it('a wrong password or an unknown email is 401 invalid_credentials', async () => {
    assertError(
      await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: 'wrong password' } }),
      401,
      'invalid_credentials',
      'password',
    );
    assertError(
      await call(s.app, 'POST', '/api/session', { body: { email: 'nobody@example.com', password: PASSWORD } }),
      401,
      'invalid_credentials',
      'password',
    );
    assertError(await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com' } }), 400, 'invalid_request', 'password');
  });

  it('join links: a valid code creates a member; a wrong or rotated one is 404; a taken email is 409', async () => {
    const admin = sessionOf(await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD } }));
    const code = await joinCodeOf(s.app, admin);
    assert.deepEqual((await call(s.app, 'GET', `/api/join/${code}`)).json(), { accountName: 'Acme' });
    assertError(await call(s.app, 'GET', '/api/join/wrong-code'), 404, 'not_found', 'joinCode');
    assertError(
      await call(s.app, 'POST', '/api/join/wrong-code', { body: { name: 'Eve', email: 'eve@example.com', password: PASSWORD } }),
      404,
      'not_found',
      'joinCode',
    );

    const bob = await joinAs(s.app, admin, 'Bob');
    assert.equal(bob.user.role, 'member');
    assertError(
      await call(s.app, 'POST', `/api/join/${code}`, { body: { name: 'Bob 2', email: 'BOB@example.com', password: PASSWORD } }),
      409,
      'email_taken',
      'email',
    );
    assertError(
      await call(s.app, 'POST', `/api/join/${code}`, { body: { name: 'Short', email: 'short@example.com', password: 'short' } }),
      400,
      'invalid_request',
      'password',
    );

    assertError(await call(s.app, 'POST', '/api/account/join-code', { session: bob }), 403, 'forbidden');
    const rotated = await call(s.app, 'POST', '/api/account/join-code', { session: admin });
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.notEqual(await joinCodeOf(s.app, admin), code);
    assertError(await call(s.app, 'GET', `/api/join/${code}`), 404, 'not_found');
    assert.deepEqual((await call(s.app, 'GET', '/api/account', { session: bob })).json(), { name: 'Acme' });
  });

  it('a deactivated person can no longer sign in', async () => {
    const admin = sessionOf(await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD } }));
    const carol = await joinAs(s.app, admin, 'Carol');
    assertError(await call(s.app, 'PATCH', `/api/users/${carol.user.id}`, { session: carol, body: { active: false } }), 403, 'forbidden');
    const patched = await call(s.app, 'PATCH', `/api/users/${carol.user.id}`, { session: admin, body: { active: false } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json<{ active: boolean }>().active, false);
    assertError(await call(s.app, 'POST', '/api/session', { body: { email: 'carol@example.com', password: PASSWORD } }), 401, 'invalid_credentials');
    const users = (await call(s.app, 'GET', '/api/users', { session: admin })).json<{ users: { id: string }[] }>().users.map((u) => u.id);
    assert.ok(!users.includes(carol.user.id));
  });

  it("a deactivated person's session stops working on their very next request", async () => {
    const admin = sessionOf(await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD } }));
    const dave = await joinAs(s.app, admin, 'Dave');
    // Dave's session has just been looked up, so any cache of lookups would hold it now.
    assert.equal((await call(s.app, 'GET', '/api/session', { session: dave })).statusCode, 200);
    assert.equal((await call(s.app, 'GET', '/api/rooms', { session: dave })).statusCode, 200);
    const patched = await call(s.app, 'PATCH', `/api/users/${dave.user.id}`, { session: admin, body: { active: false } });
    assert.equal(patched.statusCode, 200, patched.body);
    // No waiting: the very next requests with the cookie are refused.
    assertError(await call(s.app, 'GET', '/api/session', { session: dave }), 401, 'unauthenticated');
    assertError(await call(s.app, 'GET', '/api/rooms', { session: dave }), 401, 'unauthenticated');
    assertError(await call(s.app, 'POST', '/api/rooms', { session: dave, body: { kind: 'open', name: 'Still here' } }), 401, 'unauthenticated');
    const rooms = (await call(s.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: RoomForMember[] }>().rooms;
    assert.deepEqual(
      rooms.map((room) => room.name),
      ['All Talk'],
      'the refused request created nothing',
    );
  });

  it('setup refuses a blank account name with 400 on accountName, and sets nothing up', async () => {
    const fresh = await server();
    const setup = (accountName: string) =>
      call(fresh.app, 'POST', '/api/setup', { body: { accountName, name: 'Ada', email: 'ada@example.com', password: PASSWORD } });
    assertError(await setup('   '), 400, 'invalid_request', 'accountName');
    assertError(await setup(' \t\n '), 400, 'invalid_request', 'accountName');
    assert.deepEqual((await call(fresh.app, 'GET', '/api/status')).json(), { setUp: false, accountName: null, signIn: PASSWORDS_ONLY });
    assert.equal((await setup('  Acme  ')).statusCode, 201);
    assert.deepEqual((await call(fresh.app, 'GET', '/api/status')).json(), { setUp: true, accountName: 'Acme', signIn: PASSWORDS_ONLY });
  });
});

describe('rate limits', () => {
  let s: TestServer;
  let admin: TestSession;
  before(async () => {
    s = await server({ HEARTH_SIGN_IN_PER_MINUTE: '3', HEARTH_POSTS_PER_MINUTE: '2' });
  });

  it('sign-in attempts past the limit are 429 rate_limited with retry-after, even with the right password', async () => {
    admin = await setUpAccount(s.app);
    assertError(await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: 'nope nope' } }), 401, 'invalid_credentials');
    assert.equal((await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD } })).statusCode, 200);
    const limited = await call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD } });
    assertError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after ${limited.headers['retry-after']}`);
    assert.equal(limited.json<{ error: { retryAfter: number } }>().error.retryAfter, retryAfter);
    const code = await joinCodeOf(s.app, admin);
    assertError(await call(s.app, 'POST', `/api/join/${code}`, { body: { name: 'Bob', email: 'bob@example.com', password: PASSWORD } }), 429, 'rate_limited');
  });

  it('posts past the per-user limit are 429', async () => {
    const rooms = (await call(s.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: RoomForMember[] }>().rooms;
    const roomId = rooms[0]?.id ?? '';
    await postMessage(s.app, admin, roomId, { body: 'one' });
    await postMessage(s.app, admin, roomId, { body: 'two' });
    assertError(
      await call(s.app, 'POST', `/api/rooms/${roomId}/messages`, { session: admin, body: { body: 'three', clientMessageId: 'three' } }),
      429,
      'rate_limited',
    );
    assert.equal((await call(s.app, 'GET', `/api/rooms/${roomId}/messages`, { session: admin })).json<{ messages: Message[] }>().messages.length, 2);
  });
});

describe('the client address of the sign-in rate limit', () => {
  const signIn = (s: TestServer, headers: Record<string, string> = {}) =>
    call(s.app, 'POST', '/api/session', { body: { email: 'ada@example.com', password: PASSWORD }, headers });

  it('ignores X-Forwarded-For by default: a forwarded address does not escape the limit', async () => {
    const s = await server({ HEARTH_SIGN_IN_PER_MINUTE: '2' });
    await setUpAccount(s.app);
    assert.equal((await signIn(s)).statusCode, 200);
    assertError(await signIn(s), 429, 'rate_limited');
    assertError(await signIn(s, { 'x-forwarded-for': '10.9.9.9' }), 429, 'rate_limited');
    assertError(await signIn(s, { 'x-forwarded-for': '10.9.9.10, 10.9.9.11' }), 429, 'rate_limited');
  });

  it('with HEARTH_TRUST_PROXY=true counts a request under its forwarded address', async () => {
    const s = await server({ HEARTH_SIGN_IN_PER_MINUTE: '2', HEARTH_TRUST_PROXY: 'true' });
    await setUpAccount(s.app);
    assert.equal((await signIn(s)).statusCode, 200);
    assertError(await signIn(s), 429, 'rate_limited');
    const forwarded = { 'x-forwarded-for': '10.9.9.9' };
    assert.equal((await signIn(s, forwarded)).statusCode, 200);
    assert.equal((await signIn(s, forwarded)).statusCode, 200);
    assertError(await signIn(s, forwarded), 429, 'rate_limited');
    assert.equal((await signIn(s, { 'x-forwarded-for': '10.9.9.10' })).statusCode, 200, 'another address has its own count');
  });
});

describe('the REST API', () => {
  let s: TestServer;
  let admin: TestSession;
  let bob: TestSession;
  let carol: TestSession;
  let allTalk: string;
  before(async () => {
    s = await server({ HEARTH_MAX_BODY_BYTES: '4096', HEARTH_MAX_MESSAGE_CHARS: '2000' });
    admin = await setUpAccount(s.app);
    bob = await joinAs(s.app, admin, 'Bob');
    carol = await joinAs(s.app, admin, 'Carol');
    const rooms = (await call(s.app, 'GET', '/api/rooms', { session: bob })).json<{ rooms: RoomForMember[] }>().rooms;
    allTalk = rooms.find((room) => room.name === 'All Talk')?.id ?? assert.fail('no All Talk');
  });

  it("lists the signed-in person's rooms; without a session it is 401", async () => {
    assertError(await call(s.app, 'GET', '/api/rooms'), 401, 'unauthenticated');
    assertError(await call(s.app, 'GET', '/api/rooms', { headers: { cookie: 'hearth_session=not-a-session' } }), 401, 'unauthenticated');
    assertError(await call(s.app, 'POST', '/api/rooms', { body: { kind: 'open', name: 'x' } }), 401, 'unauthenticated');
    const { rooms } = (await call(s.app, 'GET', '/api/rooms', { session: carol })).json<{ rooms: RoomForMember[] }>();
    assert.deepEqual(
      rooms.map((room) => room.name),
      ['All Talk'],
    );
    assert.deepEqual([...(rooms[0]?.memberIds ?? [])].sort(), [admin.user.id, bob.user.id, carol.user.id].sort());
    assert.equal(rooms[0]?.unread, false);
  });

  it('refuses every mutating route without the right x-csrf-token (403 csrf_mismatch) and changes nothing', async () => {
    const room = await createRoom(s.app, bob, { kind: 'closed', name: 'CSRF target', memberIds: [carol.user.id] });
    const message = await postMessage(s.app, bob, room.id, { body: 'csrf target' });
    const boost = await call(s.app, 'POST', `/api/messages/${message.id}/boosts`, { session: bob, body: { content: '+1' } });
    assert.equal(boost.statusCode, 201, boost.body);
    const boostId = boost.json<{ id: string }>().id;
    // Refused before anything is looked up, so these need not exist.
    const [someBot, someToken, someSession] = ['2f1c1c5e-1111-4c1e-9f00-000000000001', '2f1c1c5e-2222-4c1e-9f00-000000000002', 'AAAAAAAAAAAAAAAAAAAAAA'];
    const routes: [HTTPMethods, string, unknown][] = [
      ['POST', '/api/rooms', { kind: 'open', name: 'Forged' }],
      ['POST', '/api/rooms/direct', { userIds: [carol.user.id] }],
      ['PATCH', `/api/rooms/${room.id}`, { name: 'Forged' }],
      ['PUT', `/api/rooms/${room.id}/members/${admin.user.id}`, undefined],
      ['DELETE', `/api/rooms/${room.id}/members/${carol.user.id}`, undefined],
      ['PATCH', `/api/rooms/${room.id}/membership`, { involvement: 'invisible' }],
      ['POST', `/api/rooms/${room.id}/messages`, { body: 'forged', clientMessageId: 'forged' }],
      ['POST', `/api/rooms/${room.id}/typing`, undefined],
      ['POST', `/api/rooms/${room.id}/files?name=forged.txt&clientMessageId=forged`, 'forged bytes'],
      ['PATCH', `/api/messages/${message.id}`, { body: 'forged' }],
      ['DELETE', `/api/messages/${message.id}`, undefined],
      ['POST', `/api/messages/${message.id}/boosts`, { content: 'forged' }],
      ['DELETE', `/api/boosts/${boostId}`, undefined],
      ['PATCH', `/api/users/${bob.user.id}`, { name: 'Forged' }],
      ['PUT', '/api/users/me/avatar', 'GIF89a\u0001\u0000\u0001\u0000'],
      ['DELETE', '/api/users/me/avatar', undefined],
      ['POST', '/api/account/join-code', undefined],
      ['DELETE', '/api/session', undefined],
      ['DELETE', `/api/sessions/${someSession}`, undefined],
      ['POST', '/api/sessions/revoke-others', undefined],
      ['POST', '/api/push/subscriptions', { endpoint: 'https://push.example.com/forged', keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) } }],
      ['DELETE', '/api/push/subscriptions?endpoint=https%3A%2F%2Fpush.example.com%2Fforged', undefined],
      ['POST', '/api/admin/bots', { name: 'Forged', roomIds: [] }],
      ['POST', `/api/admin/bots/${someBot}/tokens`, { name: 'forged', roomIds: [room.id] }],
      ['DELETE', `/api/admin/bots/${someBot}/tokens/${someToken}`, undefined],
      ['POST', `/api/admin/bots/${someBot}/webhook-secret`, undefined],
    ];
    const exempt = ['POST /api/setup', 'POST /api/session', 'POST /api/join/{joinCode}'];
    const documented = mutatingRoutesOf((await call(s.app, 'GET', '/api/openapi.json')).json<OpenApi>());
    const tested = routes.map(
      ([method, url]) =>
        `${method} ${templateOf(url, [room.id, message.id, boostId, bob.user.id, carol.user.id, admin.user.id, someBot, someToken, someSession])}`,
    );
    assert.deepEqual([...tested, ...exempt].sort(), documented.sort(), 'the table covers every mutating route');

    for (const [method, url, body] of routes) {
      for (const csrf of [null, 'wrong-token', `${bob.csrfToken}x`]) {
        const response = await call(s.app, method, url, { session: bob, csrf, ...(body === undefined ? {} : { body }) });
        assertError(response, 403, 'csrf_mismatch');
      }
      // Another person's token is as wrong as no token.
      assertError(await call(s.app, method, url, { session: bob, csrf: carol.csrfToken, ...(body === undefined ? {} : { body }) }), 403, 'csrf_mismatch');
    }
    const after = (await call(s.app, 'GET', `/api/rooms/${room.id}`, { session: bob })).json<RoomForMember>();
    assert.equal(after.name, 'CSRF target');
    assert.equal(after.lastSeq, room.lastSeq + 2, 'only the real post and boost took sequences');
    assert.deepEqual([...after.memberIds].sort(), [bob.user.id, carol.user.id].sort());
    const stored = (await call(s.app, 'GET', `/api/messages/${message.id}`, { session: bob })).json<Message>();
    assert.equal(stored.body, 'csrf target');
    assert.equal(stored.boosts.length, 1);
    assert.equal((await call(s.app, 'GET', '/api/session', { session: bob })).statusCode, 200, 'still signed in');
  });

  it('malformed JSON is 400 invalid_json; an unknown field is 400 naming it; a wrong content type is 400', async () => {
    const url = `/api/rooms/${allTalk}/messages`;
    assertError(await call(s.app, 'POST', url, { session: bob, body: '{"body": "half' }), 400, 'invalid_json', 'body');
    assertError(await call(s.app, 'POST', url, { session: bob, body: '' }), 400, 'invalid_json', 'body');
    const unknown = await call(s.app, 'POST', url, { session: bob, body: { body: 'hi', clientMessageId: 'x1', colour: 'red' } });
    assertError(unknown, 400, 'invalid_request', 'colour');
    assert.match(unknown.json<{ error: { message: string } }>().error.message, /colour/);
    assertError(await call(s.app, 'POST', url, { session: bob, body: { clientMessageId: 'x2' } }), 400, 'invalid_request', 'body');
    assertError(await call(s.app, 'POST', url, { session: bob, body: { body: 42, clientMessageId: 'x3' } }), 400, 'invalid_request', 'body');
    assertError(await call(s.app, 'POST', '/api/rooms', { session: bob, body: { kind: 'secret', name: 'x' } }), 400, 'invalid_request', 'kind');
    assertError(
      await call(s.app, 'POST', url, { session: bob, body: '<body>hi</body>', headers: { 'content-type': 'application/xml' } }),
      400,
      'invalid_request',
      'content-type',
    );
    assertError(await call(s.app, 'POST', url, { session: bob, body: 'body=hi', headers: { 'content-type': 'text/plain' } }), 400, 'invalid_request', 'body');
    assertError(await call(s.app, 'GET', '/api/rooms/not%20an%20id', { session: bob }), 400, 'invalid_request', 'roomId');
    assert.deepEqual((await call(s.app, 'GET', `/api/rooms/${allTalk}/messages`, { session: bob })).json(), { messages: [] });
  });

  it('CSRF is checked before the body is read: a forged request is 403 csrf_mismatch whatever its body', async () => {
    const url = `/api/rooms/${allTalk}/messages`;
    const before = (await call(s.app, 'GET', `/api/rooms/${allTalk}`, { session: bob })).json<RoomForMember>();
    assertError(await call(s.app, 'POST', url, { session: bob, csrf: null, body: '{"body": "half' }), 403, 'csrf_mismatch');
    assertError(await call(s.app, 'POST', url, { session: bob, csrf: 'wrong-token', body: '{"body": "half' }), 403, 'csrf_mismatch');
    assertError(await call(s.app, 'POST', url, { session: bob, csrf: null, body: '' }), 403, 'csrf_mismatch');
    assertError(await call(s.app, 'PATCH', `/api/rooms/${allTalk}`, { session: bob, csrf: null, body: 'not json at all' }), 403, 'csrf_mismatch');
    assertError(
      await call(s.app, 'POST', url, { session: bob, csrf: null, body: '<body>hi</body>', headers: { 'content-type': 'application/xml' } }),
      403,
      'csrf_mismatch',
    );
    assertError(
      await call(s.app, 'POST', url, { session: bob, csrf: null, body: { body: 'x'.repeat(5_000), clientMessageId: 'forged-big' } }),
      403,
      'csrf_mismatch',
    );
    // With the right token the same malformed body gets as far as the parser.
    assertError(await call(s.app, 'POST', url, { session: bob, body: '{"body": "half' }), 400, 'invalid_json', 'body');
    const after = (await call(s.app, 'GET', `/api/rooms/${allTalk}`, { session: bob })).json<RoomForMember>();
    assert.deepEqual(after, before);
  });

  it('a request body over HEARTH_MAX_BODY_BYTES is 413; a message over the character limit is 413 on body', async () => {
    const url = `/api/rooms/${allTalk}/messages`;
    const big = await call(s.app, 'POST', url, { session: bob, body: { body: 'x'.repeat(5_000), clientMessageId: 'big' } });
    assertError(big, 413, 'payload_too_large');
    assertError(await call(s.app, 'POST', url, { session: bob, body: { body: 'y'.repeat(2_001), clientMessageId: 'long' } }), 413, 'payload_too_large', 'body');
    const atLimit = await postMessage(s.app, bob, allTalk, { body: 'z'.repeat(2_000), clientMessageId: 'at-limit' });
    assert.equal(atLimit.body.length, 2_000);
    const messages = (await call(s.app, 'GET', url, { session: bob })).json<{ messages: Message[] }>().messages;
    assert.deepEqual(
      messages.map((m) => m.clientMessageId),
      ['at-limit'],
    );
  });

  it('pages with before, after and limit by seq', async () => {
    const room = await createRoom(s.app, bob, { kind: 'closed', name: 'Paging' });
    assert.equal(room.lastSeq, 2, 'room.created and membership.added');
    for (let i = 1; i <= 10; i++) await postMessage(s.app, bob, room.id, { body: `page ${i}`, clientMessageId: `page-${i}` });
    const page = async (query: string): Promise<number[]> => {
      const response = await call(s.app, 'GET', `/api/rooms/${room.id}/messages${query}`, { session: bob });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ messages: Message[] }>().messages.map((m) => m.seq);
    };
    assert.deepEqual(await page(''), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(await page('?limit=3'), [10, 11, 12]);
    assert.deepEqual(await page('?before=10&limit=3'), [7, 8, 9]);
    assert.deepEqual(await page('?before=5'), [3, 4]);
    assert.deepEqual(await page('?before=3'), []);
    assert.deepEqual(await page('?after=4&limit=3'), [5, 6, 7]);
    assert.deepEqual(await page('?after=10'), [11, 12]);
    assert.deepEqual(await page('?after=12'), []);
    assert.deepEqual(await page('?after=0&limit=1'), [3]);
    assert.deepEqual(await page('?limit=100'), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const bad = (query: string) => call(s.app, 'GET', `/api/rooms/${room.id}/messages${query}`, { session: bob });
    assertError(await bad('?limit=0'), 400, 'invalid_request', 'limit');
    assertError(await bad('?limit=101'), 400, 'invalid_request', 'limit');
    assertError(await bad('?before=5&after=2'), 400, 'invalid_request', 'after');
    assertError(await bad('?before=-1'), 400, 'invalid_request', 'before');
    assertError(await bad('?after=abc'), 400, 'invalid_request', 'after');
    assertError(await bad('?cursor=1'), 400, 'invalid_request', 'cursor');
    assertError(await call(s.app, 'GET', `/api/rooms/${room.id}/messages`, { session: carol }), 403, 'not_a_member', 'roomId');
    assertError(await call(s.app, 'GET', '/api/rooms/no-such-room/messages', { session: carol }), 404, 'room_not_found');
  });

  it('a message of a room you are not in is 403; an unknown one is 404', async () => {
    const room = await createRoom(s.app, bob, { kind: 'closed', name: 'Private' });
    const message = await postMessage(s.app, bob, room.id, { body: 'for my eyes only' });
    const own = await call(s.app, 'GET', `/api/messages/${message.id}`, { session: bob });
    assert.equal(own.statusCode, 200);
    assert.deepEqual(own.json(), message);
    assertError(await call(s.app, 'GET', `/api/messages/${message.id}`, { session: carol }), 403, 'not_a_member');
    assertError(await call(s.app, 'GET', '/api/messages/no-such-message', { session: carol }), 404, 'message_not_found');
    assertError(await call(s.app, 'PATCH', `/api/messages/${message.id}`, { session: carol, body: { body: 'mine' } }), 403, 'not_a_member');
    assertError(await call(s.app, 'POST', `/api/messages/${message.id}/boosts`, { session: carol, body: { content: 'hi' } }), 403, 'not_a_member');
    assertError(await call(s.app, 'GET', `/api/rooms/${room.id}`, { session: carol }), 403, 'not_a_member');
  });

  it("search finds word prefixes, only in the searcher's rooms, newest first", async () => {
    const bobsRoom = await createRoom(s.app, bob, { kind: 'closed', name: 'Bob alone' });
    const adminsRoom = await createRoom(s.app, admin, { kind: 'closed', name: 'Admin and Bob', memberIds: [bob.user.id] });
    const a = await postMessage(s.app, carol, allTalk, { body: 'Deploying the zebrafish service tomorrow' });
    const b = await postMessage(s.app, bob, bobsRoom.id, { body: 'zebrafish deployment finished' });
    const c = await postMessage(s.app, admin, adminsRoom.id, { body: 'the zebrafishes are deployable' });
    await postMessage(s.app, carol, allTalk, { body: 'zebra crossing' });
    const search = async (session: TestSession, q: string): Promise<SearchHit[]> => {
      const response = await call(s.app, 'GET', `/api/search?q=${encodeURIComponent(q)}`, { session });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ hits: SearchHit[] }>().hits;
    };
    const ids = (hits: SearchHit[]) => hits.map((hit) => hit.message.id);
    assert.deepEqual(ids(await search(carol, 'zebrafish depl')), [a.id]);
    assert.deepEqual(ids(await search(bob, 'zebrafish depl')), [c.id, b.id, a.id]);
    assert.deepEqual(
      (await search(bob, 'zebrafish depl')).map((hit) => hit.roomName),
      ['Admin and Bob', 'Bob alone', 'All Talk'],
    );
    assert.deepEqual(ids(await search(admin, 'DEPLOY ZEBRA')), [c.id, a.id]);
    assert.deepEqual(ids(await search(bob, 'finished zebra')), [b.id]);
    assert.deepEqual(ids(await search(carol, 'finished')), []);
    assert.deepEqual(ids(await search(carol, '"zebrafish*" (DEPLOYING) -')), [a.id]);
    assert.deepEqual(ids(await search(carol, '***')), []);
    assertError(await call(s.app, 'GET', '/api/search?q=', { session: carol }), 400, 'invalid_request', 'q');
    assertError(await call(s.app, 'GET', '/api/search?q=zebra'), 401, 'unauthenticated');
  });

  it('a retried post returns the message already posted', async () => {
    const first = await postMessage(s.app, carol, allTalk, { body: 'only once', clientMessageId: 'retry-1' });
    const again = await postMessage(s.app, carol, allTalk, { body: 'only once', clientMessageId: 'retry-1' });
    assert.deepEqual(again, first);
    const all = (await call(s.app, 'GET', `/api/rooms/${allTalk}/messages?limit=100`, { session: carol })).json<{ messages: Message[] }>().messages;
    assert.equal(all.filter((m) => m.clientMessageId === 'retry-1').length, 1);
  });

  it('membership, rooms, boosts and direct rooms answer with the documented statuses', async () => {
    const room = await createRoom(s.app, bob, { kind: 'closed', name: 'Statuses' });
    const put = await call(s.app, 'PUT', `/api/rooms/${room.id}/members/${carol.user.id}`, { session: bob });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<{ userId: string }>().userId, carol.user.id);
    assertError(await call(s.app, 'PUT', `/api/rooms/${room.id}/members/${admin.user.id}`, { session: carol }), 403, 'forbidden');
    const removed = await call(s.app, 'DELETE', `/api/rooms/${room.id}/members/${carol.user.id}`, { session: bob });
    assert.equal(removed.statusCode, 204);
    assertError(await call(s.app, 'DELETE', `/api/rooms/${room.id}/members/${carol.user.id}`, { session: bob }), 404, 'not_found', 'userId');
    const renamed = await call(s.app, 'PATCH', `/api/rooms/${room.id}`, { session: bob, body: { name: 'Renamed' } });
    assert.equal(renamed.json<Room>().name, 'Renamed');

    const message = await postMessage(s.app, bob, room.id, { body: 'boost me' });
    const boost = await call(s.app, 'POST', `/api/messages/${message.id}/boosts`, { session: bob, body: { content: '1234567890abcdefg' } });
    assertError(boost, 400, 'invalid_request', 'content');
    const ok = await call(s.app, 'POST', `/api/messages/${message.id}/boosts`, { session: bob, body: { content: '🎉' } });
    assert.equal(ok.statusCode, 201);
    const boostId = ok.json<{ id: string }>().id;
    assert.equal((await call(s.app, 'DELETE', `/api/boosts/${boostId}`, { session: bob })).statusCode, 204);
    assertError(await call(s.app, 'DELETE', `/api/boosts/${boostId}`, { session: bob }), 404, 'not_found', 'boostId');

    const direct = await call(s.app, 'POST', '/api/rooms/direct', { session: bob, body: { userIds: [carol.user.id] } });
    const directAgain = await call(s.app, 'POST', '/api/rooms/direct', { session: carol, body: { userIds: [bob.user.id] } });
    assert.equal(direct.statusCode, 200, direct.body);
    assert.equal(directAgain.json<Room>().id, direct.json<Room>().id);
    const read = await call(s.app, 'PATCH', `/api/rooms/${room.id}/membership`, { session: bob, body: { readSeq: 1_000_000 } });
    const lastSeq = (await call(s.app, 'GET', `/api/rooms/${room.id}`, { session: bob })).json<RoomForMember>().lastSeq;
    assert.equal(lastSeq, 8, 'created, added, added, removed, renamed, posted, boosted, unboosted');
    assert.equal(read.json<{ readSeq: number }>().readSeq, lastSeq);
    assert.equal((await call(s.app, 'POST', `/api/rooms/${room.id}/typing`, { session: bob })).statusCode, 204);
    assertError(await call(s.app, 'POST', `/api/rooms/${room.id}/typing`, { session: carol }), 403, 'not_a_member');
  });

  it('PATCH /api/rooms/:id with {} returns the room unchanged and emits no event', async () => {
    const room = await createRoom(s.app, bob, { kind: 'closed', name: 'Untouched' });
    const before = (await call(s.app, 'GET', `/api/rooms/${room.id}`, { session: bob })).json<RoomForMember>();
    const patched = await call(s.app, 'PATCH', `/api/rooms/${room.id}`, { session: bob, body: {} });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.deepEqual(patched.json<Room>(), room);
    assertError(await call(s.app, 'PATCH', `/api/rooms/${room.id}`, { session: carol, body: {} }), 403, 'forbidden');
    const after = (await call(s.app, 'GET', `/api/rooms/${room.id}`, { session: bob })).json<RoomForMember>();
    assert.deepEqual(after, before);
    assert.equal(after.lastSeq, room.lastSeq);
    const events = await s.backends.store.eventsSince(room.id, 0, 100);
    assert.deepEqual(
      events.map((event) => event.type),
      ['room.created', 'membership.added'],
    );
  });

  it('serves the OpenAPI document, health probes, and JSON 404s for unknown API paths', async () => {
    const openapi = await call(s.app, 'GET', '/api/openapi.json');
    assert.equal(openapi.statusCode, 200);
    const document = JSON.parse(openapi.body) as OpenApi;
    assert.equal(document.openapi, '3.1.0');
    const messages = document.paths['/api/rooms/{roomId}/messages'];
    assert.ok(messages?.['get'] !== undefined && messages['post'] !== undefined);

    const healthz = await call(s.app, 'GET', '/healthz');
    assert.equal(healthz.statusCode, 200);
    assert.deepEqual(healthz.json(), { status: 'ok' });
    const readyz = await call(s.app, 'GET', '/readyz');
    assert.equal(readyz.statusCode, 200);
    assert.deepEqual(readyz.json(), { status: 'ready', checks: { store: 'ok', bus: 'ok', ephemeral: 'ok', files: 'ok' } });

    assertError(await call(s.app, 'GET', '/api/nothing-here', { session: bob }), 404, 'not_found');
    assertError(await call(s.app, 'POST', '/api/nothing-here', { session: bob, body: {} }), 404, 'not_found');
    assertError(await call(s.app, 'DELETE', '/api/nothing-here'), 404, 'not_found');
  });
});

interface OpenApi {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, unknown> | undefined>;
}

function mutatingRoutesOf(document: OpenApi): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations ?? {})
      .filter((method) => ['post', 'put', 'patch', 'delete'].includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** Turns a concrete URL back into its OpenAPI path template. */
function templateOf(url: string, ids: readonly string[]): string {
  const names: Record<string, string> = {
    rooms: '{roomId}',
    messages: '{messageId}',
    boosts: '{boostId}',
    users: '{userId}',
    members: '{userId}',
    bots: '{botId}',
    tokens: '{tokenId}',
    sessions: '{sessionId}',
  };
  const parts = (url.split('?')[0] ?? url).split('/');
  return parts.map((part, i) => (ids.includes(part) ? (names[parts[i - 1] ?? ''] ?? part) : part)).join('/');
}

describe('no response was a 5xx', () => {
  it('across every server in this file', () => {
    const all = servers.flatMap((s) => s.statuses);
    assert.ok(all.length > 100, `only ${all.length} responses recorded`);
    assert.deepEqual(
      all.filter((status) => status >= 500),
      [],
    );
  });
});
