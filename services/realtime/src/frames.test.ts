import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameError, parseClientFrame } from './frames.ts';

describe('parseClientFrame', () => {
  const cases: Array<[string, unknown]> = [
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"hello"}', { type: 'hello', resume: {} }],
    ['{"type":"hello","resume":{"r1":4}}', { type: 'hello', resume: { r1: 4 } }],
    ['{"type":"typing","roomId":"r1"}', { type: 'typing', roomId: 'r1' }],
  ];
  for (const [text, expected] of cases) {
    it(`accepts ${text}`, () => assert.deepEqual(parseClientFrame(text), expected));
  }

  const refusals: Array<[string, RegExp]> = [
    ['not json', /not JSON/],
    ['[1]', /JSON object/],
    ['null', /JSON object/],
    ['"ping"', /JSON object/],
    ['{"type":"dance"}', /unknown frame type "dance"/],
    ['{"type":"hello","resume":{"r1":-1}}', /resume.r1/],
    ['{"type":"hello","resume":{"r1":1.5}}', /resume.r1/],
    ['{"type":"hello","resume":[]}', /resume must be an object/],
    ['{"type":"typing"}', /typing.roomId/],
    ['{"type":"typing","roomId":""}', /typing.roomId/],
    ['{"type":"typing","roomId":7}', /typing.roomId/],
    ['{"type":"typing","roomId":"r\\u0000"}', /roomId must not contain NUL/],
    ['{"type":"typing","roomId":"\\ud800"}', /roomId must be well-formed Unicode/],
    ['{"type":"hello","resume":{"r\\u0000":1}}', /resume: a property name must not contain NUL/],
  ];
  for (const [text, message] of refusals) {
    it(`refuses ${text}`, () =>
      assert.throws(
        () => parseClientFrame(text),
        (e: unknown) => e instanceof FrameError && message.test(e.message),
      ));
  }
});
