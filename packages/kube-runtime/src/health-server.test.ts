import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReport, createHealthHandler, startHealthServer } from './health-server.ts';
import { contentTypes, createMetricsRegistry } from './metrics.ts';
import { parseExposition, sampleValue } from './testing.ts';

describe('health server', () => {
  it('answers /healthz, /readyz with a line per check, /metrics in the format asked for, and 404 otherwise', async () => {
    let synced = false;
    const registry = createMetricsRegistry();
    registry.counter('x_total', 'X.', []).inc();
    const handler = createHealthHandler({
      registry,
      liveness: [{ name: 'running', ok: () => true }],
      readiness: [
        { name: 'started', ok: () => true },
        { name: 'informers-synced', ok: () => synced },
      ],
    });
    const server = await startHealthServer(handler, { port: 0, host: '127.0.0.1' });
    const get = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`, init);
      return { status: response.status, type: response.headers.get('content-type'), vary: response.headers.get('vary'), body: await response.text() };
    };
    try {
      assert.deepEqual(await get('/healthz'), { status: 200, type: 'text/plain; charset=utf-8', vary: null, body: '[+]running ok\nok\n' });
      const notReady = await get('/readyz');
      assert.equal(notReady.status, 503);
      assert.equal(notReady.body, '[+]started ok\n[-]informers-synced failed\nnot ok\n');
      synced = true;
      assert.equal((await get('/readyz?verbose')).status, 200);

      const text = await get('/metrics');
      assert.deepEqual([text.status, text.type, text.vary], [200, contentTypes.prometheus, 'Accept']);
      assert.equal(sampleValue(parseExposition(text.body, 'prometheus'), 'x_total'), 1);
      const openMetrics = await get('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      assert.deepEqual([openMetrics.status, openMetrics.type], [200, contentTypes.openmetrics]);
      assert.equal(parseExposition(openMetrics.body, 'openmetrics').get('x')?.type, 'counter');

      assert.equal((await get('/nope')).status, 404);
      assert.equal((await get('/healthz', { method: 'POST' })).status, 405);
      registry.onCollect(() => {
        throw new Error('boom');
      });
      assert.deepEqual(await get('/metrics').then(({ status, body }) => [status, body]), [500, 'collecting metrics failed: boom\n']);
    } finally {
      await server.close();
    }
  });

  it('counts a throwing check as failed', () => {
    const report = checkReport([
      {
        name: 'boom',
        ok: () => {
          throw new Error('boom');
        },
      },
    ]);
    assert.deepEqual(report, { ok: false, body: '[-]boom failed\nnot ok\n' });
  });
});
