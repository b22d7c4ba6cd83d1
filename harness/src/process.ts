import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ports this process has handed out, and when: the kernel may give a port it just gave (and we
 * released) to the next listen(0), so two servers started side by side could be handed the same
 * one; a port is not handed out again within this window.
 */
const handedOut = new Map<number, number>();
const REUSE_AFTER_MS = 120_000;
const MAX_ATTEMPTS = 50;

/** A port nobody listens on right now and that this process has not handed out lately (the kernel picks it; we release it at once). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await kernelPort();
    const at = handedOut.get(port);
    if (at === undefined || Date.now() - at > REUSE_AFTER_MS) {
      handedOut.set(port, Date.now());
      return port;
    }
  }
  throw new Error(`freePort: the kernel gave only ports handed out in the last ${REUSE_AFTER_MS / 1000} s, ${MAX_ATTEMPTS} times`);
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits for servers started side by side. If one fails, the others that started are stopped
 * before the error goes on: a test whose set-up failed would otherwise keep their processes, and
 * so its own, alive for good.
 */
export async function startTogether<T extends readonly { stop(): Promise<unknown> }[]>(starting: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starting);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed === undefined) return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
  await Promise.allSettled(settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value.stop()] : [])));
  throw failed.reason;
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `hearth-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A child process whose output is kept (the last 64 KiB) to explain a failure. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once it has exited. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const KEEP_BYTES = 64 * 1024;

export function startChild(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-KEEP_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.on('error', (error) => {
      keep(Buffer.from(`\n${command}: ${error.message}\n`));
      resolve('spawn-error');
    });
  });
  return {
    process: child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const grace = new AbortController();
      const outcome = await Promise.race([exited, sleep(graceMs, 'timeout', { signal: grace.signal }).catch(() => 'exited')]);
      grace.abort();
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `probe` until it resolves true, or fails with the child's output after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, child: Child | null, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  while (Date.now() < deadline) {
    if (child !== null && (child.process.exitCode !== null || child.process.signalCode !== null)) {
      throw new Error(`${what}: the process exited early\n${child.output()}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(delay);
    delay = Math.min(250, delay * 2);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms\n${child?.output() ?? ''}`);
}
