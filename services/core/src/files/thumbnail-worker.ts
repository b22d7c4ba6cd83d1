import { parentPort, workerData } from 'node:worker_threads';
import type { ImageKind } from './image-kind.ts';
import { makeThumbnail, type Thumbnail, type ThumbnailOptions } from './thumbnail.ts';

/*
 * The worker thread of `createThumbnailer` (thumbnailer.ts): it makes one thumbnail for each
 * request, in the order they come, and answers each with its id. It is started with the URL of
 * this file, so it runs from the TypeScript source as the rest of Hearth does.
 */

export interface ThumbnailRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly kind: ImageKind;
  /** This request's longest side (a person's picture is smaller than a file's thumbnail). */
  readonly maxEdge: number;
}

export interface ThumbnailReply {
  readonly id: number;
  readonly thumbnail: Thumbnail | null;
}

export interface ThumbnailWorkerData {
  readonly options: ThumbnailOptions;
}

function answer({ id, bytes, kind, maxEdge }: ThumbnailRequest, options: ThumbnailOptions): ThumbnailReply {
  try {
    return { id, thumbnail: makeThumbnail(bytes, kind, { ...options, maxEdge }) };
  } catch {
    // makeThumbnail throws only on options the thumbnailer has already checked; a thumbnail is optional.
    return { id, thumbnail: null };
  }
}

const port = parentPort;
if (port === null) throw new Error('thumbnail-worker.ts runs as the worker thread that createThumbnailer starts');
const { options } = workerData as ThumbnailWorkerData;
// The thumbnail is small (tens of kilobytes), so it is copied back rather than transferred.
port.on('message', (request: ThumbnailRequest) => port.postMessage(answer(request, options)));
