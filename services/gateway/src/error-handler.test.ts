import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '@hearth/core';
import Fastify from 'fastify';
import { registerErrorHandler } from './error-handler.ts';

/** An app whose routes throw what a handler would meet. */
async function appThrowing(): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify({ logger: false });
  registerErrorHandler(app);
  app.get('/unavailable', () => {
    throw new HearthError('unavailable', 'PostgreSQL at 10.0.0.5:5432/hearth: connection refused');
  });
  app.get('/limited', () => {
    throw new HearthError('rate_limited', 'slow down', { retryAfter: 17 });
  });
  app.get('/bug', () => {
    throw new Error('SELECT * FROM users: syntax error at 10.0.0.5');
  });
  await app.ready();
  return app;
}

describe('the error handler', () => {
  it('gives every 503 a Retry-After, so a client retries a failover rather than giving up', async () => {
    const app = await appThrowing();
    const response = await app.inject({ method: 'GET', url: '/unavailable' });
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '2');
    assert.equal((response.json() as { error: { code: string } }).error.code, 'unavailable');
  });

  it('keeps a Retry-After the error names', async () => {
    const app = await appThrowing();
    const response = await app.inject({ method: 'GET', url: '/limited' });
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '17');
  });

  it('answers an unknown error 500 with no Retry-After and nothing of its internals', async () => {
    const app = await appThrowing();
    const response = await app.inject({ method: 'GET', url: '/bug' });
    assert.equal(response.statusCode, 500);
    assert.equal(response.headers['retry-after'], undefined);
    assert.doesNotMatch(response.body, /SELECT|10\.0\.0\.5/);
  });
});
