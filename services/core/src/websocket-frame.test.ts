import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildWebSocketTextFrame } from './websocket-frame.ts';

describe('buildWebSocketTextFrame', () => {
  const cases: Array<[number, string]> = [
    [0, '8100'],
    [125, '817d'],
    [126, '817e007e'],
    [65_535, '817effff'],
    [65_536, '817f0000000000010000'],
  ];
  for (const [length, header] of cases) {
    it(`frames ${length} bytes with header ${header} and the payload after it`, () => {
      const payload = Buffer.alloc(length, 'x');
      const frame = buildWebSocketTextFrame(payload);
      const headerBytes = header.length / 2;
      assert.equal(frame.subarray(0, headerBytes).toString('hex'), header);
      assert.equal(frame.length, headerBytes + length);
      assert.ok(frame.subarray(headerBytes).equals(payload));
    });
  }
});
