import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, HearthError, PUBLIC_SERVER_MESSAGES, isServerErrorCode, publicMessageOf, type ErrorCode } from './errors.ts';

const DETAIL = 'PostgreSQL at 10.0.0.5:5432/hearth: SELECT id FROM users: connection refused';

describe('an error’s public face', () => {
  it('is a fixed sentence for every 5xx code, and the message itself for every 4xx', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const serverSide = ERROR_CODES[code] >= 500;
      assert.equal(isServerErrorCode(code), serverSide, code);
      const shown = publicMessageOf(code, DETAIL);
      if (serverSide) {
        assert.equal(shown, PUBLIC_SERVER_MESSAGES[code as keyof typeof PUBLIC_SERVER_MESSAGES], `${code} has a public sentence`);
        assert.doesNotMatch(shown, /10\.0\.0\.5|5432|SELECT/);
      } else {
        assert.equal(shown, DETAIL, `${code} is the client's own mistake: the message says what it was`);
      }
    }
  });

  const table: ReadonlyArray<{ readonly name: string; readonly error: HearthError; readonly body: unknown; readonly status: number }> = [
    {
      name: 'a backend failure says only that the service is unavailable, and when to retry',
      error: new HearthError('unavailable', DETAIL, { cause: new Error('ECONNREFUSED 10.0.0.5:5432') }),
      body: { error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: 2 } },
      status: 503,
    },
    {
      name: 'a 503 keeps a wait it names',
      error: new HearthError('unavailable', DETAIL, { retryAfter: 7 }),
      body: { error: { code: 'unavailable', message: 'the service is temporarily unavailable; retry', retryAfter: 7 } },
      status: 503,
    },
    {
      name: 'an internal error says it has been logged',
      error: new HearthError('internal', `unexpected reply from Redis: ${DETAIL}`),
      body: { error: { code: 'internal', message: 'something went wrong on our side; it has been logged' } },
      status: 500,
    },
    {
      name: 'a provider outage names no provider address',
      error: new HearthError(
        'sso_unavailable',
        'the identity provider could not be reached during discovery (fetch failed (connect ECONNREFUSED 10.0.0.5:443))',
      ),
      body: { error: { code: 'sso_unavailable', message: 'the identity provider could not be reached; try again shortly' } },
      status: 502,
    },
    {
      name: 'a refusal keeps its message, field and wait',
      error: new HearthError('rate_limited', 'slow down', { retryAfter: 17, field: 'body' }),
      body: { error: { code: 'rate_limited', message: 'slow down', field: 'body', retryAfter: 17 } },
      status: 429,
    },
  ];
  for (const { name, error, body, status } of table) {
    it(name, () => {
      assert.equal(error.status, status);
      assert.deepEqual(JSON.parse(JSON.stringify(error)), body);
    });
  }

  it('keeps the detail in the error for the log', () => {
    const error = new HearthError('unavailable', DETAIL, { cause: new Error('ECONNREFUSED') });
    assert.equal(error.message, DETAIL);
    assert.equal((error.cause as Error).message, 'ECONNREFUSED');
    assert.equal(error.isServerSide, true);
  });

  it('crosses the bus as its public face, and comes back with the same code and wait', () => {
    const back = HearthError.fromJSON(new HearthError('unavailable', DETAIL).toJSON());
    assert.deepEqual([back.code, back.message, back.retryAfter], ['unavailable', 'the service is temporarily unavailable; retry', 2]);
  });
});
