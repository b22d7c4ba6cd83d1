import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, startPostgres, startPostgresPair, type PostgresServer } from '@hearth/harness';
import { Client } from 'pg';
import type { User } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import { createStore } from './create-store.ts';
import { GATED } from './write-gate.ts';
import { applyMigrations, MIGRATIONS } from './postgres-migrations.ts';
import type { Store, StoreTx } from './store.ts';
import { runStoreContract } from './store-contract.ts';
import { buildSearchQuery, buildSearchVector, describeServer, StorePostgres } from './store-postgres.ts';

const POOL_SIZE = 10;
const T0 = '2025-01-01T00:00:00.000Z';

let server: PostgresServer;
let databases = 0;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
});

const newDatabase = (): Promise<string> => server.createDatabase(`t${databases++}`);
const open = async (poolSize = POOL_SIZE): Promise<StorePostgres> => StorePostgres.open(await newDatabase(), poolSize);

runStoreContract('StorePostgres', () => open());

/** Runs `use` with a plain connection to `url`, to look at the database behind the store's back. */
async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function withStore(store: Store, body: (store: Store) => Promise<void>): Promise<void> {
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

async function seedRoom(store: Store): Promise<{ user: User; roomId: string }> {
  return store.transaction(async (tx) => {
    const user = await tx.insertUser({ id: newId(), name: 'Ada', email: 'ada@example.com', role: 'member', passwordHash: null, createdAt: T0 });
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'general', createdBy: user.id, createdAt: T0, directKey: null });
    await tx.putMembership({ roomId: room.id, userId: user.id, involvement: 'mentions', readSeq: 0, createdAt: T0 });
    return { user, roomId: room.id };
  });
}

function postIn(store: Store, roomId: string, author: User, body: string): Promise<void> {
  return store.transaction(async (tx) => {
    const seq = await tx.nextSeq(roomId);
    await tx.insertMessage({
      id: newId(),
      roomId,
      seq,
      authorId: author.id,
      clientMessageId: newId(),
      body,
      mentions: [],
      sound: null,
      file: null,
      createdAt: T0,
    });
  });
}

describe('StorePostgres on a primary and its replica (the clustered tier)', () => {
  it('keeps every acknowledged post through kill -9 of the primary and the promotion of its replica', async () => {
    const pair = await startPostgresPair();
    try {
      const store = await StorePostgres.open(await pair.createDatabase('failover'), POOL_SIZE);
      await withStore(store, async () => {
        const { user, roomId } = await seedRoom(store);
        const acknowledged: string[] = [];
        const refused: string[] = [];
        let stop = false;
        const writer = (async () => {
          for (let n = 0; !stop; n += 1) {
            const body = `post ${n}`;
            try {
              await postIn(store, roomId, user, body);
              acknowledged.push(body);
            } catch (error) {
              // While there is no primary the store answers 503, never hangs or crashes.
              assert.ok(error instanceof HearthError && error.code === 'unavailable', String(error));
              refused.push(body);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        })();
        await eventuallyTrue(() => acknowledged.length >= 20);
        const [primary, replica] = pair.nodes;
        assert.ok(primary !== undefined && replica !== undefined);
        await primary.kill9();
        await pair.promote(replica);
        const afterPromotion = acknowledged.length;
        await eventuallyTrue(() => acknowledged.length >= afterPromotion + 20, 30_000);
        stop = true;
        await writer;

        const stored = (await store.listMessages(roomId, { limit: 1_000 })).map((message) => message.body);
        assert.deepEqual(
          acknowledged.filter((body) => !stored.includes(body)),
          [],
          'no acknowledged post lost',
        );
        const seqs = (await store.listMessages(roomId, { limit: 1_000 })).map((message) => message.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          'in order',
        );
        assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
        // A post refused while the primary was gone may still have committed there before it died.
        const committedUnacknowledged = refused.filter((body) => stored.includes(body));
        assert.ok(committedUnacknowledged.length <= 1, `committed but never acknowledged: ${committedUnacknowledged.join(', ')}`);
      });
    } finally {
      await pair.stop();
    }
  });
});

async function eventuallyTrue(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('StorePostgres migrations', () => {
  it('runs each migration once when five stores open the same fresh database together', async () => {
    const url = await newDatabase();
    const stores = await Promise.all(Array.from({ length: 5 }, () => StorePostgres.open(url, 2)));
    await Promise.all(stores.map((store) => store.close()));
    await withClient(url, async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      assert.deepEqual(
        rows.map((row) => row.id),
        MIGRATIONS.map((migration) => migration.id),
      );
      assert.deepEqual(await applyMigrations(client), [], 'nothing left to apply');
    });
  });

  it('refuses a database migrated by a newer build', async () => {
    const url = await newDatabase();
    await withClient(url, (client) => applyMigrations(client, [...MIGRATIONS, { id: '9999-future', sql: 'CREATE TABLE future (x integer)' }]));
    await assert.rejects(StorePostgres.open(url, 1), /9999-future.*newer Hearth/);
  });

  it('rolls back a migration that fails halfway', async () => {
    const url = await newDatabase();
    await withClient(url, async (client) => {
      const broken = [{ id: '0001-broken', sql: 'CREATE TABLE half (x integer); CREATE TABLE half (y integer);' }];
      await assert.rejects(applyMigrations(client, broken), /already exists/);
      const { rows } = await client.query("SELECT to_regclass('half') AS half, to_regclass('schema_migrations') AS migrations");
      assert.deepEqual(rows, [{ half: null, migrations: null }]);
      assert.deepEqual(
        await applyMigrations(client),
        MIGRATIONS.map((migration) => migration.id),
      );
    });
  });
});

describe('StorePostgres', () => {
  it('commits a lazy transaction without waiting for the disk, and only that transaction', async () => {
    const url = await newDatabase();
    // The test server commits without waiting (startPostgres without durable): this database waits.
    await withClient(url, (client) => client.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET synchronous_commit TO on`));
    const store = await StorePostgres.open(url, 1);
    await withStore(store, async () => {
      // The raw setting, through the transaction's own connection (a pool of one: every transaction gets it).
      const setting = (tx: StoreTx): Promise<string> =>
        (tx as unknown as { sql: { row<T>(sql: string): Promise<T | undefined> } }).sql
          .row<{ synchronous_commit: string }>('SHOW synchronous_commit')
          .then((row) => row!.synchronous_commit);
      assert.equal(await store.transaction(setting, { lazyCommit: true }), 'off');
      assert.equal(await store.transaction(setting), 'on', 'the connection goes back to the pool durable');
      assert.equal(await store.transaction(setting, { gated: true }), 'on');
      await assert.rejects(store.transaction(setting, { gated: true, lazyCommit: true }), /a gated transaction is a command: its commit must be durable/);
    });
  });

  it('hands out 1..100 with no gap or duplicate to 100 concurrent transactions on one room', async () => {
    await withStore(await open(20), async (store) => {
      const { roomId } = await seedRoom(store);
      const seqs = await Promise.all(
        Array.from({ length: 100 }, () =>
          store.transaction(async (tx) => {
            const seq = await tx.nextSeq(roomId);
            await new Promise((resolve) => setImmediate(resolve));
            return seq;
          }),
        ),
      );
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      assert.equal((await store.getRoom(roomId))?.lastSeq, 100);
    });
  });

  it('lets exactly one of two transactions that hold lockRoom together insert a clientMessageId', async () => {
    await withStore(await open(), async (store) => {
      const { user, roomId } = await seedRoom(store);
      const clientMessageId = newId();
      // Both transactions are open on their own connections before either takes the lock.
      let arrived = 0;
      const bothOpen = Promise.withResolvers<void>();
      const order: string[] = [];
      const postOnce = (name: string) =>
        store.transaction(async (tx) => {
          await tx.getRoom(roomId);
          if (++arrived === 2) bothOpen.resolve();
          await bothOpen.promise;
          await tx.lockRoom(roomId);
          order.push(`${name} locked`);
          if ((await tx.getMessageByClientId(roomId, user.id, clientMessageId)) !== null) return 'found';
          await new Promise((resolve) => setTimeout(resolve, 50));
          const seq = await tx.nextSeq(roomId);
          await tx.insertMessage({
            id: newId(),
            roomId,
            seq,
            authorId: user.id,
            clientMessageId,
            body: 'once',
            mentions: [],
            sound: null,
            file: null,
            createdAt: T0,
          });
          order.push(`${name} inserted`);
          return 'inserted';
        });
      assert.deepEqual((await Promise.all([postOnce('a'), postOnce('b')])).sort(), ['found', 'inserted']);
      assert.equal(order.length, 3);
      assert.match(order[1] ?? '', /inserted/, 'the second lock waited for the first transaction to end');
      assert.equal((await store.listMessages(roomId, { limit: 10 })).length, 1);
    });
  });

  it('keeps data across close and reopen', async () => {
    const url = await newDatabase();
    const first = await StorePostgres.open(url, 2);
    const { user, roomId } = await seedRoom(first);
    await postIn(first, roomId, user, 'still here after a restart');
    await first.close();

    await withStore(await StorePostgres.open(url, 2), async (second) => {
      assert.deepEqual(await second.getUser(user.id), user);
      assert.equal((await second.getRoom(roomId))?.lastSeq, 1);
      assert.deepEqual(
        (await second.listMessages(roomId, { limit: 5 })).map((message) => message.body),
        ['still here after a restart'],
      );
      assert.equal((await second.searchMessages(user.id, 'restart', 5)).length, 1);
    });
  });

  it('keeps a transaction usable after a refused insert, as SQLite does', async () => {
    await withStore(await open(), async (store) => {
      const { user, roomId } = await seedRoom(store);
      const committed = await store.transaction(async (tx) => {
        const duplicate = { id: newId(), name: 'Again', email: 'ADA@example.com', role: 'member' as const, passwordHash: null, createdAt: T0 };
        await assert.rejects(tx.insertUser(duplicate), (error) => error instanceof HearthError && error.code === 'email_taken');
        return tx.nextSeq(roomId);
      });
      assert.equal(committed, 1);
      assert.equal(await store.countUsers(), 1);
      assert.equal((await store.getUser(user.id))?.name, 'Ada');
    });
  });

  it('refuses a nested transaction; reads through the store inside one see its writes', async () => {
    await withStore(await open(), async (store) => {
      await assert.rejects(
        store.transaction(() => store.transaction(async () => 1)),
        /inside a transaction/,
      );
      const id = newId();
      const seen = await store.transaction(async (tx) => {
        await tx.insertUser({ id, name: 'Ada', email: null, role: 'bot', passwordHash: null, createdAt: T0 });
        return store.getUser(id);
      });
      assert.equal(seen?.id, id);
      const leaked = await store.transaction(async (tx) => tx);
      await assert.rejects(leaked.countUsers(), /transaction has ended/);
    });
  });

  it('refuses text PostgreSQL cannot store with invalid_request, not an internal error', async () => {
    await withStore(await open(), async (store) => {
      const { user, roomId } = await seedRoom(store);
      await assert.rejects(postIn(store, roomId, user, 'nul \u0000 inside'), (error) => error instanceof HearthError && error.code === 'invalid_request');
      assert.equal((await store.getRoom(roomId))?.lastSeq, 0);
    });
  });

  it('finds a long CJK needle only where it is contiguous, and words split at punctuation', async () => {
    await withStore(await open(), async (store) => {
      const { user, roomId } = await seedRoom(store);
      // Holds every trigram of あいうあい, but never the five characters in a row.
      await postIn(store, roomId, user, 'あいうかいうあかうあい');
      await postIn(store, roomId, user, 'see example.com or ada@example.org, v1.2.3');
      const bodies = async (query: string) => (await store.searchMessages(user.id, query, 10)).map((hit) => hit.message.body);
      assert.deepEqual(await bodies('あいうあい'), []);
      assert.deepEqual(await bodies('うあい'), ['あいうかいうあかうあい']);
      assert.deepEqual(await bodies('いうあか'), ['あいうかいうあかうあい']);
      for (const query of ['com', 'exam org', 'ada', '2', 'v1']) {
        assert.deepEqual(await bodies(query), ['see example.com or ada@example.org, v1.2.3'], query);
      }
    });
  });

  it('is what createStore returns for a postgres config', async () => {
    await withStore(await createStore({ type: 'postgres', url: await newDatabase(), poolSize: 2 }), async (store) => {
      assert.ok(store instanceof StorePostgres);
      await store.ping();
    });
  });

  it('names PostgreSQL and the server when it cannot connect', async () => {
    const port = await freePort();
    await assert.rejects(StorePostgres.open(`postgres://hearth:secret@127.0.0.1:${port}/hearth`, 1), (error: Error) => {
      assert.match(error.message, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}/hearth`));
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
  });
  it("answers unavailable, not an internal error, when PostgreSQL refuses a new connection's credentials (a password rotated under it)", async () => {
    const url = new URL(await newDatabase());
    const role = `app_${databases}`;
    await withClient(url.href, (client) => client.query(`CREATE ROLE ${role} LOGIN SUPERUSER`));
    url.username = role;
    await withStore(await StorePostgres.open(url.href, 1), async (store) => {
      await store.ping();
      // The role may no longer log in (28000), as after ALTER ROLE … PASSWORD; its open connection is ended, so the pool opens a new one.
      url.username = 'hearth';
      await withClient(url.href, (client) =>
        client.query(`ALTER ROLE ${role} NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`),
      );
      await assert.rejects(store.ping(), (error: unknown) => {
        assert.ok(error instanceof HearthError, String(error));
        assert.equal(error.code, 'unavailable');
        return true;
      });
    });
  });
});

describe('StorePostgres write gate', () => {
  const AT = '2025-01-01T00:00:00.000Z';
  const newUser = (name: string) => ({ id: newId(), name, email: null, role: 'member' as const, passwordHash: null, createdAt: AT });

  /** Resolves once `count` of the database's sessions wait on a lock, or `settled` has: whichever is first. */
  async function lockWaiters(url: string, count: number, settled?: Promise<unknown>): Promise<void> {
    let done = false;
    void settled?.then(
      () => (done = true),
      () => (done = true),
    );
    await withClient(url, async (client) => {
      const waiting = async () =>
        Number(
          (await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
            .rows[0]?.n,
        );
      while (!done && (await waiting()) < count) await new Promise((resolve) => setTimeout(resolve, 10));
    });
  }

  it('a pause waits for the gated transactions that read the gate open, and refuses the ones that come while it waits', async () => {
    const url = await newDatabase();
    const store = await StorePostgres.open(url, POOL_SIZE);
    const holding = Promise.withResolvers<void>();
    try {
      const inside = Promise.withResolvers<void>();
      const inFlight = store.transaction(async (tx) => {
        const user = await tx.insertUser(newUser('in flight'));
        inside.resolve();
        await holding.promise;
        return user;
      }, GATED);
      await inside.promise;

      let paused = false;
      const pausing = store.pauseWrites({ since: AT, reason: 'test' }).then(() => {
        paused = true;
      });
      await lockWaiters(url, 1, pausing);
      assert.equal(paused, false, 'the pause did not wait for the transaction that read the gate open');
      // A share lock on the gate row is granted past a waiting pause (PostgreSQL does not queue
      // row lockers behind a waiter), so a stream of overlapping commands would starve the pause.
      const latecomer = store.transaction((tx) => tx.insertUser(newUser('latecomer')), GATED);
      let lateOutcome = 'waiting';
      latecomer.then(
        () => (lateOutcome = 'committed'),
        () => (lateOutcome = 'refused'),
      );
      await lockWaiters(url, 2, latecomer);
      assert.equal(lateOutcome, 'waiting', 'a command that came while the pause waited went ahead of it');

      holding.resolve();
      const committed = await inFlight;
      await pausing;
      await assert.rejects(latecomer, (error: unknown) => error instanceof HearthError && error.code === 'migrating');
      assert.deepEqual(
        (await store.listUsers()).map((user) => user.id),
        [committed.id],
      );
    } finally {
      // A failed check must not leave the transaction open: close() waits for it.
      holding.resolve();
      await store.close();
    }
  });

  it('a refused transaction ends at once: it holds no lock on the gate that would keep a resume or a renewal waiting', async () => {
    const store = await open();
    try {
      await store.pauseWrites({ since: AT, reason: 'test' }, { leaseSeconds: 60 });
      // At once, so each is refused on a connection of its own.
      const refused = await Promise.allSettled([0, 1, 2].map((i) => store.transaction((tx) => tx.insertUser(newUser(`refused ${i}`)), GATED)));
      for (const outcome of refused) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof HearthError && outcome.reason.code === 'migrating');
      const inTime = <T>(work: Promise<T>): Promise<T> =>
        Promise.race([work, new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('waited on a refused transaction')), 3_000))]);
      assert.equal(await inTime(store.holdWritePause(AT, 60)), true);
      await inTime(store.resumeWrites());
      await store.transaction((tx) => tx.insertUser(newUser('after')), GATED);
    } finally {
      await store.close();
    }
  });
});

describe('describeServer', () => {
  it('keeps host, port and database, and drops credentials', () => {
    assert.equal(describeServer('postgres://u:p@db.example:6432/chat?sslmode=require'), 'db.example:6432/chat');
    assert.equal(describeServer('postgresql://db'), 'db:5432');
    assert.equal(describeServer('not a url'), 'the configured server');
  });
});

describe('buildSearchQuery', () => {
  const cases: [string, string | null][] = [
    ['', null],
    ['  !!! *** "" ()', null],
    ['hel', "'hel':*"],
    ['Hello, WORLD hello', "'hello':* & 'world':*"],
    ["NEAR(a 'b') & !c <-> d:*", "'near':* & 'a':* & 'b':* & 'c':* & 'd':*"],
    ['CAFÉ Cafe\u0301', "'cafe':*"],
    ['東京都 京都 go', "'~東京都':* & '~京都':* & 'go':*"],
    ['東京都に住む', "('~東京都' <-> '~京都に' <-> '~都に住' <-> '~に住む')"],
  ];
  for (const [query, expected] of cases) {
    it(`plans ${JSON.stringify(query)}`, () => {
      assert.equal(buildSearchQuery(query), expected);
    });
  }

  it('keeps at most 16 terms, each at most 100 characters', () => {
    assert.equal(buildSearchQuery(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))?.split(' & ').length, 16);
    assert.equal(buildSearchQuery('a'.repeat(2000)), `'${'a'.repeat(100)}':*`);
  });
});

describe('buildSearchVector', () => {
  it('stores folded words and positioned trigrams of unsegmented runs', () => {
    assert.equal(buildSearchVector('Crème brûlée, crème!'), "'creme' 'brulee'");
    assert.equal(buildSearchVector('東京 ok 京都'), "'~東京':1 '~京':2 'ok' '~京都':4 '~都':5");
    assert.equal(buildSearchVector(''), '');
  });
});
