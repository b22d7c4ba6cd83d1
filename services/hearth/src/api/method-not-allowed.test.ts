import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HTTPMethods } from 'fastify';
import { call, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/** A known path with a method it does not have: 405 and an Allow header listing the ones it has (found by schemathesis's unsupported_method check). */
describe('methods a path does not have', () => {
  let s: TestServer;
  let admin: TestSession;

  before(async () => {
    s = await startTestServer();
    admin = await setUpAccount(s.app);
  });
  after(() => stopAndAssertNo5xx(s));

  async function refused(method: string, url: string, allow: string): Promise<void> {
    const response = await call(s.app, method as HTTPMethods, url, { session: admin });
    assert.equal(response.statusCode, 405, `${method} ${url}: ${response.body}`);
    assert.equal(response.headers['allow'], allow, `${method} ${url}`);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'method_not_allowed');
  }

  it('answers 405 with the methods of the path', async () => {
    await refused('TRACE', '/api/status', 'GET, HEAD');
    await refused('GET', '/api/setup', 'POST');
    await refused('PUT', '/api/messages/m1?x=1', 'GET, HEAD, PATCH, DELETE');
  });

  it('lists only the most specific routes: /api/rooms/direct is not a room id, /api/users/me not a user id', async () => {
    await refused('OPTIONS', '/api/rooms/direct', 'POST');
    await refused('DELETE', '/api/users/me', 'GET, HEAD');
  });

  it('answers before reading a body: a method that needs a Content-Type gets 405, not a 400 for lacking one', async () => {
    const response = await s.app.inject({ method: 'QUERY' as HTTPMethods, url: '/api/rooms', headers: { cookie: admin.cookie } });
    assert.equal(response.statusCode, 405, response.body);
    assert.equal(response.headers['allow'], 'GET, HEAD, POST');
  });

  it('still answers 404 for a path that does not exist', async () => {
    const response = await call(s.app, 'TRACE', '/api/nothing-here', { session: admin });
    assert.equal(response.statusCode, 404, response.body);
    assert.equal(response.headers['allow'], undefined);
  });
});
