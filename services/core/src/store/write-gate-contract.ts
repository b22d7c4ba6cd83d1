import assert from 'node:assert/strict';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from './store.ts';
import { PAUSED_RETRY_AFTER_S } from './write-gate.ts';

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

const AT = '2025-01-01T00:00:00.000Z';
const PAUSE = { since: '2025-01-01T01:00:00.000Z', reason: 'migrating to the single tier' };

const addUser = (store: Store, name: string, options?: { gated: boolean }) =>
  store.transaction((tx) => tx.insertUser({ id: newId(), name, email: null, role: 'member', passwordHash: null, createdAt: AT }), options);

function isPaused(error: unknown): boolean {
  return error instanceof HearthError && error.code === 'migrating' && error.status === 503 && error.retryAfterSeconds === PAUSED_RETRY_AFTER_S;
}

/** The write gate (write-gate.ts), the same in both stores. */
export function writeGateTests(test: StoreTest): void {
  test('writes are open in a new store, gated or not', async (store) => {
    assert.equal(await store.writePause(), null);
    await addUser(store, 'gated', { gated: true });
    await addUser(store, 'ungated');
    assert.equal((await store.listUsers()).length, 2);
  });

  test('a pause refuses gated transactions with migrating (503, retry after) and writes nothing of them; reads and ungated writes go on', async (store) => {
    const before = await addUser(store, 'before');
    await store.pauseWrites(PAUSE);
    assert.deepEqual(await store.writePause(), PAUSE);
    await assert.rejects(addUser(store, 'refused', { gated: true }), isPaused);
    assert.deepEqual(
      (await store.listUsers()).map((user) => user.id),
      [before.id],
    );
    await addUser(store, 'bookkeeping');
    assert.equal((await store.listUsers()).length, 2);
  });

  test('resuming opens the gate again', async (store) => {
    await store.pauseWrites(PAUSE);
    await store.resumeWrites();
    assert.equal(await store.writePause(), null);
    await addUser(store, 'after', { gated: true });
  });

  test('the pause is not a record: an export leaves it out', async (store) => {
    await addUser(store, 'ada');
    await store.pauseWrites(PAUSE);
    const lines: string[] = [];
    await store.exportRecords((line) => void lines.push(line));
    assert.ok(!lines.some((line) => line.includes('write_gate') || line.includes(PAUSE.reason)));
  });
}
