import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startRedis, startToxiproxy, toxicAttributes, type RedisServer, type Toxiproxy } from './index.ts';

/** Sends PING on a new connection to `port`; the answer and how long it took, or the error. */
function ping(port: number, timeoutMs = 1_500): Promise<{ readonly answer: string; readonly ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (answer: string): void => {
      socket.destroy();
      resolve({ answer, ms: performance.now() - started });
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().trim()));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.once('end', () => done('closed'));
  });
}

describe('toxiproxy in front of a server', () => {
  let toxiproxy: Toxiproxy;
  let redis: RedisServer;
  let port: number;

  before(async () => {
    [toxiproxy, redis] = await Promise.all([startToxiproxy(), startRedis()]);
    port = await toxiproxy.proxy('redis', redis.port);
  });
  after(async () => {
    await Promise.allSettled([toxiproxy?.stop(), redis?.stop()]);
  });

  it('passes traffic through, then adds latency, resets and black-holes it while a toxic is in place', async () => {
    assert.equal((await ping(port)).answer, '+PONG');

    const latency = await toxiproxy.addToxic('redis', { type: 'latency', latencyMs: 300, jitterMs: 0 });
    const slow = await ping(port);
    await toxiproxy.removeToxics('redis', latency);
    assert.equal(slow.answer, '+PONG');
    assert.ok(slow.ms >= 300, `answered after ${slow.ms} ms, with 300 ms of latency each way`);

    const reset = await toxiproxy.addToxic('redis', { type: 'reset_peer', timeoutMs: 0 });
    const wasReset = await ping(port);
    await toxiproxy.removeToxics('redis', reset);
    assert.ok(['ECONNRESET', 'closed'].includes(wasReset.answer), `reset_peer: ${wasReset.answer}`);

    const blackhole = await toxiproxy.addToxic('redis', { type: 'timeout', timeoutMs: 5_000 });
    const swallowed = await ping(port, 1_000);
    await toxiproxy.removeToxics('redis', blackhole);
    assert.equal(swallowed.answer, 'timeout');

    assert.equal((await ping(port)).answer, '+PONG', 'traffic passes again once the toxics are gone');
  });

  it('refuses a toxic on a proxy it does not have, saying so', async () => {
    await assert.rejects(
      toxiproxy.addToxic('nowhere', { type: 'latency', latencyMs: 1, jitterMs: 0 }),
      /toxiproxy POST \/proxies\/nowhere\/toxics answered 404/,
    );
  });

  it('takes each toxic’s attributes in milliseconds', () => {
    assert.deepEqual(toxicAttributes({ type: 'latency', latencyMs: 500, jitterMs: 100 }), { latency: 500, jitter: 100 });
    assert.deepEqual(toxicAttributes({ type: 'timeout', timeoutMs: 2_000 }), { timeout: 2_000 });
  });
});
