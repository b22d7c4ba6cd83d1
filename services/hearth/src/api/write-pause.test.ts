import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Message, Room } from '@hearth/core';
import { PASSWORD, call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, type TestServer } from '../test-server.ts';

/** Writes paused (a tier migration copies the store): what people can still do, and what they are told. */

function assertPaused(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 503, response.body);
  assert.equal(response.headers['retry-after'], '10');
  const { error } = response.json<{ error: { code: string; message: string; retryAfter: number } }>();
  assert.deepEqual(error, {
    code: 'migrating',
    message: 'Hearth is moving to new servers: reading works, and writing is paused for a few minutes; retry',
    retryAfter: 10,
  });
  assert.doesNotMatch(response.body, /single tier|operator/, 'the reason for the pause stays in the log');
}

describe('while writes are paused', () => {
  let s: TestServer;
  let admin: TestSession;
  let bob: TestSession;
  let room: Room;
  let first: Message;

  before(async () => {
    s = await startTestServer();
    admin = await setUpAccount(s.app);
    bob = await joinAs(s.app, admin, 'Bob');
    room = (await call(s.app, 'POST', '/api/rooms', { session: admin, body: { name: 'general', kind: 'open' } })).json<Room>();
    await call(s.app, 'PUT', `/api/rooms/${room.id}/members/${bob.user.id}`, { session: admin });
    first = (
      await call(s.app, 'POST', `/api/rooms/${room.id}/messages`, { session: admin, body: { body: 'before the café move', clientMessageId: 'm1' } })
    ).json<Message>();
    await s.backends.store.pauseWrites({ since: new Date().toISOString(), reason: 'copying to the single tier (operator)' });
  });
  after(() => s.stop());

  it('refuses posting, editing, rooms and memberships with 503 migrating and Retry-After', async () => {
    assertPaused(await call(s.app, 'POST', `/api/rooms/${room.id}/messages`, { session: bob, body: { body: 'during', clientMessageId: 'm2' } }));
    assertPaused(await call(s.app, 'PATCH', `/api/messages/${first.id}`, { session: admin, body: { body: 'edited' } }));
    assertPaused(await call(s.app, 'POST', '/api/rooms', { session: admin, body: { name: 'new', kind: 'open' } }));
    assertPaused(await call(s.app, 'POST', `/api/messages/${first.id}/boosts`, { session: bob, body: { content: '👍' } }));
    assertPaused(await call(s.app, 'DELETE', `/api/messages/${first.id}`, { session: admin }));
    assertPaused(await call(s.app, 'POST', '/api/account/join-code', { session: admin }));
  });

  it('refuses a new sign-in (its session would not be copied), and keeps the signed-in signed in', async () => {
    assertPaused(await call(s.app, 'POST', '/api/session', { body: { email: 'bob@example.com', password: PASSWORD } }));
    assert.equal((await call(s.app, 'GET', '/api/users/me', { session: bob })).statusCode, 200);
  });

  it('lets people read and search as before', async () => {
    const page = await call(s.app, 'GET', `/api/rooms/${room.id}/messages`, { session: bob });
    assert.equal(page.statusCode, 200, page.body);
    assert.ok(page.body.includes(first.id));
    const hits = await call(s.app, 'GET', `/api/search?q=${encodeURIComponent('cafe')}`, { session: bob });
    assert.equal(hits.statusCode, 200, hits.body);
    assert.ok(hits.body.includes(first.id));
  });

  it('takes writes again once resumed, and nothing refused was stored', async () => {
    await s.backends.store.resumeWrites();
    const posted = await call(s.app, 'POST', `/api/rooms/${room.id}/messages`, { session: bob, body: { body: 'after', clientMessageId: 'm3' } });
    assert.equal(posted.statusCode, 201, posted.body);
    const bodies = (await s.backends.store.listMessages(room.id, { limit: 10 })).map((message) => message.body);
    assert.deepEqual(bodies.sort(), ['after', 'before the café move']);
  });
});
