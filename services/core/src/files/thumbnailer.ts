import { Worker } from 'node:worker_threads';
import type { ImageKind } from './image-kind.ts';
import type { ThumbnailReply, ThumbnailRequest, ThumbnailWorkerData } from './thumbnail-worker.ts';
import { needsThumbnail, thumbnailOptions, type Thumbnail, type ThumbnailOptions } from './thumbnail.ts';

/**
 * Thumbnails of uploads, made off the event loop: `makeThumbnail` takes a few hundred
 * milliseconds and a few hundred megabytes for a phone photo, which would stall every WebSocket
 * of the process and, several at once, exhaust a pod's memory. So one worker thread makes them,
 * one at a time.
 */
export interface Thumbnailer {
  /**
   * The thumbnail `makeThumbnail` makes of these bytes, or null: none to make, none made in time,
   * the worker lost, no room in the queue, or the thumbnailer closed. Never rejects: a thumbnail is
   * optional, and the upload goes on without one. The bytes are copied when their turn comes; the
   * caller keeps them, unchanged until the answer.
   */
  thumbnail(bytes: Uint8Array, kind: ImageKind, options?: ThumbnailRequestOptions): Promise<Thumbnail | null>;
  /** Stops the worker; what is being made or waits, and whatever is asked after, is answered null. */
  close(): Promise<void>;
}

/** What one request may ask for beyond the thumbnailer's options: a smaller edge (a person's picture). */
export interface ThumbnailRequestOptions {
  /** The longest side this thumbnail may have, in pixels (the thumbnailer's `maxEdge`). */
  readonly maxEdge?: number;
}

export interface ThumbnailerOptions extends ThumbnailOptions {
  /** Requests that may wait while one is made (8); past them a request is answered null at once. */
  readonly maxWaiting?: number;
  /** How long one thumbnail may take (20 s); past that its worker is stopped and the request answered null. */
  readonly timeoutMs?: number;
  /** The worker's JavaScript heap, in MiB (64). Decoded pixels are not on it: `maxPixels` bounds those. */
  readonly heapMb?: number;
  /** Called with each worker thread started (the first, and one after each worker lost): for logs, metrics and tests. */
  readonly onWorkerStart?: (worker: Worker) => void;
}

interface Settings {
  readonly thumbnail: Required<ThumbnailOptions>;
  readonly maxWaiting: number;
  readonly timeoutMs: number;
  readonly heapMb: number;
  readonly onWorkerStart: (worker: Worker) => void;
}

const DEFAULT_MAX_WAITING = 8;
const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_HEAP_MB = 64;
const MIN_HEAP_MB = 16;
/**
 * A worker that has decoded a larger image is stopped once it has answered. V8 collects a
 * WebAssembly instance's memory only when it next collects garbage, which an idle worker does not
 * do: two 12-megapixel JPEGs left a kept worker holding 300 MB for as long as it was idle
 * (measured over 30 s), and a stream of them held two decodes' memory at a time, where a stopped
 * worker gives it all back at once. A new worker takes some 150–200 ms to start; small images,
 * whose garbage stays small, keep theirs.
 */
const RECYCLE_ABOVE_PIXELS = 2_000_000;
const WORKER_URL = new URL('./thumbnail-worker.ts', import.meta.url);

/** The value, or a RangeError that names the option and says what it must be. */
function checked(name: string, value: number, isValid: boolean, what: string): number {
  if (!isValid) throw new RangeError(`${name} must be ${what}; got ${value}`);
  return value;
}

function thumbnailerSettings(options: ThumbnailerOptions): Settings {
  const { maxWaiting = DEFAULT_MAX_WAITING, timeoutMs = DEFAULT_TIMEOUT_MS, heapMb = DEFAULT_HEAP_MB, onWorkerStart = () => undefined } = options;
  return {
    thumbnail: thumbnailOptions(options),
    maxWaiting: checked('maxWaiting', maxWaiting, Number.isInteger(maxWaiting) && maxWaiting >= 0, 'a whole number of requests, 0 or more'),
    timeoutMs: checked('timeoutMs', timeoutMs, Number.isFinite(timeoutMs) && timeoutMs > 0, 'a number of milliseconds above 0'),
    heapMb: checked('heapMb', heapMb, Number.isInteger(heapMb) && heapMb >= MIN_HEAP_MB, `a whole number of MiB, at least ${MIN_HEAP_MB}`),
    onWorkerStart,
  };
}

/** A thumbnailer whose worker starts on the first thumbnail to make. Bad options are refused here, by name. */
export function createThumbnailer(options: ThumbnailerOptions = {}): Thumbnailer {
  return new ThumbnailerWorker(thumbnailerSettings(options));
}

interface Job {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly kind: ImageKind;
  readonly maxEdge: number;
  readonly answer: (thumbnail: Thumbnail | null) => void;
}

/**
 * One worker thread at a time, started for the first request, kept between requests of small
 * images and stopped after a large one (RECYCLE_ABOVE_PIXELS), unref'd so that it never holds the
 * process open on its own (the timer of a request being made does, until the answer, at most
 * `timeoutMs`). A worker that exits (it crashed, ran out of memory or was stopped for taking too
 * long) answers its request null, and the next request starts a new one.
 */
class ThumbnailerWorker implements Thumbnailer {
  readonly #settings: Settings;
  readonly #waiting: Job[] = [];
  #worker: Worker | null = null;
  #running: { readonly job: Job; readonly timer: NodeJS.Timeout } | null = null;
  #lastId = 0;
  #closed = false;

  constructor(settings: Settings) {
    this.#settings = settings;
  }

  thumbnail(bytes: Uint8Array, kind: ImageKind, options: ThumbnailRequestOptions = {}): Promise<Thumbnail | null> {
    // Checked here, by name, as the thumbnailer's own options are: a bad one is the caller's bug.
    const thumbnail = thumbnailOptions({ ...this.#settings.thumbnail, ...options });
    // The header says whether there is anything to make: no worker, and no turn, for a GIF or a small image.
    if (this.#closed || !needsThumbnail(bytes, kind, thumbnail)) return Promise.resolve(null);
    if (this.#running !== null && this.#waiting.length >= this.#settings.maxWaiting) return Promise.resolve(null);
    return new Promise((answer) => {
      const job = { id: ++this.#lastId, bytes, kind, maxEdge: thumbnail.maxEdge, answer };
      if (this.#running === null) this.#start(job);
      else this.#waiting.push(job);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    for (const job of this.#waiting.splice(0)) job.answer(null);
    if (this.#running !== null) this.#settle(this.#running.job.id, null);
    await worker?.terminate();
  }

  #start(job: Job): void {
    const worker = this.#workerToUse();
    const timer = setTimeout(() => this.#giveUp(job.id), this.#settings.timeoutMs);
    this.#running = { job, timer };
    // A copy of the caller's bytes (which it keeps, and which may share a buffer with others), moved to the worker without a second copy.
    const bytes = new Uint8Array(job.bytes);
    const request: ThumbnailRequest = { id: job.id, bytes, kind: job.kind, maxEdge: job.maxEdge };
    worker.postMessage(request, [bytes.buffer]);
  }

  #settle(id: number, thumbnail: Thumbnail | null): void {
    const running = this.#running;
    // A late answer, from a worker given up on, is for a request already answered.
    if (running === null || running.job.id !== id) return;
    clearTimeout(running.timer);
    this.#running = null;
    // After an answer from the worker; one lost, given up on or closed is already gone.
    if (this.#worker !== null && running.job.kind.width * running.job.kind.height > RECYCLE_ABOVE_PIXELS) this.#recycleWorker();
    running.job.answer(thumbnail);
    const next = this.#waiting.shift();
    if (next !== undefined) this.#start(next);
  }

  /** Too long: the worker is stopped (nothing else interrupts a decode) and the request answered null. */
  #giveUp(id: number): void {
    this.#stopWorker();
    this.#settle(id, null);
  }

  /** A fresh worker for the next request, started now: it loads its modules while none is waiting. */
  #recycleWorker(): void {
    this.#stopWorker();
    if (!this.#closed) this.#workerToUse();
  }

  /** Stops the worker without waiting; its 'exit' then finds it replaced, and is ignored. */
  #stopWorker(): void {
    const worker = this.#worker;
    this.#worker = null;
    void worker?.terminate();
  }

  #workerToUse(): Worker {
    if (this.#worker !== null) return this.#worker;
    const workerData: ThumbnailWorkerData = { options: this.#settings.thumbnail };
    const heapMb = this.#settings.heapMb;
    const worker = new Worker(WORKER_URL, { workerData, resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.ceil(heapMb / 4) } });
    worker.on('message', (reply: ThumbnailReply) => this.#settle(reply.id, reply.thumbnail));
    // An uncaught error, or running out of memory: 'exit' follows, and answers the request.
    worker.on('error', () => undefined);
    worker.on('exit', () => this.#lost(worker));
    // After the listeners: listening for messages refs the worker again.
    worker.unref();
    this.#worker = worker;
    this.#settings.onWorkerStart(worker);
    return worker;
  }

  #lost(worker: Worker): void {
    // A worker already given up on (timed out, or closed) has been replaced or answered for.
    if (this.#worker !== worker) return;
    this.#worker = null;
    if (this.#running !== null) this.#settle(this.#running.job.id, null);
  }
}
