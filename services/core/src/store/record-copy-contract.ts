import assert from 'node:assert/strict';
import { newId } from '../ids.ts';
import type { Store } from './store.ts';

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

const AT = '2025-01-01T00:00:00.000Z';

/** The stream of a store with one user, to import. */
async function streamOfOneUser(): Promise<string[]> {
  const { StoreSqlite } = await import('./store-sqlite.ts');
  const source = await StoreSqlite.open(':memory:');
  try {
    await source.transaction((tx) => tx.insertUser({ id: newId(), name: 'ada', email: null, role: 'member', passwordHash: null, createdAt: AT }));
    const lines: string[] = [];
    await source.exportRecords((line) => void lines.push(line));
    return lines;
  } finally {
    await source.close();
  }
}

/** A store as the target of a copy (record-copy-target.ts), the same in both stores. */
export function copyTargetTests(test: StoreTest): void {
  test('a new store has no records and no import', async (store) => {
    assert.deepEqual(await store.importState(), { hasRecords: false, marker: null });
    assert.equal(await store.markImportVerified(AT), false, 'nothing to mark');
  });

  test('records written by the app are records without an import', async (store) => {
    await store.transaction((tx) => tx.insertUser({ id: newId(), name: 'bo', email: null, role: 'member', passwordHash: null, createdAt: AT }));
    assert.deepEqual(await store.importState(), { hasRecords: true, marker: null });
  });

  test('an import records the source it was copied from; a verified mark; clearing leaves a new store', async (store) => {
    await store.importRecords(await streamOfOneUser(), { copiedFrom: 'sqlite /data/hearth.db' });
    assert.deepEqual(await store.importState(), { hasRecords: true, marker: { copiedFrom: 'sqlite /data/hearth.db', finished: true, verifiedAt: null } });
    assert.equal(await store.markImportVerified(AT), true);
    assert.equal((await store.importState()).marker?.verifiedAt, AT);
    await store.clearRecords();
    assert.deepEqual(await store.importState(), { hasRecords: false, marker: null });
    assert.deepEqual(await store.listUsers(), []);
    await store.importRecords(await streamOfOneUser());
    assert.deepEqual(await store.importState(), { hasRecords: true, marker: { copiedFrom: null, finished: true, verifiedAt: null } });
  });

  test('an import cut off part way is unfinished, with its source', async (store) => {
    const lines = await streamOfOneUser();
    await assert.rejects(store.importRecords(lines.slice(0, -1), { copiedFrom: 'x', batchRows: 1 }), /cut off/);
    assert.deepEqual(await store.importState(), { hasRecords: true, marker: { copiedFrom: 'x', finished: false, verifiedAt: null } });
  });
}
