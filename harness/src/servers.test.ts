import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isListening } from './tcp.ts';
import { startNats, startPostgres, startRedis } from './index.ts';

const run = promisify(execFile);

describe('the test servers', () => {
  it('starts PostgreSQL, answers SQL, creates a database, restarts keeping it, and stops leaving the port free', async () => {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase('harness_check');
      const { stdout } = await run('psql', [url, '-Atc', 'select 40 + 2']);
      assert.equal(stdout.trim(), '42');
      await pg.restart();
      const { stdout: again } = await run('psql', [url, '-Atc', 'select 40 + 2']);
      assert.equal(again.trim(), '42');
    } finally {
      await pg.stop();
    }
    assert.equal(await isListening(pg.port), false);
  });

  it('starts Redis and NATS, and restarts NATS on the same port', async () => {
    const redis = await startRedis();
    const nats = await startNats();
    try {
      assert.equal(await isListening(redis.port), true);
      await nats.restart();
      assert.equal(await isListening(nats.port), true);
    } finally {
      await redis.stop();
      await nats.stop();
    }
    assert.equal(await isListening(nats.port), false);
  });
});
