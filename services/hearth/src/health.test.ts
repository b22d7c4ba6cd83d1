import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { HearthError, createLogger } from '@hearth/core';
import { registerHealth, type Probe } from './health.ts';

const DETAIL = 'PostgreSQL at 10.0.0.5:5432/hearth: connect ECONNREFUSED 10.0.0.5:5432';

/** A probe whose answer the test sets: ok, a backend error, or no answer at all. */
function probe(name: string): Probe & { answer: 'ok' | 'error' | 'hang' } {
  return {
    name,
    answer: 'ok',
    check() {
      if (this.answer === 'ok') return Promise.resolve();
      if (this.answer === 'error') return Promise.reject(new HearthError('unavailable', DETAIL));
      return new Promise<void>(() => undefined);
    },
  };
}

async function appWith(probes: readonly Probe[]) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', 'test', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  registerHealth(app, probes, () => false);
  await app.ready();
  return { app, lines };
}

describe('/readyz', () => {
  it('names each check and its state, never the error; the log has the error once per change', async () => {
    const store = probe('store');
    const bus = probe('bus');
    const { app, lines } = await appWith([store, bus]);
    const readyz = async () => {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return [response.statusCode, response.json() as unknown, response.body] as const;
    };
    const [okStatus, okBody] = await readyz();
    assert.deepEqual([okStatus, okBody], [200, { status: 'ready', checks: { store: 'ok', bus: 'ok' } }]);

    store.answer = 'error';
    for (let i = 0; i < 3; i++) {
      const [status, body, text] = await readyz();
      assert.deepEqual([status, body], [503, { status: 'not ready', checks: { store: 'failing', bus: 'ok' } }]);
      assert.doesNotMatch(text, /10\.0\.0\.5|5432|ECONNREFUSED/);
    }
    const failing = lines.filter((line) => line['msg'] === 'readiness: store is failing');
    assert.equal(failing.length, 1, 'one line when the check starts failing, not one per probe');
    assert.match(JSON.stringify(failing[0]?.['err']), /10\.0\.0\.5:5432/);
    assert.equal(typeof failing[0]?.['reqId'], 'string');

    store.answer = 'ok';
    assert.equal((await readyz())[0], 200);
    assert.equal(lines.filter((line) => line['msg'] === 'readiness: store answers again').length, 1);
    await app.close();
  });

  it('says timeout for a backend that does not answer within 2 s', async () => {
    const store = probe('store');
    store.answer = 'hang';
    const { app } = await appWith([store]);
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual([response.statusCode, response.json() as unknown], [503, { status: 'not ready', checks: { store: 'timeout' } }]);
    await app.close();
  });
});
