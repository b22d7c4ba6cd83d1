import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { PASSWORD, SseClient, WsClient, call, joinAs, sessionOf, setUpAccount, type TestSession } from '@hearth/testing';
import type { AuditEntryView } from '@hearth/gateway';
import type { SignedInDevice } from '@hearth/core';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/**
 * The signed-in devices API (GET /api/sessions, DELETE /api/sessions/{sessionId},
 * POST /api/sessions/revoke-others) through a whole Hearth listening on 127.0.0.1: a person's own
 * sessions only, and a revoked session ends everywhere at once, its streams closed as sign-out
 * closes them.
 */

const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

function assertError(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.json<{ error: { code: string } }>().error.code, code, response.body);
}

describe('signed-in devices', () => {
  let s: TestServer;
  let base: string;
  let admin: TestSession;
  let people = 0;

  before(async () => {
    s = await startTestServer();
    base = await s.listen();
    admin = await setUpAccount(s.app);
  });
  after(() => stopAndAssertNo5xx(s));

  /** A new person, signed in on a laptop (their join) and on a phone. */
  async function personWithTwoDevices(): Promise<{ laptop: TestSession; phone: TestSession }> {
    people += 1;
    const name = `Person${people}`;
    const code = (await call(s.app, 'GET', '/api/account', { session: admin })).json<{ joinUrl: string }>().joinUrl.split('/join/')[1] ?? '';
    const body = { name, email: `${name.toLowerCase()}@example.com`, password: PASSWORD };
    const laptop = sessionOf(await call(s.app, 'POST', `/api/join/${code}`, { body, headers: { 'user-agent': LAPTOP } }));
    const signIn = { email: body.email, password: PASSWORD };
    const phone = sessionOf(await call(s.app, 'POST', '/api/session', { body: signIn, headers: { 'user-agent': PHONE } }));
    return { laptop, phone };
  }

  async function devicesOf(session: TestSession): Promise<SignedInDevice[]> {
    const response = await call(s.app, 'GET', '/api/sessions', { session });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json<{ sessions: SignedInDevice[] }>().sessions;
  }

  const idOf = async (session: TestSession, of: TestSession): Promise<string> =>
    (await devicesOf(session)).find((d) => d.userAgent === (of === session ? LAPTOP : PHONE))?.id ?? assert.fail('no such device');
  const works = async (session: TestSession): Promise<number> => (await call(s.app, 'GET', '/api/rooms', { session })).statusCode;

  function streamsOf(t: TestContext, session: TestSession): { ws: WsClient; sse: SseClient } {
    const ws = new WsClient(base, { cookie: session.cookie });
    const sse = new SseClient(base, { cookie: session.cookie });
    t.after(async () => {
      await ws.close();
      await sse.close();
    });
    return { ws, sse };
  }

  async function lastAudit(): Promise<AuditEntryView> {
    const page = (await call(s.app, 'GET', '/api/admin/audit?limit=1', { session: admin })).json<{ entries: AuditEntryView[] }>();
    return page.entries[0] ?? assert.fail('no audit entry');
  }

  it("lists both of a person's sessions, the current one marked, with device, address and times; never anyone else's", async () => {
    const { laptop, phone } = await personWithTwoDevices();
    const fromLaptop = await devicesOf(laptop);
    assert.deepEqual(
      fromLaptop.map(({ current, device, userAgent, ip }) => ({ current, device, userAgent, ip })),
      [
        { current: false, device: 'Safari on iPhone', userAgent: PHONE, ip: '127.0.0.1' },
        { current: true, device: 'Chrome on Linux', userAgent: LAPTOP, ip: '127.0.0.1' },
      ],
      'the most recently seen first',
    );
    for (const device of fromLaptop) {
      assert.match(device.id, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!laptop.cookie.includes(device.id) && !phone.cookie.includes(device.id), 'the id is not the cookie');
      assert.ok(Date.parse(device.createdAt) <= Date.parse(device.lastSeenAt) && Date.parse(device.lastSeenAt) < Date.parse(device.expiresAt));
    }
    const fromPhone = await devicesOf(phone);
    assert.deepEqual(
      fromPhone.map((d) => [d.id, d.current]),
      fromLaptop.map((d) => [d.id, !d.current]),
      'the same two, the other one current',
    );
    const adminIds = (await devicesOf(admin)).map((d) => d.id);
    assert.equal(adminIds.length, 1);
    assert.ok(!fromLaptop.some((d) => adminIds.includes(d.id)));
    assertError(await call(s.app, 'GET', '/api/sessions'), 401, 'unauthenticated');
  });

  it('revoking one device ends that session at once, closing its WebSocket and SSE stream, and not the other', async (t) => {
    const { laptop, phone } = await personWithTwoDevices();
    const phoneStreams = streamsOf(t, phone);
    const laptopStreams = streamsOf(t, laptop);
    await Promise.all([phoneStreams.ws.ready(), laptopStreams.ws.ready(), phoneStreams.sse.waitFor((f) => f.type === 'ready', 'SSE ready')]);
    const phoneId = await idOf(laptop, phone);

    assertError(await call(s.app, 'DELETE', `/api/sessions/${phoneId}`, { session: laptop, csrf: null }), 403, 'csrf_mismatch');
    const revoked = await call(s.app, 'DELETE', `/api/sessions/${phoneId}`, { session: laptop });
    assert.equal(revoked.statusCode, 204, revoked.body);
    assert.equal(revoked.cookies.length, 0, "the laptop's cookie is left alone");
    assertError(await call(s.app, 'GET', '/api/rooms', { session: phone }), 401, 'unauthenticated');
    assert.equal((await phoneStreams.ws.closed).code, 4001);
    assert.deepEqual(phoneStreams.ws.frames.at(-1), { type: 'error', code: 'unauthenticated', message: 'you signed out' });
    await phoneStreams.sse.closed;
    assert.equal(phoneStreams.sse.frames.at(-1)?.type, 'error');

    assert.equal(await works(laptop), 200);
    assert.deepEqual(
      (await devicesOf(laptop)).map((d) => d.current),
      [true],
    );
    assert.equal(laptopStreams.ws.socket.readyState, laptopStreams.ws.socket.OPEN, "the laptop's stream goes on");
    assertError(await call(s.app, 'DELETE', `/api/sessions/${phoneId}`, { session: laptop }), 404, 'not_found');

    const audit = await lastAudit();
    assert.equal(audit.action, 'auth.session_revoked');
    assert.equal(audit.actorId, laptop.user.id);
    assert.deepEqual([audit.targetType, audit.targetId], ['session', phoneId]);
    assert.deepEqual(audit.detail, { device: 'Safari on iPhone', ip: '127.0.0.1' });
  });

  it('sign out all other devices keeps this one and answers how many it ended', async (t) => {
    const { laptop, phone } = await personWithTwoDevices();
    const third = sessionOf(await call(s.app, 'POST', '/api/session', { body: { email: `person${people}@example.com`, password: PASSWORD } }));
    const phoneWs = streamsOf(t, phone).ws;
    await phoneWs.ready();

    assertError(await call(s.app, 'POST', '/api/sessions/revoke-others', { session: laptop, csrf: null }), 403, 'csrf_mismatch');
    const answer = await call(s.app, 'POST', '/api/sessions/revoke-others', { session: laptop });
    assert.equal(answer.statusCode, 200, answer.body);
    assert.deepEqual(answer.json(), { revoked: 2 });
    assert.equal((await phoneWs.closed).code, 4001);
    assert.deepEqual([await works(laptop), await works(phone), await works(third)], [200, 401, 401]);
    assert.deepEqual(
      (await devicesOf(laptop)).map((d) => d.current),
      [true],
    );
    assert.deepEqual((await call(s.app, 'POST', '/api/sessions/revoke-others', { session: laptop })).json(), { revoked: 0 });
    assert.equal(await works(admin), 200, "another person's session is untouched");

    const audit = await lastAudit();
    assert.deepEqual([audit.action, audit.actorId, audit.targetType, audit.targetId], ['auth.other_sessions_revoked', laptop.user.id, 'user', laptop.user.id]);
    assert.deepEqual(audit.detail, { sessionsEnded: 0 });
  });

  it("another person's session is 404 and goes on working; so is the cookie's own value, or an unknown id", async () => {
    const { laptop } = await personWithTwoDevices();
    const bob = await joinAs(s.app, admin, `Bob${people}`);
    const bobsId = (await devicesOf(bob))[0]?.id ?? assert.fail('bob has no session');
    assertError(await call(s.app, 'DELETE', `/api/sessions/${bobsId}`, { session: laptop }), 404, 'not_found');
    assertError(await call(s.app, 'DELETE', `/api/sessions/${bobsId}`, { session: admin }), 404, 'not_found');
    const cookieValue = bob.cookie.split('=')[1] ?? '';
    assertError(await call(s.app, 'DELETE', `/api/sessions/${cookieValue}`, { session: bob }), 404, 'not_found');
    assertError(await call(s.app, 'DELETE', '/api/sessions/AAAAAAAAAAAAAAAAAAAAAA', { session: bob }), 404, 'not_found');
    assertError(await call(s.app, 'DELETE', '/api/sessions/not%20an%20id', { session: bob }), 400, 'invalid_request');
    assert.equal(await works(bob), 200);
    assert.equal((await devicesOf(bob)).length, 1);
  });

  it('revoking this device signs out as DELETE /api/session does: 204, the cookie cleared, audited as a sign-out', async () => {
    const { laptop, phone } = await personWithTwoDevices();
    const own = await idOf(laptop, laptop);
    const answer = await call(s.app, 'DELETE', `/api/sessions/${own}`, { session: laptop });
    assert.equal(answer.statusCode, 204, answer.body);
    assert.equal(answer.cookies.find((c) => c.name === 'hearth_session')?.value, '');
    assert.deepEqual([await works(laptop), await works(phone)], [401, 200]);
    assert.equal((await lastAudit()).action, 'auth.sign_out');
  });

  it('is out of reach of bot tokens', async () => {
    const rooms = (await call(s.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: { id: string }[] }>().rooms;
    const roomIds = [rooms[0]?.id ?? assert.fail('no room')];
    const bot = await call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name: 'Devices bot', webhookUrl: null, roomIds } });
    assert.equal(bot.statusCode, 201, bot.body);
    const tokenBody = { name: 'devices', roomIds };
    const token = await call(s.app, 'POST', `/api/admin/bots/${bot.json<{ userId: string }>().userId}/tokens`, { session: admin, body: tokenBody });
    assert.equal(token.statusCode, 201, token.body);
    const headers = { authorization: `Bearer ${token.json<{ token: string }>().token}` };
    assertError(await call(s.app, 'GET', '/api/sessions', { headers }), 403, 'forbidden');
    assertError(await call(s.app, 'DELETE', '/api/sessions/AAAAAAAAAAAAAAAAAAAAAA', { headers }), 403, 'forbidden');
    assertError(await call(s.app, 'POST', '/api/sessions/revoke-others', { headers }), 403, 'forbidden');
  });
});
