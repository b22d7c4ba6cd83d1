import type { BlobStore } from '../blob/blob.ts';
import { HearthError } from '../errors.ts';
import type { BlobsSummary } from './archive-format.ts';

/*
 * The files' bytes in an archive (archive-format.ts, version 2): after the record stream, each
 * blob as lines of at most PART_BYTES of it in base64, so that no line is larger than a few MiB
 * however large the file (a line is read whole, and a string has a size limit).
 */

const PART_BYTES = 1024 * 1024;
/** The blobs an archive carries: files' bytes and their thumbnails, and people's pictures. */
export const ARCHIVED_BLOB_PREFIXES = ['avatars/', 'files/'] as const;

/** Every archived blob's key: each prefix's keys, sorted, one prefix after the other. */
export async function* archivedBlobKeys(blobs: BlobStore): AsyncGenerator<string> {
  for (const prefix of ARCHIVED_BLOB_PREFIXES) yield* blobs.keys(prefix);
}

interface BlobPart {
  readonly key: string;
  readonly part: number;
  readonly parts: number;
  readonly data: string;
}

/** Writes every blob under ARCHIVED_BLOB_PREFIXES as lines; `write` may return a promise to wait on (backpressure). */
export async function writeBlobLines(blobs: BlobStore, write: (line: string) => Promise<void> | undefined): Promise<BlobsSummary> {
  let count = 0;
  let bytes = 0;
  for await (const key of archivedBlobKeys(blobs)) {
    const value = await blobs.get(key);
    // Deleted with its message (or its person's picture removed) since it was listed.
    if (value === undefined) continue;
    const parts = Math.max(1, Math.ceil(value.length / PART_BYTES));
    for (let part = 0; part < parts; part++) {
      const data = Buffer.from(value.buffer, value.byteOffset + part * PART_BYTES, Math.min(PART_BYTES, value.length - part * PART_BYTES)).toString('base64');
      await write(JSON.stringify({ blob: { key, part, parts, data } satisfies BlobPart }));
    }
    count += 1;
    bytes += value.length;
  }
  return { count, bytes };
}

/** Whether a line of an archive is one of its blobs' (they come after the records, before the manifest). */
export function isBlobLine(line: string): boolean {
  return line.startsWith('{"blob":');
}

/** The blobs in an archive's lines, each whole once its last part is read; parts out of order are an error saying so. */
export async function* blobsOfLines(lines: AsyncIterable<string>): AsyncGenerator<{ key: string; bytes: Uint8Array }> {
  let current: { key: string; parts: number; chunks: Buffer[] } | null = null;
  for await (const line of lines) {
    if (!isBlobLine(line)) continue;
    const part = partOf(line);
    if (part.part === 0) current = { key: part.key, parts: part.parts, chunks: [] };
    if (current === null || current.key !== part.key || current.chunks.length !== part.part || current.parts !== part.parts) {
      throw damaged(`the parts of ${part.key} are out of order`);
    }
    current.chunks.push(Buffer.from(part.data, 'base64'));
    if (current.chunks.length === current.parts) {
      yield { key: current.key, bytes: Buffer.concat(current.chunks) };
      current = null;
    }
  }
  if (current !== null) throw damaged(`${current.key} ends after ${current.chunks.length} of its ${current.parts} parts`);
}

function partOf(line: string): BlobPart {
  const value = (JSON.parse(line) as { blob?: Partial<BlobPart> }).blob;
  const { key, part, parts, data } = value ?? {};
  if (typeof key !== 'string' || typeof data !== 'string' || !Number.isInteger(part) || !Number.isInteger(parts)) throw damaged('a file line is malformed');
  return { key, part: part as number, parts: parts as number, data };
}

function damaged(reason: string): HearthError {
  return new HearthError('invalid_request', `not a Hearth archive: ${reason}`);
}
