import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { illFormedTextError, textProblem } from './well-formed-text.ts';

describe('the text rule', () => {
  it('tells NUL and lone surrogates from well-formed text', () => {
    assert.equal(textProblem('plain, ünïcode and 😀'), null);
    assert.match(textProblem('a\u0000b') ?? '', /NUL/);
    assert.match(textProblem('a\ud800b') ?? '', /lone UTF-16 surrogate/);
    assert.match(textProblem('\udc00') ?? '', /lone UTF-16 surrogate/);
  });

  const cases: Array<[string, unknown, string | null]> = [
    ['a clean object', { name: 'Ada', tags: ['x', 'y'], n: 1, ok: true, none: null }, null],
    ['a bare string', 'a\u0000', 'body'],
    ['a top-level property', { name: 'a\u0000' }, 'name'],
    ['a nested property', { boost: { content: '\ud800' } }, 'boost.content'],
    ['an array item', { ids: ['ok', 'b\u0000'] }, 'ids.1'],
    ['a property name', { resume: { 'r\u0000': 1 } }, 'resume'],
  ];
  for (const [what, value, field] of cases) {
    it(`names the field of ${what}`, () => {
      const error = illFormedTextError(value);
      assert.equal(error?.field ?? null, field);
      if (error !== null) assert.equal(error.code, 'invalid_request');
    });
  }

  it('walks a value nested far deeper than the call stack goes', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    assert.equal(illFormedTextError(deep)?.field?.startsWith('0.0.0'), true);
  });
});
