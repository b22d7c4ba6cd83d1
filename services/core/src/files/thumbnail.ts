import { Buffer } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { hasAscii, jpegSegments, sniffImage, type ImageKind } from './image-kind.ts';
import { decodeJpeg, encodeJpeg } from './jpeg-codec.ts';

/*
 * Thumbnails of uploaded PNG and JPEG images, with no native image library (so no install
 * script): JPEG by MozJPEG compiled to WebAssembly (jpeg-codec.ts), PNG by pngjs. Decoding is
 * the danger: a few kilobytes can claim a picture of gigabytes, so the size is judged from the
 * header before any pixel is decoded, and each decoder is held to what that size needs.
 */

export interface ThumbnailOptions {
  /** The longest side a thumbnail may have, in pixels (480). */
  readonly maxEdge?: number;
  /** The most pixels an image may have to be decoded at all (24 million: 6000×4000). */
  readonly maxPixels?: number;
}

export interface Thumbnail {
  readonly bytes: Uint8Array;
  readonly type: 'image/jpeg' | 'image/png';
  readonly width: number;
  readonly height: number;
}

/** Decoded pixels: RGBA, 8 bits a channel, row after row. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const DEFAULT_MAX_EDGE = 480;
/**
 * Making a thumbnail takes about 9 bytes a pixel at its peak for a baseline JPEG, 12 for a
 * progressive one and 13–18 for a PNG (bench/thumbnail.ts): 24 million pixels (a 6000×4000
 * camera's) keep a JPEG under 300 MB, within a 512 MiB pod.
 */
const DEFAULT_MAX_PIXELS = 24_000_000;
/** An image within the edge and this size serves as its own thumbnail. */
const OWN_THUMBNAIL_BYTES = 256 * 1024;
const JPEG_QUALITY = 80;
/**
 * The WebAssembly memory the JPEG decoder may grow to, per pixel of the header's size (measured:
 * 4 bytes of RGBA output, and up to 6 more for a progressive 4:4:4 image's coefficients), plus the
 * compressed bytes and the 16 MiB it starts with. Only a JPEG that is not what its header says
 * (more components, larger tables, another frame) reaches it.
 */
const JPEG_DECODER_BYTES_PER_PIXEL = 12;
const JPEG_DECODER_HEADROOM_BYTES = 32 * 2 ** 20;

/**
 * A thumbnail of a PNG or JPEG upload that fits `maxEdge` on both sides, upright (the JPEG's
 * EXIF orientation applied), as JPEG, or as PNG when the image has any transparency. Null when
 * there is none to make: a GIF or WebP (the browser shows those whole), an image that is its own
 * thumbnail (small on screen and on disk), one of more than `maxPixels` pixels, or bytes that do
 * not decode. `kind` is what `sniffImage` said of the same bytes; the header is read again so that
 * a `kind` that does not match them cannot take a large image past the pixel limit.
 *
 * This is synchronous CPU work on the caller's thread, and it is heavy: a 12-megapixel JPEG takes
 * about 400 ms and 110–150 MB, a 4000×3000 PNG most of a second and 200 MB (bench/thumbnail.ts).
 * Servers call it through `createThumbnailer` (thumbnailer.ts): in a worker thread, one at a time.
 */
export function makeThumbnail(bytes: Uint8Array, kind: ImageKind, options: ThumbnailOptions = {}): Thumbnail | null {
  const checked = thumbnailOptions(options);
  if (!needsThumbnail(bytes, kind, checked)) return null;
  const image = decode(bytes, kind);
  if (image === null) return null;
  const size = fitWithin(image, checked.maxEdge);
  const scaled = boxDownscale(image, size.width, size.height);
  const upright = kind.type === 'image/jpeg' ? orient(scaled, jpegOrientation(bytes)) : scaled;
  return encode(upright, hasTransparency(image));
}

/**
 * Whether `makeThumbnail` would decode these bytes at all, from their header alone: a PNG or JPEG
 * that is what `kind` says, larger than its own thumbnail would be, and within `maxPixels`.
 */
export function needsThumbnail(bytes: Uint8Array, kind: ImageKind, options: ThumbnailOptions = {}): boolean {
  const { maxEdge, maxPixels } = thumbnailOptions(options);
  if (kind.type !== 'image/png' && kind.type !== 'image/jpeg') return false;
  if (!isKindOf(bytes, kind)) return false;
  if (Math.max(kind.width, kind.height) <= maxEdge && bytes.length <= OWN_THUMBNAIL_BYTES) return false;
  // Before decoding: the header's size is all that stands between a decompression bomb and the heap.
  return kind.width * kind.height <= maxPixels;
}

function isKindOf(bytes: Uint8Array, kind: ImageKind): boolean {
  const header = sniffImage(bytes);
  return header !== null && header.type === kind.type && header.width === kind.width && header.height === kind.height;
}

/** The options with their defaults, or a RangeError that names the one out of range. */
export function thumbnailOptions(options: ThumbnailOptions): Required<ThumbnailOptions> {
  const { maxEdge = DEFAULT_MAX_EDGE, maxPixels = DEFAULT_MAX_PIXELS } = options;
  if (!Number.isInteger(maxEdge) || maxEdge < 1) throw new RangeError(`maxEdge must be a whole number of pixels, at least 1; got ${maxEdge}`);
  if (!Number.isFinite(maxPixels) || maxPixels < 1) throw new RangeError(`maxPixels must be a number of pixels, at least 1; got ${maxPixels}`);
  return { maxEdge, maxPixels };
}

/** The decoded pixels, or null when the data behind a good header does not decode to that header's size. */
function decode(bytes: Uint8Array, kind: ImageKind): Pixels | null {
  try {
    const image = kind.type === 'image/png' ? decodePng(bytes, kind) : decodeJpeg(bytes, jpegDecoderHeapBytes(bytes, kind));
    return image !== null && image.width === kind.width && image.height === kind.height ? image : null;
  } catch {
    // The decoders throw plain Errors on corrupt data; a corrupt upload simply has no thumbnail.
    return null;
  }
}

function decodePng(bytes: Uint8Array, kind: ImageKind): Pixels | null {
  if (isInterlaced(bytes) && !interlacedDataFits(bytes, kind)) return null;
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: png.data };
}

function jpegDecoderHeapBytes(bytes: Uint8Array, kind: ImageKind): number {
  return kind.width * kind.height * JPEG_DECODER_BYTES_PER_PIXEL + bytes.length + JPEG_DECODER_HEADROOM_BYTES;
}

/** IHDR's interlace method, at a fixed place since IHDR comes first (`sniffImage` checked that). */
function isInterlaced(bytes: Uint8Array): boolean {
  return bytes[28] === 1;
}

/** Channels per pixel by PNG colour type: grey, RGB, palette index, grey and alpha, RGBA. */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * pngjs caps the inflated data of a PNG at its pixels' size, but inflates an interlaced one with
 * no cap: a megabyte of compressed zeros would become a gigabyte. So an interlaced PNG's data is
 * inflated here first, capped at what Adam7's seven passes can hold (each pass row adds a filter
 * byte and at most a byte of padding; the passes have fewer than 2 × height rows in all).
 */
function interlacedDataFits(bytes: Uint8Array, kind: ImageKind): boolean {
  const bitsPerPixel = (bytes[24] ?? 16) * (PNG_CHANNELS[bytes[25] ?? 6] ?? 4);
  const cap = Math.ceil((kind.width * kind.height * bitsPerPixel) / 8) + 4 * kind.height + 16;
  try {
    inflateSync(pngImageData(bytes), { maxOutputLength: cap });
    return true;
  } catch {
    return false;
  }
}

const IDAT = 0x49444154;

/** The IDAT chunks' data, joined: the zlib stream of a PNG's pixels. */
function pngImageData(bytes: Uint8Array): Buffer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let offset = 8; offset + 12 <= bytes.length; offset += 12 + view.getUint32(offset)) {
    if (view.getUint32(offset + 4) === IDAT) parts.push(bytes.subarray(offset + 8, offset + 8 + view.getUint32(offset)));
  }
  return Buffer.concat(parts);
}

function hasTransparency(image: Pixels): boolean {
  for (let i = 3; i < image.data.length; i += 4) {
    if (image.data[i] !== 255) return true;
  }
  return false;
}

/** The size that fits `maxEdge` × `maxEdge` with the same aspect ratio, never larger than the image. */
function fitWithin(image: { readonly width: number; readonly height: number }, maxEdge: number): { width: number; height: number } {
  const scale = Math.min(1, maxEdge / Math.max(image.width, image.height));
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}

/** The source pixels one target pixel covers along one axis, from `first`, each weighted by how much of it is covered (the weights add up to 1). */
interface Span {
  readonly first: number;
  readonly weights: Float64Array;
}

function spans(sourceLength: number, targetLength: number): Span[] {
  const ratio = sourceLength / targetLength;
  return Array.from({ length: targetLength }, (_, i) => {
    const start = i * ratio;
    const end = (i + 1) * ratio;
    const first = Math.floor(start);
    const weights = new Float64Array(Math.min(sourceLength, Math.ceil(end)) - first);
    for (let k = 0; k < weights.length; k++) weights[k] = (Math.min(end, first + k + 1) - Math.max(start, first + k)) / ratio;
    return { first, weights };
  });
}

/**
 * Area averaging: each target pixel is the mean of the source area it covers, partly covered
 * pixels weighted by the part. Right for any reduction, however large, where sampling a few
 * source pixels would alias. Colours are averaged weighted by alpha (premultiplied), so the
 * invisible colour of transparent pixels does not bleed into their neighbours. One target row
 * at a time, so it needs memory for the target alone.
 */
export function boxDownscale(source: Pixels, width: number, height: number): Pixels {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width <= source.width && height <= source.height)) {
    throw new RangeError(`cannot reduce ${source.width}×${source.height} to ${width}×${height}`);
  }
  const columns = spans(source.width, width);
  const data = new Uint8Array(width * height * 4);
  const row = new Float64Array(width * 4);
  const addRow = (y: number, weight: number): void => {
    const start = y * source.width * 4;
    columns.forEach(({ first, weights }, x) => {
      let [red, green, blue, alpha] = [0, 0, 0, 0];
      for (let k = 0; k < weights.length; k++) {
        // Within bounds: a span's pixels are inside the source row.
        const i = start + (first + k) * 4;
        const w = weight * weights[k]! * source.data[i + 3]!;
        red += w * source.data[i]!;
        green += w * source.data[i + 1]!;
        blue += w * source.data[i + 2]!;
        alpha += w;
      }
      row.set([row[x * 4]! + red, row[x * 4 + 1]! + green, row[x * 4 + 2]! + blue, row[x * 4 + 3]! + alpha], x * 4);
    });
  };
  spans(source.height, height).forEach(({ first, weights }, y) => {
    row.fill(0);
    weights.forEach((weight, k) => addRow(first + k, weight));
    unpremultiply(row, data, y * width * 4);
  });
  return { width, height, data };
}

/** Alpha-weighted sums back to 8-bit RGBA; a wholly transparent pixel is transparent black. */
function unpremultiply(sums: Float64Array, target: Uint8Array, offset: number): void {
  for (let i = 0; i < sums.length; i += 4) {
    const alpha = sums[i + 3]!;
    if (alpha <= 0) continue;
    target[offset + i] = Math.round(sums[i]! / alpha);
    target[offset + i + 1] = Math.round(sums[i + 1]! / alpha);
    target[offset + i + 2] = Math.round(sums[i + 2]! / alpha);
    target[offset + i + 3] = Math.round(alpha);
  }
}

/** How to read the stored pixels for each EXIF orientation (1–8): swap the axes, then count x or y from the far end. */
const ORIENTATIONS: readonly (readonly [transpose: boolean, flipX: boolean, flipY: boolean])[] = [
  [false, false, false],
  [false, false, false],
  [false, true, false],
  [false, true, true],
  [false, false, true],
  [true, false, false],
  [true, false, true],
  [true, true, true],
  [true, true, false],
];

/** Where to read the pixels of an image shown in an orientation: the stored pixel shown at (x, y) is at origin + x × stepX + y × stepY. */
interface ReadOrder {
  readonly width: number;
  readonly height: number;
  readonly origin: number;
  readonly stepX: number;
  readonly stepY: number;
}

function readOrder(image: Pixels, orientation: number): ReadOrder | null {
  const [transpose, flipX, flipY] = ORIENTATIONS[orientation] ?? [false, false, false];
  if (!transpose && !flipX && !flipY) return null;
  const alongRow = flipX ? -1 : 1;
  const alongColumn = flipY ? -image.width : image.width;
  const origin = (flipX ? image.width - 1 : 0) + (flipY ? (image.height - 1) * image.width : 0);
  return transpose
    ? { width: image.height, height: image.width, origin, stepX: alongColumn, stepY: alongRow }
    : { width: image.width, height: image.height, origin, stepX: alongRow, stepY: alongColumn };
}

/** The image as it is meant to be seen, given its EXIF orientation; any other value leaves it as stored. */
export function orient(image: Pixels, orientation: number): Pixels {
  const order = readOrder(image, orientation);
  if (order === null) return image;
  const { width, height, origin, stepX, stepY } = order;
  const data = new Uint8Array(image.data.length);
  for (let y = 0, to = 0; y < height; y++) {
    for (let x = 0; x < width; x++, to += 4) {
      const from = (origin + x * stepX + y * stepY) * 4;
      data.set(image.data.subarray(from, from + 4), to);
    }
  }
  return { width, height, data };
}

const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** The EXIF orientation (1–8) in a JPEG's APP1 segment; 1, as stored, when there is none or it cannot be read. */
export function jpegOrientation(bytes: Uint8Array): number {
  for (const { marker, offset, length } of jpegSegments(bytes)) {
    if (marker === 0xe1 && hasAscii(bytes, offset + 4, 'Exif\0\0')) {
      return tiffOrientation(bytes.subarray(offset + 10, Math.min(bytes.length, offset + 2 + length)));
    }
  }
  return 1;
}

/** IFD0's orientation tag in EXIF's TIFF structure: byte order, 42, IFD0's offset, then 12-byte entries. */
function tiffOrientation(tiff: Uint8Array): number {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = hasAscii(tiff, 0, 'II');
  if (tiff.length < 8 || !(little || hasAscii(tiff, 0, 'MM')) || view.getUint16(2, little) !== 42) return 1;
  const entry = ifdEntry(view, view.getUint32(4, little), ORIENTATION_TAG, little);
  if (entry === null || view.getUint16(entry + 2, little) !== SHORT) return 1;
  const value = view.getUint16(entry + 8, little);
  return value >= 1 && value <= 8 ? value : 1;
}

/** Where the IFD at `ifd` holds the entry for `tag`, if it does within `view`. */
function ifdEntry(view: DataView, ifd: number, tag: number, little: boolean): number | null {
  const count = ifd + 2 <= view.byteLength ? view.getUint16(ifd, little) : 0;
  for (let entry = ifd + 2; entry < ifd + 2 + count * 12 && entry + 12 <= view.byteLength; entry += 12) {
    if (view.getUint16(entry, little) === tag) return entry;
  }
  return null;
}

function encode(image: Pixels, transparent: boolean): Thumbnail {
  const { width, height } = image;
  if (!transparent) return { bytes: encodeJpeg(image, JPEG_QUALITY), type: 'image/jpeg', width, height };
  const png = new PNG({ width, height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return { bytes: PNG.sync.write(png), type: 'image/png', width, height };
}
