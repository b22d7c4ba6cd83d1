import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionIdFromCookieHeader, slidingExpiry } from './sessions.ts';

describe('sessionIdFromCookieHeader', () => {
  const cases: Array<[string | undefined, string | null]> = [
    [undefined, null],
    ['', null],
    ['hearth_session=abc', 'abc'],
    ['a=1; hearth_session=abc%3D%3D; b=2', 'abc=='],
    ['hearth_session_x=abc', null],
    ['hearth_session=%E0%A4%A', null],
  ];
  for (const [header, expected] of cases) it(`reads ${JSON.stringify(header)}`, () => assert.equal(sessionIdFromCookieHeader(header), expected));
});

describe('slidingExpiry', () => {
  const hour = 3_600_000;
  const policy = { idleTimeoutMs: 2 * hour, maxAgeMs: 10 * hour };
  const created = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(created);
  it('pushes the expiry an idle timeout past each use', () => assert.equal(slidingExpiry(created, t0 + hour, policy), t0 + 3 * hour));
  it('never past the maximum age, however recent the use', () => assert.equal(slidingExpiry(created, t0 + 9 * hour, policy), t0 + 10 * hour));
});
