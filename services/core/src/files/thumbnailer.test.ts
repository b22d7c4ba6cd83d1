import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { sniffImage, type ImageKind } from './image-kind.ts';
import { encodeJpeg } from './jpeg-codec.ts';
import { makeThumbnail, type Pixels, type Thumbnail } from './thumbnail.ts';
import { createThumbnailer, type Thumbnailer, type ThumbnailerOptions } from './thumbnailer.ts';

interface Upload {
  readonly bytes: Uint8Array;
  readonly kind: ImageKind;
}

/** A picture with some detail (gradients and a checkerboard), so that its JPEG is of a camera's size. */
function picture(width: number, height: number): Pixels {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x >> 5) + (y >> 5)) % 2 === 0 ? 40 : 220;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

function upload(bytes: Uint8Array): Upload {
  const kind = sniffImage(bytes);
  assert.ok(kind);
  return { bytes, kind };
}

function pngOf(image: Pixels): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data);
  return PNG.sync.write(png);
}

interface Started {
  readonly thumbnailer: Thumbnailer;
  /** The workers it started, in order, and when each exited. */
  readonly workers: Worker[];
  readonly exits: Promise<unknown>[];
}

/** A thumbnailer closed after the test. */
function thumbnailerFor(t: TestContext, options: ThumbnailerOptions = {}): Started {
  const workers: Worker[] = [];
  const exits: Promise<unknown>[] = [];
  const onWorkerStart = (worker: Worker): void => {
    workers.push(worker);
    exits.push(once(worker, 'exit'));
  };
  const thumbnailer = createThumbnailer({ ...options, onWorkerStart });
  t.after(() => thumbnailer.close());
  return { thumbnailer, workers, exits };
}

/** The thumbnail with its bytes as a Buffer, to compare with another. */
const comparable = (thumbnail: Thumbnail | null): object | null => (thumbnail === null ? null : { ...thumbnail, bytes: Buffer.from(thumbnail.bytes) });

/** Whether the promise has settled, looked at after the callbacks already due have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, new Promise((resolve) => setImmediate(resolve, pending))])) !== pending;
}

describe('thumbnailer', () => {
  let photo: Upload; // 4000×3000 JPEG: a phone's 12 megapixels
  let png: Upload; // 1000×500 PNG
  before(() => {
    photo = upload(encodeJpeg(picture(4000, 3000), 90));
    png = upload(pngOf(picture(1000, 500)));
  });

  it('makes what makeThumbnail makes, of a PNG and a JPEG, and leaves the caller its bytes', async (t) => {
    const { thumbnailer } = thumbnailerFor(t);
    for (const { bytes, kind } of [png, photo]) {
      const length = bytes.length;
      const thumbnail = await thumbnailer.thumbnail(bytes, kind);
      assert.ok(thumbnail);
      assert.deepEqual(comparable(thumbnail), comparable(makeThumbnail(bytes, kind)));
      assert.equal(bytes.length, length, 'the bytes were copied, not moved');
    }
  });

  it('makes a request smaller than its usual edge when asked (a picture of a person), and a small image none', async (t) => {
    const { thumbnailer, workers } = thumbnailerFor(t);
    const thumbnail = await thumbnailer.thumbnail(png.bytes, png.kind, { maxEdge: 256 });
    assert.deepEqual([thumbnail?.width, thumbnail?.height], [256, 128]);
    assert.deepEqual(comparable(thumbnail), comparable(makeThumbnail(png.bytes, png.kind, { maxEdge: 256 })));
    const small = upload(pngOf(picture(200, 100)));
    assert.equal(await thumbnailer.thumbnail(small.bytes, small.kind, { maxEdge: 256 }), null);
    assert.equal(workers.length, 1);
    await assert.rejects(async () => thumbnailer.thumbnail(png.bytes, png.kind, { maxEdge: 0 }), /maxEdge/);
  });

  it('starts no worker for an image that needs no thumbnail', async (t) => {
    const { thumbnailer, workers } = thumbnailerFor(t);
    const small = upload(pngOf(picture(300, 200)));
    assert.equal(await thumbnailer.thumbnail(small.bytes, small.kind), null);
    assert.equal(await thumbnailer.thumbnail(new Uint8Array(300_000), { type: 'image/gif', width: 4000, height: 3000 }), null);
    assert.equal(workers.length, 0);
  });

  it('keeps the event loop turning while a 4000×3000 JPEG is made into a thumbnail', async (t) => {
    const { thumbnailer } = thumbnailerFor(t);
    const tick = 5;
    let last = performance.now();
    let maxLag = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - tick);
      last = now;
    }, tick);
    const started = performance.now();
    const thumbnail = await thumbnailer.thumbnail(photo.bytes, photo.kind);
    const took = performance.now() - started;
    clearInterval(timer);
    assert.ok(thumbnail);
    // Made on this thread, the same thumbnail blocks the loop for all of `took`.
    assert.ok(maxLag < 200, `the event loop stalled for ${Math.round(maxLag)} ms of the ${Math.round(took)} ms the thumbnail took`);
  });

  it('answers null when its worker dies, and starts another for the next request', async (t) => {
    const { thumbnailer, workers } = thumbnailerFor(t);
    const lost = thumbnailer.thumbnail(photo.bytes, photo.kind);
    assert.equal(workers.length, 1);
    await once(workers[0]!, 'online');
    await workers[0]!.terminate();
    assert.equal(await lost, null);
    assert.deepEqual(comparable(await thumbnailer.thumbnail(png.bytes, png.kind)), comparable(makeThumbnail(png.bytes, png.kind)));
    assert.equal(workers.length, 2);
  });

  it('stops a worker that takes too long, answers null, and starts another', async (t) => {
    const { thumbnailer, workers, exits } = thumbnailerFor(t, { timeoutMs: 30 });
    const started = performance.now();
    assert.equal(await thumbnailer.thumbnail(photo.bytes, photo.kind), null);
    assert.ok(performance.now() - started < 1_000);
    await exits[0];
    assert.equal(await thumbnailer.thumbnail(photo.bytes, photo.kind), null);
    assert.equal(workers.length, 2);
  });

  it('gives its worker the heap limit asked for', async (t) => {
    const { thumbnailer, workers } = thumbnailerFor(t, { heapMb: 48 });
    assert.ok(await thumbnailer.thumbnail(png.bytes, png.kind));
    assert.equal(workers[0]!.resourceLimits?.maxOldGenerationSizeMb, 48);
  });

  it('answers null at once when the queue is full, and the others in turn', async (t) => {
    const { thumbnailer } = thumbnailerFor(t, { maxWaiting: 2 });
    const making = thumbnailer.thumbnail(photo.bytes, photo.kind);
    const waiting = [thumbnailer.thumbnail(png.bytes, png.kind), thumbnailer.thumbnail(png.bytes, png.kind)];
    const refused = thumbnailer.thumbnail(png.bytes, png.kind);
    assert.ok(await isSettled(refused), 'answered at once');
    assert.equal(await refused, null);
    assert.equal(await isSettled(making), false);
    assert.ok(await making);
    for (const thumbnail of await Promise.all(waiting)) assert.ok(thumbnail);
  });

  it('answers everything null once closed, and stops its worker', async (t) => {
    const { thumbnailer, workers, exits } = thumbnailerFor(t);
    const making = thumbnailer.thumbnail(photo.bytes, photo.kind);
    const waiting = thumbnailer.thumbnail(png.bytes, png.kind);
    await thumbnailer.close();
    await exits[0];
    assert.deepEqual(await Promise.all([making, waiting, thumbnailer.thumbnail(png.bytes, png.kind)]), [null, null, null]);
    assert.equal(workers.length, 1);
  });

  it('never holds the process open: one that makes a thumbnail, and never closes, exits', async (t) => {
    const url = (file: string): string => new URL(file, import.meta.url).href;
    // 2000×1500: large enough that a fresh worker is started after it, which must not hold the process either.
    const code = `
      import { createThumbnailer } from '${url('./thumbnailer.ts')}';
      import { encodeJpeg } from '${url('./jpeg-codec.ts')}';
      import { sniffImage } from '${url('./image-kind.ts')}';
      const bytes = encodeJpeg({ width: 2000, height: 1500, data: new Uint8Array(2000 * 1500 * 4).fill(128) }, 90);
      const thumbnail = await createThumbnailer().thumbnail(bytes, sniffImage(bytes));
      console.log(thumbnail.width);`;
    // A file, not --eval: a worker inherits the process's options, and --input-type is refused for a file.
    const dir = await mkdtemp(path.join(tmpdir(), 'thumbnailer-'));
    t.after(() => rm(dir, { recursive: true }));
    await writeFile(path.join(dir, 'child.mjs'), code);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'child.mjs')], { timeout: 20_000 });
    assert.equal(stdout.trim(), '480');
  });

  it('refuses bad options by name', () => {
    assert.throws(() => createThumbnailer({ maxWaiting: -1 }), /maxWaiting/);
    assert.throws(() => createThumbnailer({ timeoutMs: 0 }), /timeoutMs/);
    assert.throws(() => createThumbnailer({ heapMb: 4 }), /heapMb/);
    assert.throws(() => createThumbnailer({ maxPixels: Number.NaN }), /maxPixels/);
  });
});
