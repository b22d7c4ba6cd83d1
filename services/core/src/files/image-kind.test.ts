import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { jpegSegments, sniffImage, type ImageKind } from './image-kind.ts';

/** A deterministic generator (mulberry32), so that a failing fuzz case can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function pngOf(width: number, height: number, colorType: 0 | 2 | 4 | 6 = 6): Uint8Array {
  const png = new PNG({ width, height });
  png.data.fill(200);
  return PNG.sync.write(png, { colorType });
}

function jpegOf(width: number, height: number): Uint8Array {
  return jpeg.encode({ width, height, data: new Uint8Array(width * height * 4).fill(90) }, 80).data;
}

function bytesOf(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Uint8Array.from(part))));
}

const u16le = (n: number): number[] => [n & 0xff, n >> 8];
const u24le = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, n >> 16];

function gifOf(width: number, height: number, version = 'GIF89a'): Uint8Array {
  return bytesOf(version, u16le(width), u16le(height), [0xf7, 0, 0], new Uint8Array(24), [0x3b]);
}

function webpOf(chunk: string, data: number[]): Uint8Array {
  return bytesOf('RIFF', [0, 0, 0, 0], 'WEBP', chunk, [data.length, 0, 0, 0], data);
}

/** A lossy frame header: key frame tag, start code, 14-bit sides (the top two bits are scaling, ignored). */
const vp8 = (width: number, height: number): Uint8Array =>
  webpOf('VP8 ', [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...u16le(width | 0x4000), ...u16le(height), 0, 0]);

function vp8l(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  return webpOf('VP8L', [0x2f, bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, bits >>> 24, 0, 0]);
}

const vp8x = (width: number, height: number): Uint8Array => webpOf('VP8X', [0x10, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]);

/** Real files made by libwebp, 1×1 each: lossy, lossless, and extended with alpha. */
const LIBWEBP = {
  lossy: 'UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA',
  lossless: 'UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==',
  alpha: 'UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==',
};

const samples: readonly (readonly [string, Uint8Array, ImageKind])[] = [
  ['RGBA PNG', pngOf(640, 480), { type: 'image/png', width: 640, height: 480 }],
  ['grey PNG', pngOf(1, 3000, 0), { type: 'image/png', width: 1, height: 3000 }],
  ['RGB PNG', pngOf(333, 7, 2), { type: 'image/png', width: 333, height: 7 }],
  ['JPEG', jpegOf(123, 45), { type: 'image/jpeg', width: 123, height: 45 }],
  ['tall JPEG', jpegOf(16, 1000), { type: 'image/jpeg', width: 16, height: 1000 }],
  ['GIF89a', gifOf(500, 260), { type: 'image/gif', width: 500, height: 260 }],
  ['GIF87a', gifOf(65535, 1, 'GIF87a'), { type: 'image/gif', width: 65535, height: 1 }],
  ['lossy WebP', vp8(1024, 768), { type: 'image/webp', width: 1024, height: 768 }],
  ['lossless WebP', vp8l(16384, 3), { type: 'image/webp', width: 16384, height: 3 }],
  ['extended WebP', vp8x(70000, 2), { type: 'image/webp', width: 70000, height: 2 }],
  ['libwebp lossy', Buffer.from(LIBWEBP.lossy, 'base64'), { type: 'image/webp', width: 1, height: 1 }],
  ['libwebp lossless', Buffer.from(LIBWEBP.lossless, 'base64'), { type: 'image/webp', width: 1, height: 1 }],
  ['libwebp with alpha', Buffer.from(LIBWEBP.alpha, 'base64'), { type: 'image/webp', width: 1, height: 1 }],
];

/** A JPEG with an APP1 segment (and fill bytes) between SOI and the encoder's own segments. */
function withApp1(image: Uint8Array, payload: Uint8Array): Uint8Array {
  return bytesOf(image.subarray(0, 2), [0xff, 0xff, 0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff], payload, image.subarray(2));
}

describe('what an upload is, from its bytes', () => {
  for (const [name, bytes, kind] of samples) {
    it(`sees a ${name}, ${kind.width}×${kind.height}`, () => assert.deepEqual(sniffImage(bytes), kind));
  }

  it('walks a JPEG past long segments and fill bytes to its frame', () => {
    const bytes = withApp1(jpegOf(300, 200), new Uint8Array(60_000).fill(0xff));
    assert.deepEqual(sniffImage(bytes), { type: 'image/jpeg', width: 300, height: 200 });
  });

  it('reads a JPEG inside a larger buffer from where its view starts', () => {
    const inner = jpegOf(31, 17);
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 5);
    assert.deepEqual(sniffImage(outer.subarray(5, 5 + inner.length)), { type: 'image/jpeg', width: 31, height: 17 });
  });

  const notImages: readonly (readonly [string, Uint8Array])[] = [
    ['nothing', new Uint8Array()],
    ['SVG', bytesOf('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>')],
    ['HTML', bytesOf('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>')],
    ['PDF', bytesOf('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj')],
    ['BMP', bytesOf('BM', new Uint8Array(60))],
    ['text named like a PNG', bytesOf('PNG IHDR 640 480')],
    ['a RIFF WAVE', bytesOf('RIFF', [0, 0, 0, 0], 'WAVEfmt ', new Uint8Array(30))],
    ['a WebP with an unknown first chunk', webpOf('ALPH', new Array<number>(20).fill(1))],
    ['a lossy WebP without its start code', webpOf('VP8 ', [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 1, 0, 1, 0])],
    ['a lossy WebP that is no key frame', webpOf('VP8 ', [0x11, 0x02, 0x00, 0x9d, 0x01, 0x2a, 1, 0, 1, 0])],
    ['a lossless WebP without its signature', webpOf('VP8L', [0x2e, 0, 0, 0, 0])],
    ['a JPEG whose scan comes before any frame', bytesOf([0xff, 0xd8, 0xff, 0xda, 0, 8], new Uint8Array(20))],
    ['a JPEG whose segment length points past the end', bytesOf([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xf0], new Uint8Array(20))],
    ['a JPEG with a segment length below 2', bytesOf([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0xff, 0xc0, 0, 17, 8, 0, 10, 0, 10])],
    ['a JPEG with garbage where a marker should be', bytesOf([0xff, 0xd8, 0x12, 0xc0, 0, 17, 8, 0, 10, 0, 10])],
    ['a PNG whose first chunk is not IHDR', bytesOf(pngOf(10, 10).subarray(0, 12), 'IDAT', pngOf(10, 10).subarray(16))],
  ];
  for (const [name, bytes] of notImages) {
    it(`refuses ${name}`, () => assert.equal(sniffImage(bytes), null));
  }

  it('refuses a side of 0 in every format that can state one', () => {
    const png = Uint8Array.from(pngOf(10, 10));
    png.fill(0, 16, 20);
    const jpegWithoutHeight = Uint8Array.from(jpegOf(10, 10));
    const sof = [...jpegSegments(jpegWithoutHeight)].find((segment) => segment.marker === 0xc0);
    assert.ok(sof);
    jpegWithoutHeight.fill(0, sof.offset + 5, sof.offset + 7);
    for (const bytes of [png, jpegWithoutHeight, gifOf(0, 10), gifOf(10, 0), vp8(0, 10), vp8(10, 0)]) assert.equal(sniffImage(bytes), null);
  });

  it('refuses a PNG side past 2^31 − 1', () => {
    const png = Uint8Array.from(pngOf(10, 10));
    png.set([0x80, 0, 0, 0], 16);
    assert.equal(sniffImage(png), null);
  });

  it('refuses every header cut short, and reads it once whole', () => {
    for (const [name, bytes, kind] of samples) {
      const results = Array.from({ length: Math.min(bytes.length, 700) + 1 }, (_, length) => sniffImage(bytes.subarray(0, length)));
      const first = results.findIndex((result) => result !== null);
      assert.ok(first > 0, name);
      for (const result of results.slice(first)) assert.deepEqual(result, kind, name);
    }
  });
});

describe('sniffing garbage', () => {
  const next = random(20_260_101);
  const byte = (): number => Math.floor(next() * 256);
  const check = (bytes: Uint8Array): void => {
    const kind = sniffImage(bytes);
    if (kind === null) return;
    assert.ok(['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(kind.type));
    assert.ok(Number.isInteger(kind.width) && kind.width > 0 && Number.isInteger(kind.height) && kind.height > 0, JSON.stringify(kind));
  };

  it('never throws on random bytes, and finds no image in them', () => {
    for (let i = 0; i < 20_000; i++) assert.equal(sniffImage(Uint8Array.from({ length: Math.floor(next() * 64) }, byte)), null);
  });

  it('never throws on random bytes behind each signature', () => {
    const signatures = [pngOf(2, 2).subarray(0, 16), [0xff, 0xd8, 0xff], 'GIF89a', 'RIFF\0\0\0\0WEBPVP8 ', 'RIFF\0\0\0\0WEBPVP8L', 'RIFF\0\0\0\0WEBPVP8X'];
    for (let i = 0; i < 30_000; i++) {
      const signature = signatures[i % signatures.length] ?? [];
      check(bytesOf(signature, Uint8Array.from({ length: Math.floor(next() * 48) }, byte)));
    }
  });

  it('never throws on real images with bytes changed or cut', () => {
    for (let i = 0; i < 20_000; i++) {
      const [, original] = samples[i % samples.length] ?? samples[0]!;
      const bytes = Uint8Array.from(original.subarray(0, Math.min(original.length, 1 + Math.floor(next() * 800))));
      for (let changes = 1 + Math.floor(next() * 4); changes > 0; changes--) bytes[Math.floor(next() * bytes.length)] = byte();
      check(bytes);
    }
  });
});
