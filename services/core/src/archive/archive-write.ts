import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { BlobStore } from '../blob/blob.ts';
import type { Store } from '../store/store.ts';
import { writeBlobLines } from './archive-blobs.ts';
import { buildManifest, type ArchiveHeader, type ArchiveManifest } from './archive-format.ts';

export interface WriteArchiveOptions {
  /** Called after each page of records with the records written so far and the records there are. */
  readonly onProgress?: (rows: number, total: number) => void;
  /** Where the files' bytes are; none: the archive holds records only. */
  readonly blobs?: BlobStore | null;
}

/**
 * Writes an archive of `store` (archive-format.ts) to `sink`, gzip-compressed, and ends it:
 * the header, the store's record stream from one consistent snapshot (Store.exportRecords),
 * the files' bytes (read after the snapshot: a file deleted meanwhile is left out, one added is
 * kept with no message pointing at it), and the manifest. Returns the manifest.
 */
export async function writeArchive(store: Store, header: ArchiveHeader, sink: Writable, options: WriteArchiveOptions = {}): Promise<ArchiveManifest> {
  const gzip = createGzip();
  const written = pipeline(gzip, sink);
  // A failing sink (a full disk) must stop the export rather than leave it waiting for 'drain'.
  written.catch(() => gzip.destroy());
  const hash = createHash('sha256');
  const write = (line: string): Promise<void> | undefined => {
    hash.update(line).update('\n');
    if (!gzip.write(`${line}\n`)) return once(gzip, 'drain').then(() => undefined);
    return undefined;
  };
  try {
    await write(JSON.stringify({ archive: header }));
    const result = await store.exportRecords(write, options.onProgress === undefined ? {} : { onProgress: options.onProgress });
    const files = options.blobs === undefined || options.blobs === null ? { count: 0, bytes: 0 } : await writeBlobLines(options.blobs, write);
    const manifest = buildManifest(header, result, files, hash.digest('hex'));
    gzip.end(`${JSON.stringify({ manifest })}\n`);
    await written;
    return manifest;
  } catch (error) {
    gzip.destroy();
    await written.catch(() => undefined);
    throw error;
  }
}
