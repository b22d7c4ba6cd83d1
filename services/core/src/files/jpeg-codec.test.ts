import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJpeg, encodeJpeg } from './jpeg-codec.ts';
import type { Pixels } from './thumbnail.ts';

const MiB = 2 ** 20;
const PLENTY = 512 * MiB;

/** Noise in colour: hard to compress, so its coefficients fill the decoder's memory. */
function noise(width: number, height: number): Pixels {
  const data = new Uint8Array(width * height * 4);
  let state = 1;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    data[i] = i % 4 === 3 ? 255 : state >>> 24;
  }
  return { width, height, data };
}

describe('JPEG codec (MozJPEG in WebAssembly)', () => {
  it('decodes what it encodes, as RGBA of the same size and colour', () => {
    const data = new Uint8Array(64 * 48 * 4);
    for (let i = 0; i < data.length; i += 4) data.set([200, 30, 40, 255], i);
    const image = decodeJpeg(encodeJpeg({ width: 64, height: 48, data }, 90), PLENTY);
    assert.deepEqual([image.width, image.height, image.data.length], [64, 48, 64 * 48 * 4]);
    const [red, green, blue, alpha] = image.data.subarray(32 * 4, 33 * 4);
    assert.ok(Math.abs(red! - 200) <= 4 && Math.abs(green! - 30) <= 4 && Math.abs(blue! - 40) <= 4 && alpha === 255, `${red},${green},${blue},${alpha}`);
  });

  it('refuses an image that needs more memory than it is allowed, and decodes it when allowed enough', () => {
    // 2000×1500 needs 12 MB of output on top of the 16 MiB the decoder starts with.
    const bytes = encodeJpeg(noise(2000, 1500), 90);
    assert.throws(() => decodeJpeg(bytes, 20 * MiB), /Insufficient memory/);
    assert.equal(decodeJpeg(bytes, PLENTY).width, 2000);
  });

  it('refuses a JPEG cut short rather than fill the rest with grey, and decodes the next one', () => {
    const bytes = encodeJpeg(noise(300, 200), 90);
    assert.throws(() => decodeJpeg(bytes.subarray(0, Math.floor(bytes.length * 0.6)), PLENTY), /Premature end/);
    assert.throws(() => decodeJpeg(Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 0, 1, 2, 3), PLENTY));
    assert.equal(decodeJpeg(bytes, PLENTY).height, 200);
  });
});
