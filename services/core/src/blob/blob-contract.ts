import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { BlobStore } from './blob.ts';

const MIB = 1024 * 1024;

/**
 * The behaviour every BlobStore must show, through the interface only. Every test writes under a
 * prefix of its own (a new id), so a shared server, bucket or directory is fine. `open` must open
 * a store on the same place each time: one test reads through a second store what the first wrote.
 */
export function runBlobContract(label: string, open: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${label}`, () => {
    let store: BlobStore;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    describeBytes(() => store);
    describeKeys(() => store);
    describeRefusals(() => store);

    it('answers ping', async () => {
      await store.ping();
    });

    it('shows what one store wrote to a second opened on the same place, and the first sees what the second deleted', async () => {
      const [kept, removed] = [`${newId()}/kept`, `${newId()}/removed`];
      const bytes = randomBytes(64 * 1024);
      await store.put(kept, bytes);
      await store.put(removed, bytes);
      const second = await open();
      try {
        assertSameBytes(await second.get(kept), bytes, 'read through the second store');
        await second.delete(removed);
      } finally {
        await second.close();
      }
      assert.equal(await store.get(removed), undefined);
      assertSameBytes(await store.get(kept), bytes, 'read again through the first');
    });
  });
}

function describeBytes(store: () => BlobStore): void {
  it('gives back exactly the bytes put: every byte value, an empty blob, 5 MiB', async () => {
    const prefix = newId();
    const blobs: Array<[string, Uint8Array]> = [
      [`${prefix}/every-byte`, Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 255) % 256)],
      [`${prefix}/empty`, new Uint8Array(0)],
      [`${prefix}/large`, randomBytes(5 * MIB)],
    ];
    assert.equal(new Set(blobs[0]?.[1]).size, 256, 'the binary blob holds every byte value');
    for (const [key, bytes] of blobs) await store().put(key, bytes);
    for (const [key, bytes] of blobs) assertSameBytes(await store().get(key), bytes, key);
  });

  it('replaces what a key held, by longer and by shorter bytes', async () => {
    const key = `${newId()}/file`;
    const [first, longer, shorter] = [randomBytes(1000), randomBytes(300_000), randomBytes(10)];
    await store().put(key, first);
    await store().put(key, longer);
    assertSameBytes(await store().get(key), longer, 'after the longer put');
    await store().put(key, shorter);
    assertSameBytes(await store().get(key), shorter, 'after the shorter put');
  });

  it('answers undefined for a key never put and for a deleted one; deleting a missing key is fine', async () => {
    const prefix = newId();
    const [deleted, neighbour] = [`${prefix}/files/a`, `${prefix}/files/a/thumbnail`];
    assert.equal(await store().get(`${prefix}/never`), undefined);
    await store().put(deleted, randomBytes(100));
    await store().put(neighbour, randomBytes(100));
    await store().delete(deleted);
    assert.equal(await store().get(deleted), undefined);
    assert.ok((await store().get(neighbour)) !== undefined, 'deleting a key leaves the keys under it');
    await store().delete(deleted);
    await store().delete(`${prefix}/never`);
    await store().delete(neighbour);
    assert.deepEqual(await keysOf(store(), `${prefix}/`), []);
  });

  it('keeps one whole value when two puts of one key race', async () => {
    const key = `${newId()}/raced`;
    const [one, other] = [randomBytes(MIB), randomBytes(MIB)];
    await Promise.all([store().put(key, one), store().put(key, other)]);
    const got = await store().get(key);
    assert.ok(got !== undefined && (isSame(got, one) || isSame(got, other)), 'the key holds one of the two values, whole');
  });
}

function describeKeys(store: () => BlobStore): void {
  it('lists exactly the keys under a prefix, sorted, whatever the order they were put in', async () => {
    const prefix = newId();
    const under = (names: readonly string[]) => names.map((name) => `${prefix}/${name}`);
    // In byte order, which is not a locale's: `-` < `.` < `/` < digits < `_` < letters.
    const files = ['files/a', 'files/a-b', 'files/a.c', 'files/a/thumbnail', 'files/a0', 'files/a_b', 'files/b', 'files/b/thumbnail', 'files/z_9'];
    const others = ['other', 'filesx/a'];
    for (const key of [...under(files), ...under(others), `${prefix}0/sibling`].reverse()) await store().put(key, new Uint8Array([1]));
    assert.deepEqual(await keysOf(store(), `${prefix}/files/`), under(files));
    assert.deepEqual(await keysOf(store(), `${prefix}/files/a`), under(files.slice(0, 6)));
    assert.deepEqual(await keysOf(store(), `${prefix}/files/b/`), under(['files/b/thumbnail']));
    assert.deepEqual(await keysOf(store(), `${prefix}/files`), under([...files, 'filesx/a']));
    assert.deepEqual(await keysOf(store(), `${prefix}/`), under([...files, ...others]).sort());
    assert.deepEqual(await keysOf(store(), prefix), [...under([...files, ...others]), `${prefix}0/sibling`].sort());
    assert.deepEqual(await keysOf(store(), `${prefix}/nothing/`), []);
    const everything = (await keysOf(store(), '')).filter((key) => key.startsWith(prefix));
    assert.deepEqual(everything, [...under([...files, ...others]), `${prefix}0/sibling`].sort());
  });

  it('stops listing a key once it is deleted', async () => {
    const prefix = newId();
    const keys = [`${prefix}/a`, `${prefix}/b`, `${prefix}/c`];
    for (const key of keys) await store().put(key, new Uint8Array([1, 2, 3]));
    await store().delete(`${prefix}/b`);
    assert.deepEqual(await keysOf(store(), `${prefix}/`), [`${prefix}/a`, `${prefix}/c`]);
  });

  it('takes a key of 200 characters', async () => {
    const prefix = newId();
    const key = `${prefix}/${'k'.repeat(200 - prefix.length - 1)}`;
    assert.equal(key.length, 200);
    await store().put(key, new Uint8Array([42]));
    assertSameBytes(await store().get(key), new Uint8Array([42]), 'the longest key');
    assert.deepEqual(await keysOf(store(), `${prefix}/`), [key]);
  });
}

function describeRefusals(store: () => BlobStore): void {
  it('refuses a key with `..`, an upper-case letter, a leading slash or 201 characters, and stores nothing', async () => {
    const prefix = newId();
    const target = `${prefix}-target/x`;
    const refused = [
      `${prefix}/../${prefix}-target/x`,
      `${prefix}/Upper`,
      `/${prefix}/x`,
      `${prefix}/${'k'.repeat(201 - prefix.length - 1)}`,
      `${prefix}//x`,
      `${prefix}/x/`,
      `${prefix}/.hidden`,
      '',
    ];
    for (const key of refused) {
      await assertRefused(store().put(key, new Uint8Array([1])), `put ${key}`);
      await assertRefused(store().get(key), `get ${key}`);
      await assertRefused(store().delete(key), `delete ${key}`);
    }
    assert.equal(await store().get(target), undefined, 'the path through `..` reached nothing');
    assert.equal(await store().get(`${prefix}/upper`), undefined);
    assert.deepEqual(await keysOf(store(), prefix), []);
  });

  it('refuses to list under a prefix no key could start with', async () => {
    for (const prefix of ['../', '/', 'files/../', 'Files/', `${'k'.repeat(201)}`]) await assertRefused(keysOf(store(), prefix), `keys ${prefix}`);
  });
}

async function keysOf(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys(prefix)) keys.push(key);
  return keys;
}

async function assertRefused(attempt: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(attempt, (error) => error instanceof HearthError && error.code === 'internal', `${what} was not refused as a bad key`);
}

function isSame(actual: Uint8Array, expected: Uint8Array): boolean {
  return Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected);
}

function assertSameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array, `${what}: got ${String(actual)}, not bytes`);
  assert.equal(actual.byteLength, expected.byteLength, `${what}: the length differs`);
  assert.ok(isSame(actual, expected), `${what}: the bytes differ`);
}
