import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replyText } from './reply.ts';

describe('replyText', () => {
  const cases: [contentType: string | null, body: string, expected: string | null][] = [
    ['text/plain', 'Deployed v42', 'Deployed v42'],
    ['text/plain; charset=utf-8', '  on it  \n', 'on it'],
    ['Text/Plain', 'case does not matter', 'case does not matter'],
    ['text/plain', '   ', null],
    ['text/plain', '', null],
    ['application/json', '{"body":"from JSON"}', 'from JSON'],
    ['application/json; charset=utf-8', '{"body":"  padded  ","other":1}', 'padded'],
    ['application/vnd.bot+json', '{"body":"vendor json"}', 'vendor json'],
    ['application/json', '{"ok":true}', null],
    ['application/json', '{"body":42}', null],
    ['application/json', '["body"]', null],
    ['application/json', 'null', null],
    ['application/json', 'not json', null],
    ['text/html', '<p>hello</p>', null],
    [null, 'no content type', null],
  ];
  for (const [contentType, body, expected] of cases) {
    it(`${contentType ?? '(none)'} ${JSON.stringify(body)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(replyText(contentType, body), expected);
    });
  }
});
