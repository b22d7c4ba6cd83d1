import path from 'node:path';
import { archivedBlobKeys, createBlobStore, type BlobConfig, type BlobStore, type StoreConfig } from '@hearth/core';

/**
 * The files' bytes of a tier migration: where the source kept them (beside its SQLite file, or
 * in its PostgreSQL), copied into where the target keeps them, after the records, while the
 * source's writes stay paused (no file can be posted then).
 */

/** Where a store's tier keeps files: the embedded tier's `files/` beside hearth.db, a server tier's database. */
export function filesBeside(store: StoreConfig): BlobConfig {
  return store.type === 'sqlite' ? { type: 'directory', dir: path.join(path.dirname(store.path), 'files') } : { type: 'postgres', url: store.url };
}

export interface FilesCopied {
  readonly count: number;
  readonly bytes: number;
}

/**
 * Copies every file blob (and every person's picture) from `source` to `target`, then checks that the target holds each one.
 * Copying again is harmless (a put replaces), so a failed migration's retry copies them all again.
 * With no target, a source holding files is refused: its messages would point at nothing.
 */
export async function copyFiles(source: BlobConfig, target: BlobConfig | null): Promise<FilesCopied> {
  const from = await createBlobStore(source);
  try {
    if (target === null) {
      const first = await firstKey(from);
      if (first !== undefined) throw new Error('the source holds files, and files are off for the target: set HEARTH_FILES_STORAGE');
      return { count: 0, bytes: 0 };
    }
    const to = await createBlobStore(target);
    try {
      return await copyAll(from, to);
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

async function copyAll(from: BlobStore, to: BlobStore): Promise<FilesCopied> {
  let count = 0;
  let bytes = 0;
  for await (const key of archivedBlobKeys(from)) {
    const value = await from.get(key);
    if (value === undefined) continue;
    await to.put(key, value);
    const copy = await to.get(key);
    if (copy === undefined || !Buffer.from(copy).equals(Buffer.from(value)))
      throw new Error(`verification failed: the target's copy of ${key} differs from the source's`);
    count += 1;
    bytes += value.length;
  }
  return { count, bytes };
}

async function firstKey(blobs: BlobStore): Promise<string | undefined> {
  for await (const key of archivedBlobKeys(blobs)) return key;
  return undefined;
}
