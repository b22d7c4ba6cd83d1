import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { access, constants, mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { HearthError } from '../errors.ts';
import { checkBlobKey, checkBlobKeyPrefix, type BlobStore } from './blob.ts';

/**
 * A key's bytes are the file named by the key with this mark after it: `files/<id>` is the file
 * `files/<id>@`, and `files/<id>/thumbnail` the file `thumbnail@` in the folder `files/<id>/`.
 * `@` is outside the keys' alphabet, so a key's file never has the name of the folder that
 * holds the keys under it, and no key's file is ever taken for a folder or a temporary file.
 */
const KEY_FILE_MARK = '@';
/** A key's segment: what a folder, or a key's file without its mark, must be named to be read. */
const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
/** A put finds its folder gone when a delete of the folder's last key removed it meanwhile, and makes it again. */
const PUT_ATTEMPTS = 3;

/**
 * Blobs as files under a directory (the embedded tier's volume). A put writes a temporary file
 * (`.<name>.<uuid>.tmp`, which is never listed) beside the key's file, fsyncs it, renames it
 * onto the key's file and fsyncs the folder: after a crash a key holds its old bytes or its new
 * ones, never part of either. A delete removes the folders it leaves empty.
 */
export class BlobStoreDirectory implements BlobStore {
  readonly #root: string;

  constructor(dir: string) {
    this.#root = path.resolve(dir);
  }

  /** Makes the directory when it is not there yet (a new volume), so that ping answers. */
  static async open(dir: string): Promise<BlobStoreDirectory> {
    const store = new BlobStoreDirectory(dir);
    await mkdir(store.#root, { recursive: true }).catch((error: unknown) => {
      throw failure(`cannot make the files directory ${store.#root}`, error);
    });
    return store;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    checkBlobKey(key);
    const file = this.#fileOf(key);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await writeDurably(this.#root, file, bytes);
      } catch (error) {
        // ENOENT: a delete of the folder's last key removed the folder after mkdir made it; make it again.
        if (!isMissing(error) || attempt === PUT_ATTEMPTS) throw failure(`cannot put blob ${key} in ${this.#root}`, error);
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkBlobKey(key);
    try {
      return await readFile(this.#fileOf(key));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw failure(`cannot get blob ${key} from ${this.#root}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    checkBlobKey(key);
    const file = this.#fileOf(key);
    try {
      await rm(file);
    } catch (error) {
      if (isMissing(error)) return;
      throw failure(`cannot delete blob ${key} from ${this.#root}`, error);
    }
    await syncDir(path.dirname(file)).catch(() => undefined);
    await removeEmptyDirs(this.#root, path.dirname(file));
  }

  async *keys(prefix: string): AsyncIterable<string> {
    checkBlobKeyPrefix(prefix);
    // Only the folder of the prefix's whole segments is read; its last, partial segment filters that folder.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.#walk(folder, prefix.slice(folder.length));
  }

  async ping(): Promise<void> {
    await access(this.#root, constants.R_OK | constants.W_OK).catch((error: unknown) => {
      throw failure(`cannot use the files directory ${this.#root}`, error);
    });
  }

  async close(): Promise<void> {}

  #fileOf(key: string): string {
    return path.join(this.#root, ...key.split('/')) + KEY_FILE_MARK;
  }

  /** The keys under the folder `folder` (a key's start: '' or ending in '/') whose next segment starts with `partial`, sorted. */
  async *#walk(folder: string, partial: string): AsyncGenerator<string> {
    const dir = path.join(this.#root, ...folder.split('/'));
    for (const entry of await this.#listed(dir, partial)) {
      if (entry.isKey) yield folder + entry.segment;
      else yield* this.#walk(`${folder}${entry.segment}/`, '');
    }
  }

  /**
   * A folder's keys and sub-folders in the order of the keys they hold: a sub-folder sorts as
   * its name and a slash, so `a` < `a-b` < `a/…` < `a0`, as the keys themselves do.
   */
  async #listed(dir: string, partial: string): Promise<ListedEntry[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // No folder is no keys: nothing was ever put under it, or its last key was deleted meanwhile.
      if (isMissing(error)) return [];
      throw failure(`cannot list blobs in ${dir}`, error);
    }
    const listed = entries.map(listedEntry).filter((entry): entry is ListedEntry => entry !== undefined && entry.segment.startsWith(partial));
    return listed.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  }
}

interface ListedEntry {
  readonly segment: string;
  readonly isKey: boolean;
  readonly order: string;
}

/** A key's file or a folder of keys; undefined for anything else (a temporary file, a stray file). */
function listedEntry(entry: Dirent): ListedEntry | undefined {
  if (entry.isDirectory() && SEGMENT.test(entry.name)) return { segment: entry.name, isKey: false, order: `${entry.name}/` };
  const segment = entry.name.slice(0, -KEY_FILE_MARK.length);
  if (entry.isFile() && entry.name.endsWith(KEY_FILE_MARK) && SEGMENT.test(segment)) return { segment, isKey: true, order: segment };
  return undefined;
}

/** Writes `bytes` to `file` through a temporary file in the same folder, durably. */
async function writeDurably(root: string, file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await makeDirDurably(root, dir);
  const temporary = path.join(dir, `.${path.basename(file)}.${randomUUID()}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDir(dir);
}

/** mkdir -p, and fsync the parent of each folder it made, so that the folders outlive a crash with the file. */
async function makeDirDurably(root: string, dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created === undefined) return;
  for (let made = dir; made.startsWith(root) && made !== root; made = path.dirname(made)) {
    await syncDir(path.dirname(made));
    if (made === created) return;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `dir` and its parents below `root` while they are empty; stops at the first that is not (or is gone). */
async function removeEmptyDirs(root: string, dir: string): Promise<void> {
  for (let empty = dir; empty.startsWith(root + path.sep); empty = path.dirname(empty)) {
    const removed = await rmdir(empty).then(
      () => true,
      () => false,
    );
    if (!removed) return;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The disk, not the caller, failed (full, read-only, permissions): the service cannot keep files now. */
function failure(what: string, error: unknown): HearthError {
  return new HearthError('unavailable', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
