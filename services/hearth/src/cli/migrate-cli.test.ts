import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import { randomBytes } from 'node:crypto';
import { GATED, HearthError, createBlobStore, createStore, newId, type StoreConfig } from '@hearth/core';
import { hearth, type Run } from './cli-test-support.ts';
import { seedStore, startMigrate } from './migrate-test-support.ts';

type Env = Readonly<Record<string, string>>;

interface Progress {
  readonly stage: string;
  readonly copied: number;
  readonly total: number;
}

const progressOf = (run: Run): Progress[] =>
  run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Progress);

/** Each config's environment, as the operator's Job gives it: the target as the server's store, the source beside it. */
const targetEnv = (store: StoreConfig): Env => (store.type === 'sqlite' ? { HEARTH_DATA_DIR: path.dirname(store.path) } : { HEARTH_DATABASE_URL: store.url });
const sourceEnv = (store: StoreConfig): Env =>
  store.type === 'sqlite' ? { HEARTH_SOURCE_DATA_DIR: path.dirname(store.path) } : { HEARTH_SOURCE_DATABASE_URL: store.url };
const migrateEnv = (source: StoreConfig, target: StoreConfig, extra: Env = {}): Env => ({ ...sourceEnv(source), ...targetEnv(target), ...extra });

/** A gated write (a command's), refused with `migrating` while writes are paused. */
async function gatedWrite(config: StoreConfig): Promise<void> {
  const store = await createStore(config);
  try {
    const user = { id: newId(), name: 'late', email: null, role: 'member', passwordHash: null, createdAt: new Date().toISOString() } as const;
    await store.transaction((tx) => tx.insertUser(user), GATED);
  } finally {
    await store.close();
  }
}

const isMigrating = (error: unknown): boolean => error instanceof HearthError && error.code === 'migrating';

describe('hearth migrate', () => {
  let postgres: PostgresServer;
  let work: string;
  let databases = 0;

  const sqliteStore = async (name: string): Promise<StoreConfig> => ({ type: 'sqlite', path: path.join(work, name, 'hearth.db') });
  const postgresStore = async (): Promise<StoreConfig> => ({ type: 'postgres', url: await postgres.createDatabase(`migrate_${++databases}`), poolSize: 2 });

  /** `hearth export` of a store, as text. */
  async function exportOf(store: StoreConfig): Promise<string> {
    const file = path.join(work, `export-${newId()}.ndjson`);
    const run = await hearth(['export', '--out', file], targetEnv(store));
    assert.equal(run.code, 0, run.stderr);
    return readFile(file, 'utf8');
  }

  const writesStatus = async (store: StoreConfig): Promise<string> => (await hearth(['writes', 'status'], targetEnv(store))).stdout;

  before(async () => {
    postgres = await startPostgres();
    work = await mkdtemp(path.join(tmpdir(), 'hearth-migrate-'));
  });
  after(async () => {
    await postgres?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('embedded → single → clustered: each copy verified, exports identical, the source left paused; run again, it is done at once', async () => {
    const embedded = await sqliteStore('embedded');
    await seedStore(embedded, 300);
    const single = await postgresStore();
    const clustered = await postgresStore();

    const first = await hearth(['migrate'], migrateEnv(embedded, single));
    assert.equal(first.code, 0, first.stderr);
    const steps = progressOf(first);
    assert.deepEqual([...new Set(steps.map((step) => step.stage))], ['copying', 'verifying', 'done']);
    const done = steps.at(-1)!;
    assert.ok(done.copied > 300 && done.copied === done.total, JSON.stringify(done));
    assert.match(
      first.stderr,
      /^hearth migrate: PostgreSQL 127\.0\.0\.1:\d+\/migrate_1 holds a verified copy of SQLite .*embedded\/hearth\.db \([\d.]+ s\); writes on the source stay paused\n$/,
    );
    assert.match(
      await writesStatus(embedded),
      /^writes paused since .*: hearth migrate: copying to PostgreSQL 127\.0\.0\.1:\d+\/migrate_1\n$/,
      'paused with no end',
    );
    await assert.rejects(gatedWrite(embedded), isMigrating);

    const second = await hearth(['migrate'], migrateEnv(single, clustered));
    assert.equal(second.code, 0, second.stderr);
    const exported = await exportOf(embedded);
    assert.equal(await exportOf(single), exported);
    assert.equal(await exportOf(clustered), exported);

    const again = await hearth(['migrate'], migrateEnv(embedded, single));
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(progressOf(again), [{ stage: 'done', copied: done.copied, total: done.copied }]);
    assert.match(again.stderr, /the target already holds this source's verified copy, and the source's writes stay paused/);

    // The clustered tier is in use now: a rerun neither clears it nor opens the old tier's writes.
    await gatedWrite(clustered);
    const pausedBefore = await writesStatus(single);
    const inUse = await hearth(['migrate'], migrateEnv(single, clustered));
    assert.equal(inUse.code, 0, inUse.stderr);
    assert.equal(await writesStatus(single), pausedBefore, 'the old tier stays read-only');
    const withItsWrite = await exportOf(clustered);
    assert.notEqual(withItsWrite, exported, 'the new tier keeps its write');

    // Someone opened the old tier's writes again: which copy to keep is a person's call.
    assert.equal((await hearth(['writes', 'resume'], targetEnv(single))).code, 0);
    const refused = await hearth(['migrate'], migrateEnv(single, clustered));
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^hearth migrate: the target holds a copy of the source verified at .*, but the source's writes were opened since: if the target is the tier in use, the migration is done/,
    );
    assert.equal(await writesStatus(single), 'writes open\n', 'a refusal leaves the source as it was');
    assert.equal(await exportOf(clustered), withItsWrite);
  });

  it('copies the files beside the embedded store into the target’s PostgreSQL, and refuses a target with files off, taking writes again', async () => {
    const embedded = await sqliteStore('with-files');
    await seedStore(embedded, 20);
    const sourceFiles = await createBlobStore({ type: 'directory', dir: path.join(work, 'with-files', 'files') });
    const files: Record<string, Buffer> = {
      'files/one': randomBytes(3000),
      'files/one/thumbnail': randomBytes(40),
      'files/two': randomBytes(1),
      // A person's picture travels with the files.
      'avatars/one': randomBytes(50),
    };
    for (const [key, bytes] of Object.entries(files)) await sourceFiles.put(key, bytes);
    await sourceFiles.close();

    const off = await postgresStore();
    const refused = await hearth(['migrate'], migrateEnv(embedded, off));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the source holds files, and files are off for the target: set HEARTH_FILES_STORAGE/);
    await gatedWrite(embedded);

    const single = await postgresStore();
    assert.ok(single.type === 'postgres');
    const run = await hearth(['migrate'], migrateEnv(embedded, single, { HEARTH_FILES_STORAGE: 'postgres' }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /copied and verified 4 files \(3 KiB\)/);
    const copied = await createBlobStore({ type: 'postgres', url: single.url });
    try {
      for (const [key, bytes] of Object.entries(files)) assert.deepEqual(Buffer.from((await copied.get(key)) ?? []), bytes, key);
    } finally {
      await copied.close();
    }
  });

  it('refuses a target with data of its own in one line, without pausing the source', async () => {
    const source = await sqliteStore('refuse-source');
    await seedStore(source, 10);
    const target = await postgresStore();
    await seedStore(target, 1);
    const run = await hearth(['migrate'], migrateEnv(source, target));
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^hearth migrate: the target already holds data that hearth migrate did not copy: point HEARTH_DATABASE_URL \(or HEARTH_DATA_DIR\) at a new, empty database\n$/,
    );
    assert.equal(await writesStatus(source), 'writes open\n');
  });

  describe('killed mid-copy (kill -9)', () => {
    let big: StoreConfig;
    before(async () => {
      big = await sqliteStore('big');
      await seedStore(big, 15_000, 20);
    });

    /** The killed run's pause, with its lease, until it lapses by itself. */
    async function untilLeaseLapses(): Promise<void> {
      assert.match(await writesStatus(big), /^writes paused since .*: hearth migrate: copying to .* \(until .* unless renewed\)\n$/);
      const killedAt = Date.now();
      while ((await writesStatus(big)) !== 'writes open\n') assert.ok(Date.now() - killedAt < 15_000, 'the lease lapsed within its 3 s');
    }

    /** Starts hearth migrate and kills it once its first batch is in; returns the rows it reported. */
    async function killAfterFirstBatch(target: StoreConfig): Promise<number> {
      const { child, progress } = startMigrate(migrateEnv(big, target, { HEARTH_MIGRATE_LEASE_SECONDS: '3' }));
      let copied = 0;
      for await (const line of progress) {
        const step = JSON.parse(line) as Progress;
        if (step.stage !== 'copying') continue;
        copied = step.copied;
        break;
      }
      child.kill('SIGKILL');
      await once(child, 'exit');
      assert.ok(copied > 0 && copied < 30_000, `killed after ${copied} rows`);
      return copied;
    }

    it('the source takes writes again by itself when the lease lapses; run again, the copy resumes and ends identical', async () => {
      const target = await postgresStore();
      const copied = await killAfterFirstBatch(target);
      await untilLeaseLapses();

      const rerun = await hearth(['migrate'], migrateEnv(big, target));
      assert.equal(rerun.code, 0, rerun.stderr);
      const firstStep = progressOf(rerun)[0]!;
      assert.ok(firstStep.copied > copied, `resumed after the ${copied} rows in (first report: ${firstStep.copied})`);
      assert.equal(await exportOf(target), await exportOf(big));
    });

    it('when the source took a write after the lease lapsed, the rerun clears the stopped copy and makes it again', async () => {
      assert.equal((await hearth(['writes', 'resume'], targetEnv(big))).code, 0);
      const target = await postgresStore();
      await killAfterFirstBatch(target);
      await untilLeaseLapses();
      await gatedWrite(big);
      const rerun = await hearth(['migrate'], migrateEnv(big, target));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /the source changed since the stopped copy: clearing the target and copying again/);
      assert.equal(await exportOf(target), await exportOf(big));
    });
  });

  it('a failed verification exits 1 with one line and takes writes on the source again; fixed, the rerun copies anew', async () => {
    const source = await postgresStore();
    await seedStore(source, 200);
    const target = await sqliteStore('altered');
    await (await createStore(target)).close();
    const db = new DatabaseSync(target.type === 'sqlite' ? target.path : '');
    // A target that does not keep what it is given: each boost changed as it is inserted.
    db.exec("CREATE TRIGGER alter_boosts AFTER INSERT ON boosts BEGIN UPDATE boosts SET content = 'altered' WHERE id = NEW.id; END");
    const failed = await hearth(['migrate'], migrateEnv(source, target));
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /^hearth migrate: verification failed, the target differs from the source: boosts: the same \d+ rows, but their content differs\n$/,
    );
    assert.equal(await writesStatus(source), 'writes open\n');
    await gatedWrite(source);

    db.exec('DROP TRIGGER alter_boosts');
    db.close();
    const fixed = await hearth(['migrate'], migrateEnv(source, target));
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stderr, /clearing the target and copying again: it holds a copy of PostgreSQL .* that was never verified/);
    assert.equal(await exportOf(target), await exportOf(source));
  });

  const mistakes: readonly (readonly [string, Env, number, RegExp])[] = [
    [
      'no source',
      { HEARTH_DATA_DIR: '/tmp/hearth-migrate-none' },
      2,
      /^hearth: hearth migrate needs the store to copy from: HEARTH_SOURCE_DATABASE_URL, or HEARTH_SOURCE_DATA_DIR/,
    ],
    [
      'the same store twice',
      { HEARTH_DATA_DIR: '/tmp/x', HEARTH_SOURCE_DATA_DIR: '/tmp/x' },
      1,
      /^hearth migrate: the source and the target are the same store \(SQLite \/tmp\/x\/hearth.db\)\n$/,
    ],
    [
      'a source directory with no database',
      { HEARTH_DATA_DIR: '/tmp/hearth-migrate-none', HEARTH_SOURCE_DATA_DIR: '/nonexistent/old' },
      1,
      /^hearth migrate: there is no database at \/nonexistent\/old\/hearth.db: set HEARTH_SOURCE_DATA_DIR to the directory that holds hearth.db, or HEARTH_SOURCE_DATABASE_URL\n$/,
    ],
    [
      'a bad lease',
      { HEARTH_DATA_DIR: '/tmp/x', HEARTH_SOURCE_DATA_DIR: '/tmp/y', HEARTH_MIGRATE_LEASE_SECONDS: '0' },
      2,
      /^hearth: HEARTH_MIGRATE_LEASE_SECONDS must be/,
    ],
  ];
  for (const [what, env, code, message] of mistakes) {
    it(`refuses ${what} with one line and status ${code}`, async () => {
      const run = await hearth(['migrate'], env);
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    });
  }
});
