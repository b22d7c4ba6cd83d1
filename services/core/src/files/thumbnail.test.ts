import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { sniffImage, type ImageKind } from './image-kind.ts';
import { boxDownscale, jpegOrientation, makeThumbnail, orient, type Pixels, type Thumbnail } from './thumbnail.ts';

type Rgba = readonly [number, number, number, number];
type Paint = (x: number, y: number) => Rgba;

function pixelsOf(width: number, height: number, paint: Paint): Pixels {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * 4);
  }
  return { width, height, data };
}

function pngOf(width: number, height: number, paint: Paint): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(pixelsOf(width, height, paint).data);
  return PNG.sync.write(png);
}

function jpegOf(width: number, height: number, paint: Paint): Uint8Array {
  return jpeg.encode(pixelsOf(width, height, paint), 90).data;
}

function pixelAt(image: Pixels, x: number, y: number): Rgba {
  const i = (y * image.width + x) * 4;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
}

function decoded(thumbnail: Thumbnail): Pixels {
  const buffer = Buffer.from(thumbnail.bytes);
  return thumbnail.type === 'image/png' ? PNG.sync.read(buffer) : jpeg.decode(buffer, { useTArray: true });
}

/** Makes a thumbnail from bytes that sniff as an image, checks that its bytes are what it says, and decodes it. */
function thumbnailOf(bytes: Uint8Array, options: Parameters<typeof makeThumbnail>[2] = {}): { thumbnail: Thumbnail; pixels: Pixels } {
  const kind = sniffImage(bytes);
  assert.ok(kind);
  const thumbnail = makeThumbnail(bytes, kind, options);
  assert.ok(thumbnail, 'a thumbnail');
  assert.deepEqual(sniffImage(thumbnail.bytes), { type: thumbnail.type, width: thumbnail.width, height: thumbnail.height });
  const pixels = decoded(thumbnail);
  assert.deepEqual([pixels.width, pixels.height], [thumbnail.width, thumbnail.height]);
  return { thumbnail, pixels };
}

const near = (actual: Rgba, expected: Rgba, tolerance: number, what = ''): void =>
  assert.ok(
    actual.every((channel, i) => Math.abs(channel - expected[i]!) <= tolerance),
    `${what} ${actual.join(',')} is not within ${tolerance} of ${expected.join(',')}`,
  );

const BLACK: Rgba = [0, 0, 0, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const noise = (seed: number): Paint => {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return [state >>> 24, (state >>> 16) & 0xff, (state >>> 8) & 0xff, 255];
  };
};

function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const frame = Buffer.alloc(12 + data.length);
  frame.writeUInt32BE(data.length, 0);
  body.copy(frame, 4);
  frame.writeUInt32BE(crc32(body), 8 + data.length);
  return frame;
}

/** A PNG put together by hand: RGB, 8 bits, with the given interlace method and compressed pixel data. */
function pngByHand(width: number, height: number, interlace: 0 | 1, pixelData: Uint8Array): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, interlace], 8);
  const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', pixelData), chunk('IEND', new Uint8Array())]);
}

/** Adam7's passes: first row, first column, row step, column step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [0, 4, 8, 8],
  [4, 0, 8, 4],
  [0, 2, 4, 4],
  [2, 0, 4, 2],
  [0, 1, 2, 2],
  [1, 0, 2, 1],
] as const;

/** An interlaced RGB PNG's filtered data (filter 0 on every row), pass after pass. */
function adam7(width: number, height: number, paint: Paint): Uint8Array {
  const rows: number[] = [];
  for (const [row0, column0, rowStep, columnStep] of ADAM7) {
    for (let y = row0; y < height && column0 < width; y += rowStep) {
      rows.push(0);
      for (let x = column0; x < width; x += columnStep) rows.push(...paint(x, y).slice(0, 3));
    }
  }
  return Uint8Array.from(rows);
}

/** An APP1 segment's payload: "Exif\0\0", then a TIFF header and IFD0 holding the orientation alone. */
function exifPayload(orientation: number, order: 'II' | 'MM'): Uint8Array {
  const tiff = Buffer.alloc(26);
  const little = order === 'II';
  const u16 = (value: number, at: number): number => (little ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at));
  const u32 = (value: number, at: number): number => (little ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at));
  tiff.write(order, 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(orientation, 18);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** The JPEG with an APP1 Exif segment just after SOI, where cameras put it. */
function withExif(image: Uint8Array, orientation: number, order: 'II' | 'MM' = 'II'): Uint8Array {
  const payload = exifPayload(orientation, order);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([image.subarray(0, 2), segment, payload, image.subarray(2)]);
}

describe('thumbnails', () => {
  it('makes an opaque PNG a JPEG that keeps its aspect ratio: 2000×500 → 480×120', () => {
    const { thumbnail } = thumbnailOf(pngOf(2000, 500, (x) => (x < 1000 ? BLACK : WHITE)));
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/jpeg', 480, 120]);
  });

  it('keeps a tall image tall: 500×2000 → 120×480', () => {
    const { thumbnail } = thumbnailOf(jpegOf(500, 2000, () => WHITE));
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/jpeg', 120, 480]);
  });

  it('shows the same picture, averaged: left half black, right half white', () => {
    const { pixels } = thumbnailOf(pngOf(1000, 500, (x) => (x < 500 ? BLACK : WHITE)));
    assert.deepEqual([pixels.width, pixels.height], [480, 240]);
    near(pixelAt(pixels, 100, 120), BLACK, 6, 'left');
    near(pixelAt(pixels, 380, 120), WHITE, 6, 'right');
  });

  it('keeps transparency: a PNG with any transparent pixel gives a PNG', () => {
    const { thumbnail, pixels } = thumbnailOf(pngOf(1000, 1000, (x, y) => (x < 500 && y < 500 ? [255, 0, 0, 0] : [0, 0, 255, 255])));
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/png', 480, 480]);
    assert.equal(pixelAt(pixels, 100, 100)[3], 0);
    assert.deepEqual(pixelAt(pixels, 400, 400), [0, 0, 255, 255]);
  });

  it('makes a PNG of a single pixel less than opaque', () => {
    const { thumbnail } = thumbnailOf(pngOf(1000, 1000, (x, y) => (x === 999 && y === 0 ? [9, 9, 9, 254] : WHITE)));
    assert.equal(thumbnail.type, 'image/png');
  });

  it('makes a thumbnail of a JPEG as a JPEG: 1200×800 → 480×320', () => {
    const { thumbnail, pixels } = thumbnailOf(jpegOf(1200, 800, () => [200, 30, 40, 255]));
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/jpeg', 480, 320]);
    near(pixelAt(pixels, 240, 160), [200, 30, 40, 255], 6);
  });

  it('lets a small image be its own thumbnail', () => {
    const png = pngOf(300, 200, () => WHITE);
    assert.equal(makeThumbnail(png, { type: 'image/png', width: 300, height: 200 }), null);
    const image = jpegOf(480, 480, () => WHITE);
    assert.equal(makeThumbnail(image, { type: 'image/jpeg', width: 480, height: 480 }), null);
  });

  it('re-encodes, never enlarges, an image within the edge that is heavy on disk', () => {
    const png = pngOf(400, 300, noise(7));
    assert.ok(png.length > 256 * 1024);
    const { thumbnail } = thumbnailOf(png);
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/jpeg', 400, 300]);
    assert.ok(thumbnail.bytes.length < png.length);
  });

  it('honours a smaller edge', () => {
    const { thumbnail } = thumbnailOf(
      pngOf(90, 60, () => WHITE),
      { maxEdge: 30 },
    );
    assert.deepEqual([thumbnail.width, thumbnail.height], [30, 20]);
  });

  it('leaves GIF and WebP to the browser', () => {
    for (const type of ['image/gif', 'image/webp'] as const) {
      assert.equal(makeThumbnail(new Uint8Array(300_000), { type, width: 4000, height: 3000 }), null);
    }
  });

  it('makes none when the kind is not what the bytes are', () => {
    const png = pngOf(1000, 500, () => WHITE);
    assert.equal(makeThumbnail(png, { type: 'image/jpeg', width: 1000, height: 500 }), null);
    assert.equal(makeThumbnail(png, { type: 'image/png', width: 100, height: 50 }), null);
  });

  it('refuses bad options by name', () => {
    const png = pngOf(600, 10, () => WHITE);
    const kind: ImageKind = { type: 'image/png', width: 600, height: 10 };
    assert.throws(() => makeThumbnail(png, kind, { maxEdge: 0 }), /maxEdge/);
    assert.throws(() => makeThumbnail(png, kind, { maxEdge: 1.5 }), /maxEdge/);
    assert.throws(() => makeThumbnail(png, kind, { maxPixels: Number.NaN }), /maxPixels/);
  });
});

describe('decompression bombs and corrupt images', () => {
  it('refuses a PNG claiming 100000×100000 from its header, at once', () => {
    const bomb = pngByHand(100_000, 100_000, 0, deflateSync(new Uint8Array(1000)));
    const kind = sniffImage(bomb);
    assert.deepEqual(kind, { type: 'image/png', width: 100_000, height: 100_000 });
    const started = performance.now();
    assert.equal(makeThumbnail(bomb, kind), null);
    assert.ok(performance.now() - started < 50);
  });

  it('refuses a JPEG claiming 65535×65535', () => {
    const image = Buffer.from(jpegOf(16, 16, () => WHITE));
    const sof = image.indexOf(Buffer.from([0xff, 0xc0]));
    image.writeUInt16BE(65_535, sof + 5);
    image.writeUInt16BE(65_535, sof + 7);
    assert.equal(makeThumbnail(image, { type: 'image/jpeg', width: 65_535, height: 65_535 }), null);
  });

  it('draws the line at maxPixels exactly, on an image that decodes', () => {
    const png = pngOf(1000, 1000, () => WHITE);
    const kind: ImageKind = { type: 'image/png', width: 1000, height: 1000 };
    assert.equal(makeThumbnail(png, kind, { maxPixels: 999_999 }), null);
    assert.notEqual(makeThumbnail(png, kind, { maxPixels: 1_000_000 }), null);
    const image = jpegOf(1000, 1000, () => WHITE);
    assert.equal(makeThumbnail(image, { ...kind, type: 'image/jpeg' }, { maxPixels: 999_999 }), null);
    assert.notEqual(makeThumbnail(image, { ...kind, type: 'image/jpeg' }, { maxPixels: 1_000_000 }), null);
  });

  it('decodes an interlaced PNG', () => {
    const paint: Paint = (x, y) => (x < 300 === y < 300 ? [250, 0, 0, 255] : [0, 0, 250, 255]);
    const { thumbnail, pixels } = thumbnailOf(pngByHand(600, 600, 1, deflateSync(adam7(600, 600, paint))));
    assert.deepEqual([thumbnail.type, thumbnail.width, thumbnail.height], ['image/jpeg', 480, 480]);
    near(pixelAt(pixels, 100, 100), [250, 0, 0, 255], 8);
    near(pixelAt(pixels, 380, 100), [0, 0, 250, 255], 8);
  });

  it('decodes interlaced PNGs of every small size, whose passes may be empty', () => {
    // Adam7 repeats every 8 pixels: sides up to 9 give every combination of empty passes.
    for (let width = 1; width <= 9; width++) {
      for (let height = width === 1 ? 2 : 1; height <= 9; height++) {
        const png = pngByHand(width, height, 1, deflateSync(adam7(width, height, noise(width * height))));
        assert.notEqual(makeThumbnail(png, { type: 'image/png', width, height }, { maxEdge: 1 }), null, `${width}×${height}`);
      }
    }
  });

  it('refuses an interlaced PNG whose data inflates past its size, without inflating it all', () => {
    // 600×600 RGB needs about a megabyte; these 40 kB inflate to 40 MB, which pngjs would hold (twice) before failing.
    const bomb = pngByHand(600, 600, 1, deflateSync(new Uint8Array(40 * 2 ** 20), { level: 9 }));
    assert.ok(bomb.length < 100_000);
    const before = process.memoryUsage().arrayBuffers;
    assert.equal(makeThumbnail(bomb, { type: 'image/png', width: 600, height: 600 }), null);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 2 ** 20);
  });

  it('makes none from a PNG or JPEG cut short or damaged behind a good header', () => {
    const png = pngOf(800, 600, noise(3));
    const image = jpegOf(800, 600, noise(5));
    const damaged = (bytes: Uint8Array): Uint8Array => Uint8Array.from(bytes).fill(0x55, 400, 4000);
    for (const bytes of [png.subarray(0, png.length / 2), image.subarray(0, image.length / 2), image.subarray(0, 700), damaged(png)]) {
      const kind = sniffImage(bytes);
      assert.ok(kind, 'the header still reads');
      assert.equal(makeThumbnail(bytes, kind), null);
    }
  });

  it('never throws on images with bytes changed', () => {
    let state = 99;
    const next = (limit: number): number => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) >>> 8) % limit;
    const originals = [pngOf(64, 48, noise(1)), jpegOf(64, 48, noise(2)), withExif(jpegOf(48, 64, noise(4)), 6)];
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from(originals[i % originals.length]!);
      for (let changes = 1 + next(6); changes > 0; changes--) bytes[next(bytes.length)] = next(256);
      const kind = sniffImage(bytes);
      if (kind !== null) assert.doesNotThrow(() => makeThumbnail(bytes, kind, { maxEdge: 16, maxPixels: 100_000 }));
    }
  });
});

describe('EXIF orientation', () => {
  // Stored 600×300, white but for a black top-left quarter.
  const stored = jpegOf(600, 300, (x, y) => (x < 300 && y < 150 ? BLACK : WHITE));

  it('reads the orientation tag in either byte order, and 1 without one', () => {
    assert.equal(jpegOrientation(stored), 1);
    for (let orientation = 1; orientation <= 8; orientation++) {
      assert.equal(jpegOrientation(withExif(stored, orientation, 'II')), orientation);
      assert.equal(jpegOrientation(withExif(stored, orientation, 'MM')), orientation);
    }
    assert.equal(jpegOrientation(withExif(stored, 9)), 1);
    assert.equal(jpegOrientation(withExif(stored, 0)), 1);
    assert.equal(jpegOrientation(pngOf(2, 2, () => WHITE)), 1);
  });

  it('turns a phone photo stored sideways (orientation 6) upright, sides swapped', () => {
    const { thumbnail, pixels } = thumbnailOf(withExif(stored, 6));
    assert.deepEqual([thumbnail.width, thumbnail.height], [240, 480]);
    // Turned a quarter clockwise, the stored top-left quarter is shown at the top right.
    near(pixelAt(pixels, 180, 60), BLACK, 10, 'top right');
    for (const [x, y] of [
      [60, 60],
      [60, 420],
      [180, 420],
    ] as const) {
      near(pixelAt(pixels, x, y), WHITE, 10, `${x},${y}`);
    }
  });

  it('keeps the sides of orientation 3 (upside down), and shows the black quarter at the bottom right', () => {
    const { thumbnail, pixels } = thumbnailOf(withExif(stored, 3, 'MM'));
    assert.deepEqual([thumbnail.width, thumbnail.height], [480, 240]);
    near(pixelAt(pixels, 420, 180), BLACK, 10);
    near(pixelAt(pixels, 60, 60), WHITE, 10);
  });

  // Stored 3 wide and 2 high, A B C over D E F; as each orientation shows it (TIFF 6.0, EXIF 2.32).
  const letters = 'ABCDEF';
  const shown: readonly [number, string][] = [
    [1, 'ABC/DEF'],
    [2, 'CBA/FED'],
    [3, 'FED/CBA'],
    [4, 'DEF/ABC'],
    [5, 'AD/BE/CF'],
    [6, 'DA/EB/FC'],
    [7, 'FC/EB/DA'],
    [8, 'CF/BE/AD'],
  ];
  const image = pixelsOf(3, 2, (x, y) => [letters.charCodeAt(y * 3 + x), 0, 0, 255]);
  for (const [orientation, expected] of shown) {
    it(`shows orientation ${orientation} as ${expected}`, () => {
      const result = orient(image, orientation);
      const rows = Array.from({ length: result.height }, (_, y) =>
        Array.from({ length: result.width }, (_, x) => String.fromCharCode(pixelAt(result, x, y)[0])).join(''),
      );
      assert.equal(rows.join('/'), expected);
    });
  }
});

describe('area-averaging downscale', () => {
  const values = (image: Pixels): number[] => Array.from(image.data);

  it('halves left-black, right-white into one black and one white pixel', () => {
    const source = pixelsOf(4, 2, (x) => (x < 2 ? BLACK : WHITE));
    assert.deepEqual(values(boxDownscale(source, 2, 1)), [...BLACK, ...WHITE]);
  });

  it('weighs a partly covered pixel by the part: 4 → 3 across an edge', () => {
    const result = boxDownscale(
      pixelsOf(4, 1, (x) => (x < 2 ? BLACK : WHITE)),
      3,
      1,
    );
    near(pixelAt(result, 0, 0), BLACK, 0);
    near(pixelAt(result, 1, 0), [128, 128, 128, 255], 1);
    near(pixelAt(result, 2, 0), WHITE, 0);
  });

  it('averages a 9×9 checkerboard into 3×3 fifths and fourths of white', () => {
    const result = boxDownscale(
      pixelsOf(9, 9, (x, y) => ((x + y) % 2 === 0 ? WHITE : BLACK)),
      3,
      3,
    );
    // Each 3×3 block holds 5 white if its corner is white, 4 otherwise.
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) near(pixelAt(result, x, y), (x + y) % 2 === 0 ? [142, 142, 142, 255] : [113, 113, 113, 255], 0, `${x},${y}`);
    }
  });

  it('gives grey, not black or white, for a fine checkerboard reduced 100 times', () => {
    const result = boxDownscale(
      pixelsOf(1000, 1000, (x, y) => ((x + y) % 2 === 0 ? WHITE : BLACK)),
      10,
      10,
    );
    for (let i = 0; i < 100; i++) near(pixelAt(result, i % 10, Math.floor(i / 10)), [128, 128, 128, 255], 1);
  });

  it('does not let the colour of a transparent pixel bleed into its neighbour', () => {
    const result = boxDownscale(
      pixelsOf(2, 1, (x) => (x === 0 ? [255, 0, 0, 255] : [0, 255, 0, 0])),
      1,
      1,
    );
    near(pixelAt(result, 0, 0), [255, 0, 0, 128], 1);
  });

  it('refuses to enlarge', () => {
    assert.throws(
      () =>
        boxDownscale(
          pixelsOf(2, 2, () => WHITE),
          3,
          2,
        ),
      RangeError,
    );
  });
});
