import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { newId } from '../ids.ts';
import { applyMigrations, MIGRATIONS } from './sqlite-migrations.ts';
import { runStoreContract } from './store-contract.ts';
import { buildSearchPlan, StoreSqlite } from './store-sqlite.ts';
import type { StoreTx } from './store.ts';

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hearth-store-sqlite-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const newFile = (): string => path.join(dir, `nested-${files}`, `store-${files++}.db`);

runStoreContract('StoreSqlite in memory', () => StoreSqlite.open(':memory:'));
runStoreContract('StoreSqlite on disk', () => StoreSqlite.open(newFile()));

/** Records every statement DatabaseSync.exec runs (BEGIN, SAVEPOINT, COMMIT…) while `use` runs. */
async function recordingExec<T>(use: (executed: string[]) => Promise<T>): Promise<{ result: T; executed: string[] }> {
  const executed: string[] = [];
  const exec = DatabaseSync.prototype.exec;
  DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string): void {
    executed.push(sql);
    exec.call(this, sql);
  };
  try {
    return { result: await use(executed), executed };
  } finally {
    DatabaseSync.prototype.exec = exec;
  }
}

describe('StoreSqlite group commit', () => {
  const createdAt = '2025-01-01T00:00:00.000Z';
  const person = (name: string) => ({ id: newId(), name, email: null, role: 'member' as const, passwordHash: null, createdAt });

  it('commits the commands queued together with one COMMIT, and answers none before it', async () => {
    const store = await StoreSqlite.open(newFile());
    try {
      const people = Array.from({ length: 10 }, (_, i) => person(`person ${i}`));
      const { executed } = await recordingExec((log) =>
        Promise.all(people.map((p) => store.transaction((tx) => tx.insertUser(p)).then(() => void log.push(`answered ${p.name}`)))),
      );
      assert.equal(executed.filter((sql) => sql === 'COMMIT').length, 1);
      assert.ok(executed.indexOf('COMMIT') < executed.indexOf('answered person 0'), 'answered only after the commit');
      assert.equal(await store.countUsers(), 10);
    } finally {
      await store.close();
    }
  });

  it('groups the commands that arrive in separate callbacks of one turn of the event loop, as requests do', async () => {
    const store = await StoreSqlite.open(newFile());
    try {
      const people = Array.from({ length: 5 }, (_, i) => person(`caller ${i}`));
      const { executed } = await recordingExec(() =>
        Promise.all(
          people.map(
            (p) => new Promise<void>((resolve, reject) => setImmediate(() => store.transaction((tx) => tx.insertUser(p)).then(() => resolve(), reject))),
          ),
        ),
      );
      assert.equal(executed.filter((sql) => sql === 'COMMIT').length, 1, 'one disk sync for the five');
      assert.equal(await store.countUsers(), 5);
    } finally {
      await store.close();
    }
  });

  /**
   * Ada's, Bob's and Cy's sign-ups queued together in one group, Bob's doing `afterBob` after
   * his insert: how each ended, and whose row is stored.
   */
  async function threeTogether(afterBob: (tx: StoreTx) => Promise<void>): Promise<{ outcomes: string[]; stored: string[] }> {
    const store = await StoreSqlite.open(newFile());
    try {
      const people = [person('Ada'), person('Bob'), person('Cy')];
      const results = await Promise.allSettled(
        people.map((p) =>
          store.transaction(async (tx) => {
            await tx.insertUser(p);
            if (p.name === 'Bob') await afterBob(tx);
          }),
        ),
      );
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'committed' : `failed: ${String(r.reason)}`));
      const stored = (await Promise.all(people.map((p) => store.getUser(p.id)))).flatMap((user) => (user === null ? [] : [user.name]));
      return { outcomes, stored };
    } finally {
      await store.close();
    }
  }

  it('fails a command alone: its savepoint is undone and the others of its group commit', async () => {
    const { outcomes, stored } = await threeTogether(() => Promise.reject(new Error('Bob changed his mind')));
    assert.deepEqual(outcomes, ['committed', 'failed: Error: Bob changed his mind', 'committed']);
    assert.deepEqual(stored, ['Ada', 'Cy'], "the failed command's write is undone");
  });

  it('fails the commands before one that lost the whole transaction, and commits those after it', async () => {
    // As SQLite does on its own after a full disk or an I/O error: the transaction is gone.
    const { outcomes, stored } = await threeTogether(async (tx) => {
      await (tx as unknown as { sql: { run(sql: string): Promise<number> } }).sql.run('ROLLBACK');
    });
    assert.deepEqual(
      outcomes.map((outcome) => outcome.startsWith('failed')),
      [true, true, false],
    );
    assert.deepEqual(stored, ['Cy']);
  });
});

describe('StoreSqlite', () => {
  it('commits a lazy transaction with synchronous=NORMAL and puts FULL back, even when the work fails', async () => {
    const store = await StoreSqlite.open(newFile());
    const { executed } = await recordingExec(async () => {
      await store.transaction(() => Promise.resolve(), { lazyCommit: true });
      await store.transaction(() => Promise.reject(new Error('the work failed')), { lazyCommit: true }).catch(() => undefined);
      await store.transaction(() => Promise.resolve());
      await assert.rejects(
        store.transaction(() => Promise.resolve(), { gated: true, lazyCommit: true }),
        /a gated transaction is a command: its commit must be durable/,
      );
    }).finally(() => store.close());
    assert.deepEqual(executed.slice(0, 12), [
      'PRAGMA synchronous = NORMAL',
      'BEGIN IMMEDIATE',
      'COMMIT',
      'PRAGMA synchronous = FULL',
      'PRAGMA synchronous = NORMAL',
      'BEGIN IMMEDIATE',
      'ROLLBACK',
      'PRAGMA synchronous = FULL',
      'BEGIN IMMEDIATE',
      'SAVEPOINT command',
      'RELEASE command',
      'COMMIT',
    ]);
  });

  it('keeps data across close and reopen, and migrates only once', async () => {
    const file = newFile();
    const user = { id: newId(), name: 'Ada', email: 'ada@example.com', role: 'member' as const, passwordHash: null, createdAt: '2025-01-01T00:00:00.000Z' };
    const first = await StoreSqlite.open(file);
    await first.transaction((tx) => tx.insertUser(user));
    await first.close();

    const second = await StoreSqlite.open(file);
    try {
      assert.equal((await second.getUser(user.id))?.name, 'Ada');
      assert.equal(await second.countUsers(), 1);
    } finally {
      await second.close();
    }
    const db = new DatabaseSync(file);
    try {
      assert.deepEqual(applyMigrations(db), [], 'nothing left to apply');
      const rows = db.prepare('SELECT id FROM schema_migrations ORDER BY id').all();
      assert.deepEqual(
        rows.map((row) => row['id']),
        MIGRATIONS.map((migration) => migration.id),
      );
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.['journal_mode'], 'wal');
    } finally {
      db.close();
    }
  });

  it('keeps both search indexes in step with message inserts, edits and deletes', async () => {
    const file = newFile();
    const store = await StoreSqlite.open(file);
    const createdAt = '2025-01-01T00:00:00.000Z';
    const user = { id: newId(), name: 'Ada', email: null, role: 'bot' as const, passwordHash: null, createdAt };
    await store.transaction(async (tx) => {
      await tx.insertUser(user);
      const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'r', createdBy: user.id, createdAt, directKey: null });
      for (const body of ['hello world', '東京都に住んでいます', 'café crème']) {
        const message = { id: newId(), roomId: room.id, seq: await tx.nextSeq(room.id), authorId: user.id, clientMessageId: newId() };
        await tx.insertMessage({ ...message, body, mentions: [], sound: null, file: null, createdAt });
        if (body.startsWith('hello')) await tx.updateMessageBody(message.id, 'goodbye world', [], createdAt);
        if (body.startsWith('café')) await tx.markMessageDeleted(message.id, createdAt);
      }
    });
    await store.close();
    const db = new DatabaseSync(file);
    try {
      // rank = 1 makes integrity-check compare each index with the messages table itself.
      for (const table of ['messages_fts', 'messages_trigram']) {
        db.exec(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`);
      }
    } finally {
      db.close();
    }
  });

  it('refuses a database migrated by a newer build', () => {
    const db = new DatabaseSync(':memory:');
    try {
      applyMigrations(db, [...MIGRATIONS, { id: '9999-future', sql: 'CREATE TABLE future (x INTEGER) STRICT' }]);
      assert.throws(() => applyMigrations(db), /newer Hearth/);
    } finally {
      db.close();
    }
  });

  it('rolls back a migration that fails halfway', () => {
    const db = new DatabaseSync(':memory:');
    try {
      const broken = [{ id: '0001-broken', sql: 'CREATE TABLE half (x INTEGER) STRICT; CREATE TABLE half (y INTEGER) STRICT;' }];
      assert.throws(() => applyMigrations(db, broken), /already exists/);
      assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get()?.['n'], 0);
      assert.deepEqual(
        applyMigrations(db),
        MIGRATIONS.map((migration) => migration.id),
      );
    } finally {
      db.close();
    }
  });

  it('exports from a snapshot that another connection writes past, without holding its writes back', async () => {
    const file = path.join(dir, 'export-while-writing.db');
    const [exporter, server] = [await StoreSqlite.open(file), await StoreSqlite.open(file)];
    try {
      const user = (name: string) => ({ id: newId(), name, email: null, role: 'member' as const, passwordHash: null, createdAt: new Date().toISOString() });
      await server.transaction((tx) => tx.insertUser(user('before')));
      const lines: string[] = [];
      let wroteDuring = false;
      await exporter.exportRecords(async (line) => {
        lines.push(line);
        if (wroteDuring) return;
        wroteDuring = true;
        // The server's write lock is free while the export runs (BEGIN IMMEDIATE would wait busy_timeout and fail).
        await server.transaction((tx) => tx.insertUser(user('during')));
      });
      assert.equal(lines.filter((line) => line.includes('"table":"users"')).length, 1, 'the export is the snapshot it started from');
      assert.equal((await server.listUsers()).length, 2);
    } finally {
      await exporter.close();
      await server.close();
    }
  });

  it('refuses a nested transaction instead of waiting for itself', async () => {
    const store = await StoreSqlite.open(':memory:');
    try {
      await assert.rejects(
        store.transaction(() => store.transaction(async () => 1)),
        /inside a transaction/,
      );
      // Reads through the store from inside the transaction run at once and see its writes.
      const id = newId();
      const seen = await store.transaction(async (tx) => {
        await tx.insertUser({ id, name: 'Ada', email: null, role: 'bot', passwordHash: null, createdAt: '2025-01-01T00:00:00.000Z' });
        return store.getUser(id);
      });
      assert.equal(seen?.id, id);
    } finally {
      await store.close();
    }
  });

  it('refuses a tx used after its transaction ended', async () => {
    const store = await StoreSqlite.open(':memory:');
    try {
      const leaked = await store.transaction(async (tx) => tx);
      await assert.rejects(leaked.countUsers(), /transaction has ended/);
    } finally {
      await store.close();
    }
  });
});

describe('buildSearchPlan', () => {
  const cases: [string, ReturnType<typeof buildSearchPlan>][] = [
    ['', null],
    ['  !!! *** "" ()', null],
    ['hel', { words: '"hel"*', substrings: null, shortNeedles: [] }],
    ['Hello, WORLD hello', { words: '"hello"* AND "world"*', substrings: null, shortNeedles: [] }],
    ['NEAR(a "b")', { words: '"near"* AND "a"* AND "b"*', substrings: null, shortNeedles: [] }],
    ['body:x^y', { words: '"body"* AND "x"* AND "y"*', substrings: null, shortNeedles: [] }],
    ['東京都 京都 go', { words: '"go"*', substrings: '"東京都"', shortNeedles: ['京都'] }],
  ];
  for (const [query, expected] of cases) {
    it(`plans ${JSON.stringify(query)}`, () => {
      assert.deepEqual(buildSearchPlan(query), expected);
    });
  }

  it('keeps at most 16 terms', () => {
    const plan = buildSearchPlan(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '));
    assert.equal(plan?.words?.split(' AND ').length, 16);
  });
});
