import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIngress, type Ingress } from '@hearth/harness';
import { setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, type TestServer } from './test-server.ts';

const LIMIT = 256 * 1024;

/**
 * A body over the limit, sent through nginx as the Ingress does: the answer is always our 413,
 * never the proxy's 502 page (fastify's own refusal closed the connection while nginx was still
 * sending the body, and which came first decided the answer).
 */
describe('a request body over the limit, through a proxy', () => {
  let server: TestServer;
  let ingress: Ingress;
  let admin: TestSession;

  before(async () => {
    server = await startTestServer({ HEARTH_MAX_BODY_BYTES: String(LIMIT) });
    const port = Number(new URL(await server.listen()).port);
    ingress = await startIngress({ gateway: [port], realtime: [port] });
    admin = await setUpAccount(server.app);
  });
  after(async () => {
    await ingress?.stop();
    await server?.stop();
  });

  const post = (bytes: number): Promise<Response> =>
    fetch(`${ingress.url}/api/rooms/any/messages`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'x'.repeat(bytes), clientMessageId: 'big' }),
    });

  it('is our 413 naming the body, every time, for a body a few times the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await post(LIMIT * 3);
      statuses.push(response.status);
      const body = (await response.json()) as { error: { code: string; field?: string } };
      assert.deepEqual({ code: body.error.code, field: body.error.field }, { code: 'payload_too_large', field: 'body' });
    }
    assert.deepEqual(new Set(statuses), new Set([413]));
  });
});
