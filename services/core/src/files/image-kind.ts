/*
 * What an uploaded file is, judged from its bytes alone: the declared type and the file name are
 * the uploader's word, and a browser told "image/png" about an HTML or SVG file may run it. Only
 * the raster formats a browser shows inline count, and only their headers are read, so this is
 * cheap on any upload and never decodes pixels. Anything else, cut short or claiming a zero side,
 * is not an image here.
 */

export type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface ImageKind {
  readonly type: ImageType;
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image an upload's bytes are, with its size in pixels, or null when they are no image shown inline. */
export function sniffImage(bytes: Uint8Array): ImageKind | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = sniffPng(bytes, view) ?? sniffJpeg(bytes, view) ?? sniffGif(bytes, view) ?? sniffWebp(bytes, view);
  return found !== null && found.width > 0 && found.height > 0 ? found : null;
}

/** Whether `bytes` hold `text`'s characters (each below 256) at `offset`. */
export function hasAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** The signature, then IHDR, which the PNG specification requires to come first, 13 bytes long. */
function sniffPng(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (bytes.length < 8 + 8 + 13 || !PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return null;
  if (view.getUint32(8) !== 13 || !hasAscii(bytes, 12, 'IHDR')) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  // The specification bounds each side to 2^31 - 1.
  if (width > 0x7fffffff || height > 0x7fffffff) return null;
  return { type: 'image/png', width, height };
}

/** SOF0–SOF15 carry the frame's size; C4 (DHT), C8 (reserved, JPG) and CC (DAC) share the range but do not. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

export interface JpegSegment {
  readonly marker: number;
  /** Where the segment's marker is; its data runs from `offset + 4` to `offset + 2 + length`. */
  readonly offset: number;
  /** The segment's length field, which counts itself but not the marker. */
  readonly length: number;
}

/**
 * The segments of a JPEG's header, from SOI up to the first scan (SOS) or the end (EOI), each
 * with its length field whole in `bytes`; it stops at the first byte that is no marker, so garbage
 * ends it rather than throwing.
 */
export function* jpegSegments(bytes: Uint8Array): Generator<JpegSegment> {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = view.getUint8(offset + 1);
    // A marker may be preceded by any number of 0xFF fill bytes.
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (marker === 0xd9 || marker === 0xda || length < 2) return;
    yield { marker, offset, length };
    offset += 2 + length;
  }
}

/** The first start of frame's height and width; a scan or the end before it means no size. */
function sniffJpeg(bytes: Uint8Array, view: DataView): ImageKind | null {
  for (const { marker, offset } of jpegSegments(bytes)) {
    if (!isStartOfFrame(marker)) continue;
    return offset + 9 <= bytes.length ? { type: 'image/jpeg', height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) } : null;
  }
  return null;
}

/** GIF87a or GIF89a, then the logical screen's width and height, little-endian. */
function sniffGif(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (bytes.length < 10 || !(hasAscii(bytes, 0, 'GIF87a') || hasAscii(bytes, 0, 'GIF89a'))) return null;
  return { type: 'image/gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
}

function uint24le(view: DataView, offset: number): number {
  return view.getUint16(offset, true) | (view.getUint8(offset + 2) << 16);
}

/** RIFF….WEBP, then the first chunk: a lossy (VP8), lossless (VP8L) or extended (VP8X) image. */
function sniffWebp(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (!hasAscii(bytes, 0, 'RIFF') || !hasAscii(bytes, 8, 'WEBP')) return null;
  // The chunk's data starts at 20, after its four-character code and its length.
  if (hasAscii(bytes, 12, 'VP8 ')) return sniffVp8(bytes, view);
  if (hasAscii(bytes, 12, 'VP8L')) return sniffVp8l(bytes, view);
  if (hasAscii(bytes, 12, 'VP8X')) return sniffVp8x(bytes, view);
  return null;
}

/** A key frame's 3-byte tag (bit 0 clear), the start code 9D 01 2A, then 14-bit width and height. */
function sniffVp8(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (bytes.length < 30 || ((bytes[20] ?? 1) & 1) !== 0) return null;
  if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
  return { type: 'image/webp', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
}

/** The signature 0x2F, then width − 1 and height − 1 in 14 bits each. */
function sniffVp8l(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (bytes.length < 25 || bytes[20] !== 0x2f) return null;
  const bits = view.getUint32(21, true);
  return { type: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/** Flags and three reserved bytes, then the canvas's width − 1 and height − 1 in 24 bits each. */
function sniffVp8x(bytes: Uint8Array, view: DataView): ImageKind | null {
  if (bytes.length < 30) return null;
  return { type: 'image/webp', width: uint24le(view, 24) + 1, height: uint24le(view, 27) + 1 };
}
