import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GATED, HearthError, createStore, newId, type Store } from '@hearth/core';
import { hearth } from './cli-test-support.ts';

describe('hearth writes pause, status and resume', () => {
  let dir: string;
  let env: Record<string, string>;
  const openStore = (): Promise<Store> => createStore({ type: 'sqlite', path: path.join(dir, 'hearth.db') });
  const gatedWrite = async (store: Store) =>
    store.transaction(
      (tx) => tx.insertUser({ id: newId(), name: 'x', email: null, role: 'member', passwordHash: null, createdAt: new Date().toISOString() }),
      GATED,
    );

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hearth-writes-'));
    env = { HEARTH_DATA_DIR: dir };
    await (await openStore()).close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('pauses the store’s writes, says so, and opens them again', async () => {
    assert.deepEqual(await hearth(['writes', 'status'], env), { code: 0, stdout: 'writes open\n', stderr: '' });
    const paused = await hearth(['writes', 'pause', '--reason', 'copying to the single tier'], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^writes paused since \d{4}-\d\d-\d\dT[\d:.]+Z: copying to the single tier\n$/);
    assert.equal((await hearth(['writes', 'status'], env)).stdout, paused.stdout);

    const store = await openStore();
    try {
      await assert.rejects(gatedWrite(store), (error: unknown) => error instanceof HearthError && error.code === 'migrating');
      assert.deepEqual(await hearth(['writes', 'resume'], env), { code: 0, stdout: 'writes open\n', stderr: '' });
      await gatedWrite(store);
    } finally {
      await store.close();
    }
  });

  it('refuses a data directory with no database, in one line', async () => {
    const run = await hearth(['writes', 'pause', '--reason', 'x'], { HEARTH_DATA_DIR: path.join(dir, 'missing') });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^hearth writes pause: there is no database at .*missing\/hearth\.db: set HEARTH_DATA_DIR/);
    assert.equal(run.stderr.split('\n').length, 2);
  });
});
