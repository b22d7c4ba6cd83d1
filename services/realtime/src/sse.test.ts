import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '@hearth/core';
import { resumeOf } from './sse.ts';

describe('resumeOf', () => {
  const cases: [query: string | undefined, lastEventId: string | undefined, expected: Record<string, number>][] = [
    [undefined, undefined, {}],
    ['', undefined, {}],
    ['{"r1":4,"r2":0}', undefined, { r1: 4, r2: 0 }],
    [undefined, 'r1:7', { r1: 7 }],
    ['{"r1":4}', 'r1:7', { r1: 7 }],
    ['{"r1":9}', 'r1:7', { r1: 9 }],
    ['{"r1":4}', 'r2:7', { r1: 4, r2: 7 }],
    // A room id may hold a colon: the sequence is what follows the last one.
    [undefined, 'a:b:3', { 'a:b': 3 }],
    ['{"r1":4}', 'not-an-event-id', { r1: 4 }],
    [undefined, 'r1:', {}],
    [undefined, ':3', {}],
  ];
  for (const [query, lastEventId, expected] of cases) {
    it(`?resume=${query ?? '(none)'} with Last-Event-ID ${lastEventId ?? '(none)'} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(resumeOf(query, lastEventId), expected);
    });
  }

  const refusals: [query: string, message: RegExp][] = [
    ['not json', /URL-encoded JSON object/],
    ['[1]', /resume must be an object/],
    ['{"r1":-1}', /resume.r1/],
  ];
  for (const [query, message] of refusals) {
    it(`refuses ?resume=${query} as an invalid request`, () =>
      assert.throws(
        () => resumeOf(query, undefined),
        (error: unknown) => error instanceof HearthError && error.code === 'invalid_request' && error.field === 'resume' && message.test(error.message),
      ));
  }
});
