/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { crc32, inflateSync } from 'node:zlib';
import { encodePng } from './png.ts';

interface Chunk {
  readonly type: string;
  readonly data: Buffer;
}

/** The chunks after the signature, each checked against its CRC. */
function chunksOf(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const typed = png.subarray(at + 4, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(typed), 'CRC');
    chunks.push({ type: typed.subarray(0, 4).toString('latin1'), data: typed.subarray(4) });
    at += 12 + length;
  }
  return chunks;
}

test('a 2×2 RGBA image: the signature, IHDR, the unfiltered rows in IDAT, IEND, every CRC right', () => {
  const pixels = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 1, 2, 3, 4]);
  const png = encodePng(2, 2, pixels);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks = chunksOf(png);
  assert.deepEqual(
    chunks.map((c) => c.type),
    ['IHDR', 'IDAT', 'IEND'],
  );
  const ihdr = chunks[0]!.data;
  assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ...ihdr.subarray(8)], [2, 2, 8, 6, 0, 0, 0]);
  assert.deepEqual([...inflateSync(chunks[1]!.data)], [0, ...pixels.subarray(0, 8), 0, ...pixels.subarray(8)]);
  assert.equal(chunks[2]!.data.length, 0);
});

test('pixels that do not fill the size are refused', () => {
  assert.throws(() => encodePng(2, 2, new Uint8Array(15)), /needs 16 bytes, not 15/);
  assert.throws(() => encodePng(0, 2, new Uint8Array(0)), RangeError);
});
