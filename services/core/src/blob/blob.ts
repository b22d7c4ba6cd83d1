import type { S3Config } from '../archive/s3-config.ts';
import { HearthError } from '../errors.ts';

/**
 * The bytes of files posted in rooms (up to a few tens of MiB each), of their thumbnails and of
 * people's pictures, under keys Hearth makes. Implementations: BlobStoreDirectory (a volume), BlobStorePostgres
 * (the `blobs` table), BlobStoreS3 (a prefix of a bucket); createBlobStore picks one.
 */
export interface BlobStore {
  /** Stores `bytes` under `key`, replacing what was there; resolves once they are durable (a later get sees them even after a crash). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes `key`; removing a key that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, sorted (for backups and for sweeping orphans). */
  keys(prefix: string): AsyncIterable<string>;
  /** Cheap check that the store answers (used by readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type BlobConfig =
  | { readonly type: 'directory'; readonly dir: string }
  | { readonly type: 'postgres'; readonly url: string }
  | { readonly type: 's3'; readonly bucket: string; readonly prefix: string; readonly s3: S3Config };

/** The bytes of the file `fileId`. */
export function fileBlobKey(fileId: string): string {
  return `files/${fileId}`;
}

/** The thumbnail of the image `fileId`. */
export function thumbnailBlobKey(fileId: string): string {
  return `files/${fileId}/thumbnail`;
}

/**
 * One version of the picture of the user `userId` (only its small version is kept; gateway
 * routes/avatars.ts). By version, so that a new picture never overwrites the one the user still
 * points at before the change commits, and two at once never mix.
 */
export function avatarBlobKey(userId: string, version: string): string {
  return `avatars/${userId}/${version}`;
}

export const MAX_BLOB_KEY_CHARS = 200;

/**
 * Segments of lower-case letters, digits, dots, underscores and hyphens, each starting with a
 * letter or a digit, joined by single slashes: no `..`, no leading or doubled slash, nothing a
 * file system or a URL reads as anything but itself.
 */
const BLOB_KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;
/** What a key can start with: whole segments each followed by a slash, then part of a segment. */
const BLOB_KEY_PREFIX = /^([a-z0-9][a-z0-9._-]*\/)*([a-z0-9][a-z0-9._-]*)?$/;

export function isBlobKey(key: string): boolean {
  return key.length <= MAX_BLOB_KEY_CHARS && BLOB_KEY.test(key);
}

/**
 * Refuses a key Hearth could not have made. Keys never come from a client, so a bad one is a
 * bug (`internal`); the check stops it before a back-end turns it into a path or an object name.
 */
export function checkBlobKey(key: string): void {
  if (!isBlobKey(key)) {
    throw new HearthError('internal', `not a blob key: ${JSON.stringify(key.slice(0, MAX_BLOB_KEY_CHARS + 1))}`);
  }
}

/** As checkBlobKey, for what `keys(prefix)` is given: the start of a key, or the empty string. */
export function checkBlobKeyPrefix(prefix: string): void {
  if (prefix.length > MAX_BLOB_KEY_CHARS || !BLOB_KEY_PREFIX.test(prefix)) {
    throw new HearthError('internal', `not the start of a blob key: ${JSON.stringify(prefix.slice(0, MAX_BLOB_KEY_CHARS + 1))}`);
  }
}
