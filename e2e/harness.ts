import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Starts real Hearth servers as child processes for the end-to-end tests and
 * the benchmarks: one server per test file, on a free port and a fresh data
 * directory, stopped (and its directory removed) by the test.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MAIN_PATH = path.join(repoRoot, 'services/hearth/src/main.ts');
export const WEB_DIST = path.join(repoRoot, 'services/web/dist');

const OUTPUT_LIMIT = 64 * 1024;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface HearthOptions {
  /** Posts per minute per user; the tests that post a lot raise it. */
  readonly postsPerMinute?: number;
  /** Sign-in attempts per minute per address; high unless a test is about the limit. */
  readonly signInPerMinute?: number;
  /** Reuse this data directory (it is then left in place by stop()). */
  readonly dataDir?: string;
  /** More environment variables for the server (HEARTH_*). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
  /** How often /readyz is polled while starting (default 50 ms; the start-up benchmark polls faster). */
  readonly pollIntervalMs?: number;
  readonly logLevel?: string;
  /** Which tier to start; defaults to HEARTH_E2E_TIER, else embedded. */
  readonly tier?: TierName;
}

export interface StopOptions {
  /** Keep the data directory, to restart on it later. */
  readonly keepData?: boolean;
}

export interface Hearth {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Milliseconds from spawning the (latest) process to its first 200 on /readyz. */
  readonly readyAfterMs: number;
  /** The running server process (a new one after restart()). */
  readonly process: ChildProcess;
  /** The last 64 KiB the server wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, and waits for the exit; removes the data directory unless keepData. */
  stop(options?: StopOptions): Promise<void>;
  /** SIGKILL, and waits for the exit; keeps the data directory. */
  kill9(): Promise<void>;
  /** Stops the server if it runs (SIGTERM), then starts it again on the same port and data directory; killed (SIGKILL) if it does not become ready. */
  restart(): Promise<void>;
  /** Runs `hearth <args>` (a data command: writes, export, import) on this Hearth's store, as an operator would. */
  runCommand(args: readonly string[]): Promise<CommandRun>;
}

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `hearth <args>` with `storeEnv` naming the store (HEARTH_DATA_DIR, or HEARTH_DATABASE_URL) and nothing else of Hearth's. */
export async function runHearthCommand(args: readonly string[], storeEnv: Readonly<Record<string, string>>): Promise<CommandRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN_PATH, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...storeEnv },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A port that was free a moment ago: listen on 0, read it, close. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the free port'))));
    });
  });
}

/** Every server still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function buildEnv(options: HearthOptions, port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HEARTH_') && !key.startsWith('NODE_TEST')) env[key] = value;
  }
  return {
    // As the image has it (Dockerfile): main.ts too comes from the cache, not through Node's TypeScript
    // parser; and glibc gives scrypt's 16 MiB buffers back when a password hash is done.
    NODE_COMPILE_CACHE: path.join(tmpdir(), 'node-compile-cache'),
    GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4194304',
    ...env,
    HEARTH_HTTP_PORT: String(port),
    HEARTH_HTTP_HOST: '127.0.0.1',
    HEARTH_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...(dataDir === '' ? {} : { HEARTH_DATA_DIR: dataDir }),
    HEARTH_LOG_LEVEL: options.logLevel ?? 'warn',
    HEARTH_POSTS_PER_MINUTE: String(options.postsPerMinute ?? 1_000_000),
    HEARTH_SIGN_IN_PER_MINUTE: String(options.signInPerMinute ?? 1_000),
    // Benchmarks and fault runs open thousands of streams from one address, and reopen them often.
    HEARTH_STREAM_CONNECTS_PER_MINUTE: '1000000',
    HEARTH_MAX_CONNECTIONS_PER_ADDRESS: '0',
    // The tests' webhook receivers listen on loopback, which a webhook may reach only when allowed.
    HEARTH_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    ...options.env,
  };
}

class OutputBuffer {
  #text = '';
  append(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    if (this.#text.length > OUTPUT_LIMIT) this.#text = this.#text.slice(-OUTPUT_LIMIT);
  }
  tail(chars = 4_000): string {
    return this.#text.slice(-chars);
  }
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * The Node.js options the operator gives the targets that hold the realtime connections
 * (operator/src/tiers/hearth-container.ts, connectionHolderNodeOptions), so that the tests and
 * the benchmarks run what a cluster runs; added to any NODE_OPTIONS the caller gives.
 */
const CONNECTION_HOLDER_NODE_OPTIONS = '--max-semi-space-size=8';

function withRuntimeOptions(env: NodeJS.ProcessEnv, role: string): NodeJS.ProcessEnv {
  if (role !== 'realtime' && role !== 'all') return env;
  return { ...env, NODE_OPTIONS: `${CONNECTION_HOLDER_NODE_OPTIONS} ${env['NODE_OPTIONS'] ?? ''}`.trim() };
}

function spawnServer(env: NodeJS.ProcessEnv, output: OutputBuffer, role: string): ChildProcess {
  const child = spawn(process.execPath, [MAIN_PATH, `--target=${role}`], { env: withRuntimeOptions(env, role), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => output.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.append(chunk));
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

interface ReadyWait {
  /** Who is waited for, as the errors name it. */
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** The process's output, quoted when it fails. */
  readonly output: OutputBuffer;
  /** When the process was spawned: the readiness time counts from here. */
  readonly spawnedAt: number;
  readonly timeoutMs: number;
  readonly pollMs: number;
}

/**
 * Polls /readyz until 200 and gives the milliseconds since the spawn; fails early, with the
 * server's output, when the process exits or the deadline passes. It leaves the process as it
 * is: whether one that is not ready should be killed is the caller's to say.
 */
async function waitReady({ name, url, child, output, spawnedAt, timeoutMs, pollMs }: ReadyWait): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isReady(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}); its output:\n${output.tail()}`);
    }
    if (Date.now() >= deadline) throw new Error(`${name} did not answer 200 on ${url}/readyz within ${timeoutMs} ms; its output:\n${output.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return performance.now() - spawnedAt;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<Exit> {
  const exited = exitOf(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** One `hearth --target=<role>` process on its own port, with its output kept. */
export interface ServiceProcess {
  readonly role: string;
  readonly port: number;
  readonly url: string;
  readonly readyAfterMs: number;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, and waits for the exit; throws when the exit was not clean. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
  /** Stops it if it runs (SIGTERM), then starts it again with the same environment; killed (SIGKILL) if it does not become ready. */
  restart(): Promise<void>;
}

/** A service process just spawned: it may still be waiting for its backends. */
export interface SpawnedService extends ServiceProcess {
  /** Polls /readyz until 200 (then readyAfterMs is set); fails when the process exits or after timeoutMs, leaving it running. */
  waitReady(timeoutMs?: number): Promise<number>;
}

/**
 * Spawns `hearth --target=<role>` on `port` and returns at once, before it is ready:
 * for tests of start-up itself (a backend that is not there yet).
 */
export function spawnService(options: HearthOptions, role: string, port: number, dataDir = ''): SpawnedService {
  const url = `http://127.0.0.1:${port}`;
  const env = buildEnv(options, port, dataDir);
  const output = new OutputBuffer();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const pollMs = options.pollIntervalMs ?? 50;
  let child = spawnServer(env, output, role);
  let spawnedAt = performance.now();
  let readyAfterMs = Number.NaN;
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const untilReady = async (timeoutMs: number): Promise<number> => {
    readyAfterMs = await waitReady({ name: `Hearth (${role})`, url, child, output, spawnedAt, timeoutMs, pollMs });
    return readyAfterMs;
  };
  return {
    role,
    port,
    url,
    get readyAfterMs() {
      return readyAfterMs;
    },
    get process() {
      return child;
    },
    output: () => output.tail(OUTPUT_LIMIT),
    // Left running on failure: a test of start-up may look at it, or wait again.
    waitReady: (timeoutMs = readyTimeoutMs) => untilReady(timeoutMs),
    async stop() {
      const exit = await terminate(child, 'SIGTERM');
      if (exit.code !== 0 && exit.signal !== 'SIGKILL' && exit.code !== null) {
        throw new Error(`Hearth (${role}) exited with code ${exit.code} on SIGTERM; its output:\n${output.tail()}`);
      }
    },
    async kill9() {
      await terminate(child, 'SIGKILL');
    },
    async restart() {
      if (isRunning()) await terminate(child, 'SIGTERM');
      output.append(`\n--- restart ---\n`);
      child = spawnServer(env, output, role);
      spawnedAt = performance.now();
      // Killed on failure, as startService does: a restart that did not come up leaves the service stopped, not half started.
      try {
        await untilReady(readyTimeoutMs);
      } catch (error) {
        await terminate(child, 'SIGKILL');
        throw error;
      }
    },
  };
}

/** Spawns `hearth --target=<role>` on `port` and waits until its /readyz answers 200. */
export async function startService(options: HearthOptions, role: string, port: number, dataDir = ''): Promise<ServiceProcess> {
  const service = spawnService(options, role, port, dataDir);
  try {
    await service.waitReady();
  } catch (error) {
    await service.kill9();
    throw error;
  }
  return service;
}

/**
 * Starts Hearth and waits until it is ready: the embedded tier (one `--target=all`
 * process on a data dir) or, with `tier` or HEARTH_E2E_TIER, the single tier (separate
 * services over PostgreSQL, NATS and Redis behind nginx) or the clustered tier (two of each
 * service over a PostgreSQL pair, a NATS cluster and Redis with Sentinels).
 */
export async function startHearth(options: HearthOptions = {}): Promise<Hearth> {
  const tier = options.tier ?? tierUnderTest();
  if (tier === 'single') {
    const { startSingleTier } = await import('./single-tier.ts');
    return startSingleTier(options);
  }
  if (tier === 'clustered') {
    const { startClusteredTier } = await import('./clustered-tier.ts');
    return startClusteredTier(options);
  }
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'hearth-e2e-')));
  const removeData = async (): Promise<void> => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  let service: ServiceProcess;
  try {
    service = await startService(options, 'all', await freePort(), dataDir);
  } catch (error) {
    await removeData();
    throw error;
  }
  return {
    url: service.url,
    port: service.port,
    dataDir,
    get readyAfterMs() {
      return service.readyAfterMs;
    },
    get process() {
      return service.process;
    },
    output: () => service.output(),
    async stop(stopOptions: StopOptions = {}) {
      try {
        await service.stop();
      } finally {
        if (stopOptions.keepData !== true) await removeData();
      }
    },
    kill9: () => service.kill9(),
    restart: () => service.restart(),
    runCommand: (args) => runHearthCommand(args, { HEARTH_DATA_DIR: dataDir }),
  };
}

export const tierNames = ['embedded', 'single', 'clustered'] as const;
export type TierName = (typeof tierNames)[number];

/** Which tier the end-to-end suite runs against: `make e2e` runs it once per tier. */
export function tierUnderTest(): TierName {
  const tier = process.env['HEARTH_E2E_TIER'] ?? 'embedded';
  if (!(tierNames as readonly string[]).includes(tier)) throw new Error(`HEARTH_E2E_TIER must be embedded, single or clustered (got "${tier}")`);
  return tier as TierName;
}
