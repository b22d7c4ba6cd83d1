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

  test('a pause with a lease holds while it is renewed, and says until when', async (store) => {
    await store.pauseWrites(PAUSE, { leaseSeconds: 60 });
    const pause = await store.writePause();
    assert.equal(pause?.reason, PAUSE.reason);
    assert.ok(pause?.leaseUntil !== undefined && Date.parse(pause.leaseUntil) > Date.now() + 50_000, JSON.stringify(pause));
    await assert.rejects(addUser(store, 'refused', { gated: true }), isPaused);
    assert.equal(await store.holdWritePause(PAUSE.since, 60), true);
    await assert.rejects(addUser(store, 'still refused', { gated: true }), isPaused);
  });

  test('a lease that lapsed opens the gate by itself, and can no longer be renewed', async (store) => {
    await store.pauseWrites(PAUSE, { leaseSeconds: 0.2 });
    await assert.rejects(addUser(store, 'refused', { gated: true }), isPaused);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await store.writePause(), null);
    await addUser(store, 'taken', { gated: true });
    assert.equal(await store.holdWritePause(PAUSE.since, 60), false);
    assert.equal(await store.writePause(), null, 'a lapsed lease is not brought back');
  });

  test('a lease ended (null) leaves writes paused with no end; only that pause can be held', async (store) => {
    await store.pauseWrites(PAUSE, { leaseSeconds: 60 });
    assert.equal(await store.holdWritePause('2025-01-01T02:00:00.000Z', null), false, 'another pause');
    assert.equal(await store.holdWritePause(PAUSE.since, null), true);
    assert.deepEqual(await store.writePause(), PAUSE);
    await assert.rejects(addUser(store, 'refused', { gated: true }), isPaused);
    assert.equal(await store.holdWritePause(PAUSE.since, 60), false, 'a pause with no lease is not given one');
  });

  test('a pause without a lease replaces one with a lease; a resume ends both', async (store) => {
    await store.pauseWrites(PAUSE, { leaseSeconds: 0.1 });
    await store.pauseWrites(PAUSE);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await store.writePause(), PAUSE);
    await store.pauseWrites(PAUSE, { leaseSeconds: 60 });
    await store.resumeWrites();
    assert.equal(await store.writePause(), null);
    assert.equal(await store.holdWritePause(PAUSE.since, 60), false);
    await addUser(store, 'after', { gated: true });
  });
}
