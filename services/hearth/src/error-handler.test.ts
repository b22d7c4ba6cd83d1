import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError, createLogger, type Logger } from '@hearth/core';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { fromFastify, registerErrorHandler } from './error-handler.ts';

/** An app whose routes throw what a handler would meet. */
async function appThrowing(logger?: Logger): Promise<FastifyInstance> {
  const app: FastifyInstance = logger === undefined ? Fastify({ logger: false }) : Fastify({ loggerInstance: logger as FastifyBaseLogger });
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
    assert.deepEqual(response.json(), { error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: 2 } });
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
    assert.deepEqual(response.json(), { error: { code: 'internal', message: 'something went wrong on our side; it has been logged' } });
  });

  it('logs the detail of a 5xx with the request id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const app = await appThrowing(createLogger('info', 'test', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }));
    const response = await app.inject({ method: 'GET', url: '/unavailable' });
    assert.equal(response.statusCode, 503);
    const logged = lines.find((line) => typeof line['msg'] === 'string' && line['msg'].includes('10.0.0.5:5432'));
    assert.ok(logged !== undefined, JSON.stringify(lines));
    assert.equal(typeof logged['reqId'], 'string');
  });
});

describe('fromFastify', () => {
  /** An error as Fastify raises it: a code, and a status when it has one. */
  function fastifyError(code: string, statusCode?: number, message = 'fastify says no'): FastifyError {
    return Object.assign(new Error(message), { code, ...(statusCode === undefined ? {} : { statusCode }) }) as FastifyError;
  }
  const cases: [what: string, error: FastifyError, expected: { code: string; field?: string } | null][] = [
    ['invalid JSON', fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), { code: 'invalid_json', field: 'body' }],
    ['an empty JSON body', fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), { code: 'invalid_json', field: 'body' }],
    ['a body too large', fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), { code: 'payload_too_large', field: 'body' }],
    ['another media type', fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), { code: 'invalid_request', field: 'content-type' }],
    ['a wrong content-length', fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), { code: 'invalid_request', field: 'content-length' }],
    ['a SyntaxError', Object.assign(new SyntaxError('bad'), { code: 'X' }) as unknown as FastifyError, { code: 'invalid_json', field: 'body' }],
    ['another 4xx', fastifyError('FST_ERR_OTHER', 404), { code: 'invalid_request' }],
    ['a 5xx', fastifyError('FST_ERR_OTHER', 500), null],
    ['no status', fastifyError('FST_ERR_OTHER'), null],
    ['a code named like an Object method', fastifyError('toString'), null],
  ];
  for (const [what, error, expected] of cases) {
    it(`${what} → ${expected?.code ?? "not the client's fault"}`, () => {
      const known = fromFastify(error);
      assert.deepEqual(known === null ? null : { code: known.code, ...(known.field === undefined ? {} : { field: known.field }) }, expected);
    });
  }
});
