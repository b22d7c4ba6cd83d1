import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { freePort, startNats, startPostgres, startRedis } from '@hearth/harness';
import { spawnService, type SpawnedService } from '../harness.ts';
import { sleep } from '../helpers.ts';

/**
 * Start-up of a single-tier service whose backend is not there yet: the process does not
 * exit, it says (in its log and on /readyz) which backend it waits for, retries with
 * back-off, and turns ready by itself once the backend comes up on that address.
 */

/** retry.ts waits at most 10 s between attempts, with ±25% jitter. */
const MAX_RETRY_DELAY_MS = 12_500;
/**
 * Attempts logged before the backend is started: a retry, and a back-off that grows
 * (250 ms, then 500 ms, ±25%).
 */
const ATTEMPTS_BEFORE_THE_BACKEND = 2;
/**
 * How long those attempts may take. An attempt at Redis itself lasts up to 10 s (ioredis
 * keeps reconnecting until EphemeralRedis's ready timeout), so two take about 20 s.
 */
const ATTEMPTS_WITHIN_MS = 30_000;

type Backend = 'PostgreSQL' | 'NATS' | 'Redis';

interface Stoppable {
  stop(): Promise<void>;
}

interface RetryLine {
  readonly backend: string;
  readonly retryInMs: number;
  readonly msg: string;
}

/** The JSON log lines in which start-up says it waits for a backend. */
function retryLines(output: string, backend?: string): RetryLine[] {
  const lines: RetryLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    let line: Partial<RetryLine>;
    try {
      line = JSON.parse(text) as Partial<RetryLine>;
    } catch {
      continue;
    }
    if (typeof line.backend === 'string' && typeof line.retryInMs === 'number' && typeof line.msg === 'string') {
      if (backend === undefined || line.backend === backend) lines.push(line as RetryLine);
    }
  }
  return lines;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, service: SpawnedService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.equal(service.process.exitCode, null, `${service.role} exited while ${what}; its output:\n${service.output().slice(-4_000)}`);
    assert.equal(service.process.signalCode, null, `${service.role} was killed while ${what}`);
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms; ${service.role}'s output:\n${service.output().slice(-4_000)}`);
    await sleep(50);
  }
}

async function probe(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

/**
 * Asserts the service waits for `backend` at `url`: it has logged several attempts naming
 * it (the delay growing), it still runs, /healthz answers 200 and /readyz 503 naming it.
 */
async function assertWaitingFor(service: SpawnedService, backend: Backend, url: string, count = ATTEMPTS_BEFORE_THE_BACKEND): Promise<void> {
  const described = `${backend} at ${url}`;
  const attempts = (): RetryLine[] => retryLines(service.output(), described);
  await waitUntil(`logging ${count} attempts to reach ${described}`, () => attempts().length >= count, service, ATTEMPTS_WITHIN_MS);
  const logged = attempts();
  for (const line of logged)
    assert.match(
      line.msg,
      new RegExp(`^waiting for ${escape(described)}: .+; retrying in \\d+\\.\\d s$`),
      'the log line names the backend, the error and the wait',
    );
  const delays = logged.slice(0, count).map((line) => line.retryInMs);
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! > delays[i - 1]!, `the back-off grows: ${delays.join(', ')} ms`);
  assert.ok(
    delays.every((delay) => delay > 0 && delay <= MAX_RETRY_DELAY_MS),
    `each wait is within the 10 s cap: ${delays.join(', ')} ms`,
  );

  const health = await probe(`${service.url}/healthz`);
  assert.equal(health.status, 200, 'alive while it waits');
  const ready = await probe(`${service.url}/readyz`);
  assert.equal(ready.status, 503, 'not ready while a backend is missing');
  // The probe names the kind of backend only: where it is and why it fails are in the log lines above.
  assert.deepEqual(ready.body, { status: 'starting', waitingFor: backend }, '/readyz names what it waits for, not where');
  assert.equal(service.process.exitCode, null, 'it has not exited');
}

/** After the backend came up at `upAt`, the same process turns ready, within one back-off step. */
async function assertTurnsReady(service: SpawnedService, pid: number | undefined, upAt: number): Promise<void> {
  await service.waitReady(MAX_RETRY_DELAY_MS + 5_000);
  const waited = performance.now() - upAt;
  assert.ok(waited <= MAX_RETRY_DELAY_MS + 2_000, `ready ${Math.round(waited)} ms after the backend came up`);
  assert.equal(service.process.pid, pid, 'the same process, not a restart');
  assert.equal(service.process.exitCode, null);
  const ready = await probe(`${service.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body['checks'], { store: 'ok', bus: 'ok', ephemeral: 'ok' });
  assert.equal(service.output().match(/is ready at/g)?.length, 1, 'started once');
  assert.doesNotMatch(service.output(), /could not start/);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('single tier: start-up waits for unreachable backends', () => {
  let services: Stoppable[] = [];
  let backends: Stoppable[] = [];
  afterEach(async () => {
    // Services first (they hold connections to the backends), each group at once.
    await Promise.allSettled(services.map((service) => service.stop()));
    await Promise.allSettled(backends.map((backend) => backend.stop()));
    services = [];
    backends = [];
  });
  const track = <T extends Stoppable>(backend: T): T => {
    backends.push(backend);
    return backend;
  };
  const spawn = (role: string, env: Record<string, string>, port: number): SpawnedService => {
    const service = spawnService({ logLevel: 'info', env: { ...env, HEARTH_PUBLIC_URL: `http://127.0.0.1:${port}` } }, role, port);
    services.push(service);
    return service;
  };

  it('messaging waits for PostgreSQL at its URL, then turns ready when it comes up there', async () => {
    const nats = track(await startNats());
    const redis = track(await startRedis());
    const pgPort = await freePort();
    const databaseUrl = `postgres://hearth@127.0.0.1:${pgPort}/hearth`;
    const service = spawn('messaging', { HEARTH_DATABASE_URL: databaseUrl, HEARTH_NATS_URL: nats.url, HEARTH_REDIS_URL: redis.url }, await freePort());
    const pid = service.process.pid;
    await assertWaitingFor(service, 'PostgreSQL', databaseUrl);

    const postgres = track(await startPostgres({ port: pgPort }));
    assert.equal(await postgres.createDatabase('hearth'), databaseUrl);
    await assertTurnsReady(service, pid, performance.now());
  });

  it('gateway waits for NATS at its URL, then turns ready and serves when it comes up there', async () => {
    const postgres = track(await startPostgres());
    const redis = track(await startRedis());
    const natsPort = await freePort();
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const port = await freePort();
    const service = spawn(
      'gateway',
      { HEARTH_DATABASE_URL: await postgres.createDatabase('hearth'), HEARTH_NATS_URL: natsUrl, HEARTH_REDIS_URL: redis.url },
      port,
    );
    const pid = service.process.pid;
    await assertWaitingFor(service, 'NATS', natsUrl);
    const early = await probe(`${service.url}/api/status`);
    assert.equal(early.status, 503, 'the API answers 503 while it waits');
    assert.equal((early.body['error'] as { code?: string } | undefined)?.code, 'unavailable');

    track(await startNats({ port: natsPort }));
    await assertTurnsReady(service, pid, performance.now());
    const status = await probe(`${service.url}/api/status`);
    assert.equal(status.status, 200, 'the API serves once ready');
    assert.equal(status.body['setUp'], false);
  });

  it('realtime waits for Redis at its URL, then turns ready when it comes up there', async () => {
    const postgres = track(await startPostgres());
    const nats = track(await startNats());
    const redisPort = await freePort();
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const service = spawn(
      'realtime',
      { HEARTH_DATABASE_URL: await postgres.createDatabase('hearth'), HEARTH_NATS_URL: nats.url, HEARTH_REDIS_URL: redisUrl },
      await freePort(),
    );
    const pid = service.process.pid;
    await assertWaitingFor(service, 'Redis', redisUrl);

    track(await startRedis({ port: redisPort }));
    await assertTurnsReady(service, pid, performance.now());
  });

  it('with no backend up, messaging waits for each in turn, naming the next one as the previous comes up', async () => {
    const [pgPort, natsPort, redisPort] = [await freePort(), await freePort(), await freePort()];
    const databaseUrl = `postgres://hearth@127.0.0.1:${pgPort}/hearth`;
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const service = spawn('messaging', { HEARTH_DATABASE_URL: databaseUrl, HEARTH_NATS_URL: natsUrl, HEARTH_REDIS_URL: redisUrl }, await freePort());
    const pid = service.process.pid;
    await assertWaitingFor(service, 'PostgreSQL', databaseUrl, 1);
    assert.equal(retryLines(service.output(), `NATS at ${natsUrl}`).length, 0, 'NATS is not tried before PostgreSQL is open');

    const postgres = track(await startPostgres({ port: pgPort }));
    await postgres.createDatabase('hearth');
    await assertWaitingFor(service, 'NATS', natsUrl, 1);
    assert.equal(retryLines(service.output(), `Redis at ${redisUrl}`).length, 0, 'Redis is not tried before NATS is open');
    track(await startNats({ port: natsPort }));
    await assertWaitingFor(service, 'Redis', redisUrl, 1);
    track(await startRedis({ port: redisPort }));
    await assertTurnsReady(service, pid, performance.now());
  });

  it('SIGTERM while it waits for a backend ends the process at once, with exit code 0', async () => {
    const databaseUrl = `postgres://hearth@127.0.0.1:${await freePort()}/hearth`;
    const service = spawn(
      'messaging',
      { HEARTH_DATABASE_URL: databaseUrl, HEARTH_NATS_URL: `nats://127.0.0.1:${await freePort()}`, HEARTH_REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
      await freePort(),
    );
    await assertWaitingFor(service, 'PostgreSQL', databaseUrl, 1);
    const exited = new Promise<[number | null, string | null]>((resolve) => service.process.once('exit', (code, signal) => resolve([code, signal])));
    const signalledAt = performance.now();
    service.process.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null], 'a clean exit');
    assert.ok(performance.now() - signalledAt < 5_000, 'without waiting out the back-off');
  });
});
