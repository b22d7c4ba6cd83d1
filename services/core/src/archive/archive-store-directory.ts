import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { HearthError } from '../errors.ts';
import type { ArchiveStore, ArchiveUpload } from './archive-store.ts';

/**
 * Archives as files in a directory (a mounted volume). An archive is written as `.<name>.partial`
 * beside its final name and renamed when whole, so a listing never holds half an archive.
 */
export class ArchiveStoreDirectory implements ArchiveStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async create(name: string): Promise<ArchiveUpload> {
    await mkdir(this.#dir, { recursive: true }).catch((error: unknown) => {
      throw new HearthError('invalid_request', `cannot write to ${this.#dir}: ${reasonOf(error)}`);
    });
    const final = path.join(this.#dir, name);
    const partial = path.join(this.#dir, `.${name}.partial`);
    const sink = createWriteStream(partial);
    await once(sink, 'ready').catch((error: unknown) => {
      throw new HearthError('invalid_request', `cannot write to ${this.#dir}: ${reasonOf(error)}`);
    });
    return {
      sink,
      async commit() {
        await finished(sink);
        await rename(partial, final);
        return final;
      },
      async abort() {
        sink.destroy();
        await rm(partial, { force: true });
      },
    };
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.#dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  }

  async remove(name: string): Promise<void> {
    await rm(path.join(this.#dir, name), { force: true });
  }
}

export async function openArchiveFile(file: string): Promise<Readable> {
  const source = createReadStream(file);
  await once(source, 'ready').catch((error: unknown) => {
    throw new HearthError('invalid_request', `cannot read ${file}: ${reasonOf(error)}`);
  });
  return source;
}

function reasonOf(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
