import assert from 'node:assert/strict';
import fsPromises, { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import { fileBlobKey, thumbnailBlobKey } from './blob.ts';
import { runBlobContract } from './blob-contract.ts';
import { BlobStoreDirectory } from './blob-directory.ts';
import { createBlobStore } from './create-blob-store.ts';

let work: string;
/** The directory the contract's stores share. */
let dir: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'hearth-blob-directory-'));
  dir = path.join(work, 'files');
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

runBlobContract('BlobStoreDirectory', () => BlobStoreDirectory.open(dir));
runBlobContract('createBlobStore({ type: directory })', () => createBlobStore({ type: 'directory', dir }));

/** Every file and folder under `root`, relative, sorted; folders end with a slash. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)) + (entry.isDirectory() ? '/' : '')).sort();
}

async function keysOf(store: BlobStoreDirectory, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys(prefix)) keys.push(key);
  return keys;
}

/** A store on a directory of its own, to look at its files. */
async function ownStore(): Promise<{ root: string; store: BlobStoreDirectory }> {
  const root = path.join(work, newId());
  return { root, store: await BlobStoreDirectory.open(root) };
}

describe('BlobStoreDirectory on disk', () => {
  it('keeps a file and its thumbnail as `files/<id>@` and `files/<id>/thumbnail@`, with no temporary file left', async () => {
    const { root, store } = await ownStore();
    await store.put(fileBlobKey('f1'), new Uint8Array([1]));
    await store.put(thumbnailBlobKey('f1'), new Uint8Array([2]));
    await store.put(fileBlobKey('f1'), new Uint8Array([3]));
    assert.deepEqual(await tree(root), ['files/', 'files/f1/', 'files/f1/thumbnail@', 'files/f1@']);
  });

  it('lists neither temporary files nor files and folders that are not keys', async () => {
    const { root, store } = await ownStore();
    await store.put('files/a', new Uint8Array([1]));
    await writeFile(path.join(root, 'files', `.a@.${newId()}.tmp`), 'left by a crash');
    await writeFile(path.join(root, 'files', 'b'), 'a file without the mark');
    await writeFile(path.join(root, 'files', 'Upper@'), 'not a key');
    await mkdir(path.join(root, 'files', '.hidden'));
    await writeFile(path.join(root, 'files', '.hidden', 'c@'), 'under a folder that is not a segment');
    assert.deepEqual(await keysOf(store, ''), ['files/a']);
    assert.equal(await store.get('files/b'), undefined);
  });

  it('removes the folders a delete leaves empty, and keeps those that still hold keys', async () => {
    const { root, store } = await ownStore();
    await store.put(thumbnailBlobKey('f1'), new Uint8Array([1]));
    await store.put(thumbnailBlobKey('f2'), new Uint8Array([1]));
    await store.delete(thumbnailBlobKey('f1'));
    assert.deepEqual(await tree(root), ['files/', 'files/f2/', 'files/f2/thumbnail@']);
    await store.delete(thumbnailBlobKey('f2'));
    assert.deepEqual(await tree(root), []);
  });

  it('puts into a folder that a concurrent delete of its last key removed between mkdir and the write', async () => {
    const { root, store } = await ownStore();
    let removed = 0;
    // The race, made certain: the folder goes just before put opens its temporary file in it.
    await withOpenHook(
      async (file) => {
        if (file.endsWith('.tmp') && removed === 0) {
          removed += 1;
          await rmdir(path.dirname(file));
        }
      },
      () => store.put('files/f1/thumbnail', new Uint8Array([7])),
    );
    assert.equal(removed, 1);
    assert.deepEqual([...((await store.get('files/f1/thumbnail')) ?? [])], [7]);
    assert.deepEqual(await tree(root), ['files/', 'files/f1/', 'files/f1/thumbnail@']);
  });

  it('keeps both keys when puts and deletes in one folder run together', async () => {
    const { store } = await ownStore();
    for (let round = 0; round < 20; round += 1) {
      await store.put(`files/f${round}/first`, new Uint8Array([1]));
      await Promise.all([store.delete(`files/f${round}/first`), store.put(`files/f${round}/second`, new Uint8Array([round]))]);
      assert.deepEqual(await keysOf(store, `files/f${round}/`), [`files/f${round}/second`]);
    }
  });
});

/** Runs `work` with node:fs/promises' open() calling `hook` first (the store imports open by name: its binding follows). */
async function withOpenHook<T>(hook: (file: string) => Promise<void>, work: () => Promise<T>): Promise<T> {
  const original = fsPromises.open;
  fsPromises.open = async (...args: Parameters<typeof original>) => {
    await hook(String(args[0]));
    return original(...args);
  };
  syncBuiltinESMExports();
  try {
    return await work();
  } finally {
    fsPromises.open = original;
    syncBuiltinESMExports();
  }
}

describe('BlobStoreDirectory failures', () => {
  it('reports a read that fails for another reason than a missing file, naming the key and the directory', async () => {
    const { root, store } = await ownStore();
    await mkdir(path.join(root, 'files', 'odd@'), { recursive: true });
    await assert.rejects(store.get('files/odd'), (error) => {
      assert.ok(error instanceof HearthError);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /^cannot get blob files\/odd from .*: EISDIR/);
      assert.ok(error.message.includes(root), error.message);
      return true;
    });
  });

  it('refuses to open on a path that is a file, and reports a put there naming the key', async () => {
    const file = path.join(work, `${newId()}.txt`);
    await writeFile(file, 'not a directory');
    await assert.rejects(
      BlobStoreDirectory.open(file),
      (error) => error instanceof HearthError && error.code === 'unavailable' && error.message.includes(file),
    );
    const store = new BlobStoreDirectory(file);
    await assert.rejects(store.put('files/a', new Uint8Array([1])), (error) => {
      assert.ok(error instanceof HearthError);
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /^cannot put blob files\/a in .*: ENOTDIR/);
      return true;
    });
  });

  it('fails ping when the directory is gone', async () => {
    const { root, store } = await ownStore();
    await store.ping();
    await rm(root, { recursive: true });
    await assert.rejects(store.ping(), (error) => error instanceof HearthError && error.code === 'unavailable' && error.message.includes(root));
  });
});
