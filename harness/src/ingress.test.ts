import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startIngress, UNAVAILABLE_RETRY_AFTER_S } from './ingress.ts';
import { freePort } from './process.ts';

describe('the ingress stand-in (nginx)', () => {
  it('answers a JSON 503 with Retry-After when no process of a kind answers, and passes a live one through', async () => {
    const gateway = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('gateway'));
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const closedPort = await freePort();
    const ingress = await startIngress({ gateway: [(gateway.address() as AddressInfo).port], realtime: [closedPort] });
    try {
      const live = await fetch(`${ingress.url}/api/status`);
      assert.equal(live.status, 200);
      assert.equal(await live.text(), 'gateway');
      const down = await fetch(`${ingress.url}/api/realtime/sse`);
      assert.equal(down.status, 503);
      assert.equal(down.headers.get('retry-after'), String(UNAVAILABLE_RETRY_AFTER_S));
      assert.match(down.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await down.json(), {
        error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: UNAVAILABLE_RETRY_AFTER_S },
      });
    } finally {
      await ingress.stop();
      gateway.close();
    }
  });
});
