import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRedis, startRedisSentinel, type RedisServer, type RedisSentinelSet } from '@hearth/harness';
import { parseConfig } from '../config.ts';
import { Redis } from 'ioredis';
import { newId } from '../ids.ts';
import { createEphemeral } from './create-ephemeral.ts';
import { runEphemeralContract } from './ephemeral-contract.ts';
import { EphemeralRedis, redactUrl } from './ephemeral-redis.ts';

let server: RedisServer;
/** The clustered tier's Redis: a master, a replica and three Sentinels. */
let sentinelSet: RedisSentinelSet;

before(async () => {
  [server, sentinelSet] = await Promise.all([startRedis(), startRedisSentinel()]);
});

after(async () => {
  await Promise.all([server.stop(), sentinelSet.stop()]);
});

/** The config HEARTH_REDIS_URL=redis-sentinel://… gives, as the services read it. */
function sentinelConfig(instance: string): Parameters<typeof EphemeralRedis.connect>[0] {
  const config = parseConfig(
    { HEARTH_DATABASE_URL: 'postgres://db/h', HEARTH_NATS_URL: 'nats://n:4222', HEARTH_REDIS_URL: sentinelSet.url, HEARTH_INSTANCE: instance },
    ['--target=realtime'],
    '/tmp',
    '/tmp',
  );
  if (config.ephemeral.type !== 'redis') throw new Error('not a Redis config');
  return config.ephemeral;
}

function freshInstance(): string {
  return `t-${newId().slice(0, 8)}`;
}

function open(instance = freshInstance()): Promise<EphemeralRedis> {
  return EphemeralRedis.connect({ type: 'redis', url: server.url, instance });
}

runEphemeralContract('EphemeralRedis', () => open());
runEphemeralContract('createEphemeral({ type: redis })', () => createEphemeral({ type: 'redis', url: server.url, instance: freshInstance() }));
runEphemeralContract('EphemeralRedis through Sentinels', () => EphemeralRedis.connect(sentinelConfig(freshInstance())));

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['redis://:secret@h:6379', 'redis://:***@h:6379'],
    ['rediss://user:secret@h:6380/0', 'rediss://user:***@h:6380/0'],
    ['redis-sentinel://:secret@a:26379,b:26379/hearth', 'redis-sentinel://:***@a:26379,b:26379/hearth'],
    ['redis://h:6379', 'redis://h:6379'],
  ];
  for (const [url, redacted] of cases) it(url, () => assert.equal(redactUrl(url), redacted));
});

describe('EphemeralRedis through Sentinels', () => {
  it('follows a failover: kill -9 of the master, the replica promoted, calls answer again, fast failures meanwhile', async () => {
    const ephemeral = await EphemeralRedis.connect(sentinelConfig(freshInstance()));
    try {
      const key = newId();
      await ephemeral.set(key, 'before', 60_000);
      const master = await sentinelSet.master();
      const replica = sentinelSet.nodes.find((node) => node !== master);
      assert.ok(replica !== undefined);
      // Written through to the replica before the master goes, as a quiet master would have.
      await sleep(200);
      await master.kill9();
      const killedAt = Date.now();
      for (;;) {
        const started = Date.now();
        try {
          await ephemeral.set(`${key}-after`, 'after', 60_000);
          break;
        } catch (error) {
          assert.ok(Date.now() - started < 3_000, 'a call fails fast while Redis is away, never hangs');
          assert.match(String(error), /unavailable|Redis/i);
          assert.ok(Date.now() - killedAt < 30_000, 'answers again within 30 s');
          await sleep(200);
        }
      }
      assert.equal((await sentinelSet.master()).port, replica.port, 'the replica was promoted');
      assert.equal(await ephemeral.get(`${key}-after`), 'after');
      assert.equal(await ephemeral.get(key), 'before', 'what the replica had copied is still there');
      // The old master comes back as a replica of the new one, for the next test.
      await master.start();
      await sentinelSet.waitForMaster(replica);
    } finally {
      await ephemeral.close();
    }
  });
});

describe('EphemeralRedis shared by several processes', () => {
  it('shares counters, values and presence between connections of one instance', async () => {
    const instance = freshInstance();
    const [a, b] = [await open(instance), await open(instance)];
    try {
      const key = newId();
      await a.hit(key, 10_000);
      assert.equal((await b.hit(key, 10_000)).count, 2);
      assert.equal(await a.throttle(key, 10_000), true);
      assert.equal(await b.throttle(key, 10_000), false);
      await a.set(key, 'shared', 10_000);
      assert.equal(await b.get(key), 'shared');
      const userId = newId();
      assert.equal(await a.touchPresence(userId, 'c1', 10_000), true);
      assert.deepEqual(await b.onlineUsers(), [userId]);
      assert.equal(await b.touchPresence(userId, 'c2', 10_000), false);
      assert.equal(await a.dropPresence(userId, 'c2'), false);
      assert.equal(await b.dropPresence(userId, 'c1'), true);
      assert.deepEqual(await a.onlineUsers(), []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps instances apart and every key under hearth:<instance>:', async () => {
    const [one, other] = [await open(), await open()];
    const instance = freshInstance();
    const mine = await open(instance);
    const raw = new Redis(server.url);
    try {
      await one.touchPresence('u', 'c1', 10_000);
      await one.set('k', 'one', 10_000);
      assert.deepEqual(await other.onlineUsers(), []);
      assert.equal(await other.get('k'), null);
      await mine.hit('k', 10_000);
      await mine.throttle('k', 10_000);
      await mine.set('k', 'v', 10_000);
      await mine.touchPresence('u', 'c1', 10_000);
      const keys = await raw.keys(`*${instance}*`);
      assert.equal(keys.length, 5, keys.join(', '));
      assert.ok(
        keys.every((key) => key.startsWith(`hearth:${instance}:`)),
        keys.join(', '),
      );
    } finally {
      raw.disconnect();
      await Promise.all([one.close(), other.close(), mine.close()]);
    }
  });

  it('reports each expired user exactly once to concurrent expirePresence calls', async () => {
    const instance = freshInstance();
    const [a, b] = [await open(instance), await open(instance)];
    try {
      // More users than one expire script takes, so batches of both callers interleave.
      const expiring = Array.from({ length: 1_200 }, () => newId());
      const staying = Array.from({ length: 20 }, () => newId());
      await Promise.all(expiring.flatMap((userId) => [a.touchPresence(userId, 'c1', 50), b.touchPresence(userId, 'c2', 80)]));
      await Promise.all(staying.map((userId) => a.touchPresence(userId, 'c1', 10_000)));
      await sleep(150);
      const reports = await Promise.all([a.expirePresence(), b.expirePresence(), a.expirePresence(), b.expirePresence()]);
      const reported = reports.flat();
      assert.equal(reported.length, expiring.length);
      assert.deepEqual([...reported].sort(), [...expiring].sort());
      assert.deepEqual((await a.onlineUsers()).sort(), [...staying].sort());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('runs its scripts again after Redis forgot them', async () => {
    const ephemeral = await open();
    const raw = new Redis(server.url);
    try {
      assert.equal(await ephemeral.touchPresence('u', 'c1', 10_000), true);
      await raw.script('FLUSH');
      assert.equal(await ephemeral.touchPresence('u', 'c2', 10_000), false);
      assert.equal((await ephemeral.hit('k', 10_000)).count, 1);
    } finally {
      raw.disconnect();
      await ephemeral.close();
    }
  });

  it('reconnects in the background after losing its connection', async () => {
    const instance = freshInstance();
    const ephemeral = await open(instance);
    const raw = new Redis(server.url);
    try {
      await ephemeral.set('k', 'kept', 10_000);
      assert.equal(await raw.call('CLIENT', 'KILL', 'USER', 'default', 'SKIPME', 'yes'), 1);
      const deadline = performance.now() + 5_000;
      let value: string | null | undefined;
      while (value === undefined && performance.now() < deadline) {
        value = await ephemeral.get('k').catch(() => sleep(50).then(() => undefined));
      }
      assert.equal(value, 'kept');
    } finally {
      raw.disconnect();
      await ephemeral.close();
    }
  });

  it('refuses use once closed', async () => {
    const ephemeral = await open();
    await ephemeral.close();
    await ephemeral.close();
    await assert.rejects(ephemeral.ping(), { code: 'unavailable' });
    await assert.rejects(ephemeral.get('k'), { code: 'unavailable' });
  });
});

describe('EphemeralRedis without a Redis', () => {
  it('gives up connecting after the timeout, naming Redis and the URL', async () => {
    const url = `redis://:secret@127.0.0.1:${await freePort()}`;
    const started = performance.now();
    await assert.rejects(EphemeralRedis.connect({ type: 'redis', url, instance: 'hearth' }, { readyTimeoutMs: 300 }), (error: Error) => {
      assert.match(error.message, /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ was not ready within 300 ms: .*ECONNREFUSED/);
      return true;
    });
    assert.ok(performance.now() - started < 2_000);
  });

  // Last in the file: it stops the shared server.
  it('fails fast once the server is gone', async () => {
    const ephemeral = await open();
    try {
      await ephemeral.ping();
      await server.stop();
      for (const call of [() => ephemeral.ping(), () => ephemeral.hit('k', 1_000), () => ephemeral.ping()]) {
        const started = performance.now();
        await assert.rejects(call(), { code: 'unavailable' });
        const tookMs = performance.now() - started;
        assert.ok(tookMs < 2_000, `took ${tookMs} ms`);
      }
    } finally {
      await ephemeral.close();
    }
  });
});
