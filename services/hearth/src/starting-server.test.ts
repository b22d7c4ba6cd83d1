import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError, UNAVAILABLE_RETRY_AFTER_S } from '@hearth/core';
import { UNAVAILABLE_BODY, UNAVAILABLE_RETRY_AFTER_S as INGRESS_RETRY_AFTER_S } from '@hearth/harness';
import { listenWhileStarting } from './starting-server.ts';

describe('listenWhileStarting', () => {
  it('answers any request but the liveness probe 503 with Retry-After, in the error shape; /readyz names the kind of backend it waits for', async () => {
    const server = await listenWhileStarting('127.0.0.1', 0, { waitingFor: 'PostgreSQL' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const post = await fetch(`${base}/api/rooms/r/messages`, { method: 'POST', body: '{}' });
      assert.equal(post.status, 503);
      assert.equal(post.headers.get('retry-after'), '2');
      assert.deepEqual(await post.json(), { error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: 2 } });
      const ready = await fetch(`${base}/readyz`);
      assert.deepEqual([ready.status, ready.headers.get('retry-after')], [503, '2']);
      assert.deepEqual(await ready.json(), { status: 'starting', waitingFor: 'PostgreSQL' });
      const alive = await fetch(`${base}/healthz`);
      assert.deepEqual([alive.status, alive.headers.get('retry-after')], [200, null]);
    } finally {
      await server.close();
    }
  });

  it('answers as the ingress stand-in (harness nginx) does when no process answers: the same body and retry hint', () => {
    assert.equal(INGRESS_RETRY_AFTER_S, UNAVAILABLE_RETRY_AFTER_S);
    assert.deepEqual(JSON.parse(UNAVAILABLE_BODY), new HearthError('unavailable', 'any detail').toJSON());
  });
});
