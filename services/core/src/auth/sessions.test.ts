import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionIdFromCookieHeader } from './sessions.ts';

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
