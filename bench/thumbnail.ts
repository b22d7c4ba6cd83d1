import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as jsquashDecode from '@jsquash/jpeg/decode.js';
import * as jsquashEncode from '@jsquash/jpeg/encode.js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { createThumbnailer, makeThumbnail, sniffImage, type ImageKind, type Thumbnailer } from '@hearth/core';
import { REPEATS, printTable, round, spreadOf, writeResults, type Row, type Spread } from './common.ts';

/**
 * Thumbnails of uploaded photos (services/core/src/files/thumbnail.ts): time and peak resident
 * memory to decode a JPEG with jpeg-js (pure JavaScript, what thumbnails used before) and with
 * MozJPEG in WebAssembly (@jsquash/jpeg, what they use now), a PNG with pngjs, and to make the
 * whole thumbnail: on the calling thread (makeThumbnail) and in the worker (createThumbnailer,
 * its start included). Each measurement is a fresh process, so that its peak is its own; the
 * figures are the median of BENCH_REPEATS runs. The JPEGs are baseline 4:2:0 at quality 90, as
 * phone cameras write them, and one progressive; their pictures are gradients with noise.
 */

const SELF = fileURLToPath(import.meta.url);
const MiB = 2 ** 20;
/** Above makeThumbnail's default (24 million), so that the 40-megapixel image is measured too. */
const MAX_PIXELS = 50_000_000;

type Way = 'jpeg-js' | 'mozjpeg-wasm' | 'pngjs' | 'makeThumbnail' | 'createThumbnailer';

interface Sample {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly format: 'jpeg' | 'jpeg-progressive' | 'png';
}

const SAMPLES: readonly Sample[] = [
  { name: '1200×900 JPEG', width: 1200, height: 900, format: 'jpeg' },
  { name: '4000×3000 JPEG', width: 4000, height: 3000, format: 'jpeg' },
  { name: '4000×3000 JPEG, progressive', width: 4000, height: 3000, format: 'jpeg-progressive' },
  { name: '8000×5000 JPEG', width: 8000, height: 5000, format: 'jpeg' },
  { name: '4000×3000 PNG', width: 4000, height: 3000, format: 'png' },
];

const JPEG_WAYS: readonly Way[] = ['jpeg-js', 'mozjpeg-wasm', 'makeThumbnail', 'createThumbnailer'];
const PNG_WAYS: readonly Way[] = ['pngjs', 'makeThumbnail', 'createThumbnailer'];

/** One measurement, in the process that made it. */
interface Measured {
  readonly ms: number;
  /** Resident memory before the image was decoded (the bytes read), and the most the process ever had. */
  readonly baselineMiB: number;
  readonly peakMiB: number;
}

export interface ThumbnailCase {
  readonly image: string;
  readonly bytes: number;
  readonly way: Way;
  readonly ms: Spread;
  readonly peakRssMiB: Spread;
  /** Peak above the baseline, per pixel of the image (median run's). */
  readonly bytesPerPixel: number;
}

export interface ThumbnailResults {
  readonly repeats: number;
  readonly cases: readonly ThumbnailCase[];
}

// The WebAssembly API, which the repository's types (no DOM) do not declare.
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } };

async function wasmModule(file: string): Promise<object> {
  return new wasm.Module(await readFile(fileURLToPath(import.meta.resolve(`@jsquash/jpeg/codec/${file}`))));
}

interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** @jsquash/jpeg as its documentation has it, its .wasm loaded by hand (in Node it cannot fetch it). */
const codec = {
  decode: jsquashDecode as unknown as { init(module: object): Promise<void>; default(bytes: ArrayBuffer): Promise<RgbaImage> },
  encode: jsquashEncode as unknown as { init(module: object): Promise<void>; default(image: RgbaImage, options: object): Promise<ArrayBuffer> },
};

/** A photo-like picture: smooth colour over the frame, a coarse checkerboard, and noise in every pixel. */
function picture(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let state = 12_345;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      const grain = (state >>> 24) % 24;
      data[i] = 128 + 100 * Math.sin((x / width) * 9 + (y / height) * 3) + grain;
      data[i + 1] = 128 + 90 * Math.cos((y / height) * 7 - (x / width) * 2) + grain;
      data[i + 2] = ((x >> 6) + (y >> 6)) % 2 === 0 ? 60 + grain : 200 + grain;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

async function encodeSample(sample: Sample): Promise<Uint8Array> {
  const image = picture(sample.width, sample.height);
  if (sample.format === 'png') {
    const png = new PNG({ width: image.width, height: image.height });
    png.data = Buffer.from(image.data.buffer);
    return PNG.sync.write(png);
  }
  const progressive = sample.format === 'jpeg-progressive';
  const options = { quality: 90, baseline: !progressive, progressive, auto_subsample: false, chroma_subsample: 2 };
  return new Uint8Array(await codec.encode.default(image, options));
}

function kindOf(bytes: Uint8Array): ImageKind {
  const kind = sniffImage(bytes);
  if (kind === null) throw new Error('a sample is not an image');
  return kind;
}

/** Does the work of one way on the bytes (the thumbnailer's: with a thumbnailer made for it); its result is dropped. */
async function run(way: Way, bytes: Uint8Array, thumbnailer: Thumbnailer): Promise<unknown> {
  switch (way) {
    case 'jpeg-js':
      return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 4096 });
    case 'mozjpeg-wasm':
      return codec.decode.default(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    case 'pngjs':
      return PNG.sync.read(Buffer.from(bytes));
    case 'makeThumbnail':
      return makeThumbnail(bytes, kindOf(bytes), { maxPixels: MAX_PIXELS });
    case 'createThumbnailer':
      return thumbnailer.thumbnail(bytes, kindOf(bytes));
  }
}

/** In the child process: one measurement, printed as JSON. */
async function measure(way: Way, file: string): Promise<void> {
  const bytes = new Uint8Array(await readFile(file));
  if (way === 'mozjpeg-wasm') await codec.decode.init(await wasmModule('dec/mozjpeg_dec.wasm'));
  // Made here, its worker not started until the first thumbnail: the measurement includes the start.
  const thumbnailer = createThumbnailer({ maxPixels: MAX_PIXELS });
  const baselineMiB = process.memoryUsage().rss / MiB;
  const started = performance.now();
  const result = await run(way, bytes, thumbnailer);
  const ms = performance.now() - started;
  await thumbnailer.close();
  if (result === null) throw new Error(`${way} made nothing of ${file}`);
  const measured: Measured = { ms, baselineMiB, peakMiB: process.resourceUsage().maxRSS / 1024 };
  console.log(JSON.stringify(measured));
}

async function measureInChild(way: Way, file: string): Promise<Measured> {
  const { stdout } = await promisify(execFile)(process.execPath, [SELF, '--measure', way, file], { maxBuffer: MiB });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
}

async function measureCase(sample: Sample, way: Way, file: string, bytes: number): Promise<ThumbnailCase> {
  const runs: Measured[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await measureInChild(way, file));
  const peak = spreadOf(runs.map((run) => run.peakMiB));
  const median = runs.find((run) => run.peakMiB === peak.median) ?? runs[0]!;
  const round1 = (spread: Spread): Spread => ({ min: round(spread.min), median: round(spread.median), max: round(spread.max) });
  return {
    image: sample.name,
    bytes,
    way,
    ms: round1(spreadOf(runs.map((run) => run.ms))),
    peakRssMiB: round1(peak),
    bytesPerPixel: round(((median.peakMiB - median.baselineMiB) * MiB) / (sample.width * sample.height)),
  };
}

export async function runThumbnail(): Promise<ThumbnailResults> {
  await codec.encode.init(await wasmModule('enc/mozjpeg_enc.wasm'));
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-thumbnail-'));
  const cases: ThumbnailCase[] = [];
  try {
    for (const sample of SAMPLES) {
      const bytes = await encodeSample(sample);
      const file = path.join(dir, `${sample.width}x${sample.height}-${sample.format}`);
      await writeFile(file, bytes);
      for (const way of sample.format === 'png' ? PNG_WAYS : JPEG_WAYS) cases.push(await measureCase(sample, way, file, bytes.length));
    }
  } finally {
    await rm(dir, { recursive: true });
  }
  const results: ThumbnailResults = { repeats: REPEATS, cases };
  const written = await writeResults('thumbnail', results);
  printTable(`thumbnail → ${written}`, cases.map(rowOf));
  return results;
}

function rowOf(result: ThumbnailCase): Row {
  return {
    metric: `${result.image} (${round(result.bytes / MiB)} MiB): ${result.way}`,
    value: `${Math.round(result.ms.median)} ms`,
    note: `peak RSS ${Math.round(result.peakRssMiB.median)} MiB (${result.bytesPerPixel} B/pixel above the process's own); ${Math.round(result.ms.min)}–${Math.round(result.ms.max)} ms`,
  };
}

if (import.meta.main) {
  const [flag, way, file] = process.argv.slice(2);
  if (flag === '--measure' && way !== undefined && file !== undefined) await measure(way as Way, file);
  else await runThumbnail();
}
