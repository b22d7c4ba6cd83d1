import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { textProblem } from '@hearth/core';
import { FrameError, parseClientFrame } from './frames.ts';

/*
 * The realtime protocol parser against generated input: whatever a client sends, it either gets
 * a frame of a known type, every string in it well-formed text, or a FrameError (which the
 * connection turns into an error frame). Any other exception would be a crash of the connection.
 */

/** Any UTF-16 code unit, NUL and lone surrogates included, besides whole code points. */
const anyUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) },
);
const anyText = fc.string({ unit: anyUnit, maxLength: 40 });
/** Frames shaped like the real ones, with wrong and hostile values in them. */
const frameLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom('hello', 'ping', 'typing'), anyText),
    roomId: fc.oneof(anyText, fc.integer(), fc.constant(null)),
    resume: fc.oneof(fc.dictionary(anyText, fc.oneof(fc.integer(), fc.double(), anyText)), fc.array(fc.integer()), anyText),
  },
  { requiredKeys: [] },
);
const anyFrameText = fc.oneof(
  anyText,
  fc.json(),
  frameLike.map((frame) => JSON.stringify(frame)),
);

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...stringsOf(child)]);
}

describe('parseClientFrame, on generated input', () => {
  it('returns a known frame with well-formed text, or throws FrameError; nothing else', () => {
    fc.assert(
      fc.property(anyFrameText, (text) => {
        let frame;
        try {
          frame = parseClientFrame(text);
        } catch (error) {
          assert.ok(error instanceof FrameError, `not a FrameError for ${JSON.stringify(text)}: ${String(error)}`);
          return;
        }
        assert.ok(['hello', 'ping', 'typing'].includes(frame.type));
        for (const string of stringsOf(frame)) assert.equal(textProblem(string), null, `${JSON.stringify(string)} got through`);
      }),
      { numRuns: 5_000 },
    );
  });
});
