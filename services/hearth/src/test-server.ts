import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger, parseConfig, type HearthConfig } from '@hearth/core';
import { buildServer, openBackends, type Backends } from './server.ts';

/**
 * A whole Hearth (target `all`) for the services' integration tests: real SQLite in
 * a fresh temporary directory, BusLocal, EphemeralMemory, driven with app.inject()
 * or, after listen(), over a real socket.
 */
export interface TestServer {
  readonly app: FastifyInstance;
  readonly backends: Backends;
  readonly config: HearthConfig;
  /** The status of every response the app finished, in order (hijacked SSE responses excepted). */
  readonly statuses: number[];
  /** Listens on 127.0.0.1 on a free port; returns the base URL (no trailing slash). */
  listen(): Promise<string>;
  stop(): Promise<void>;
}

/** Generous limits unless a test is about them: every request of a test file comes from 127.0.0.1. */
const DEFAULT_ENV: Readonly<Record<string, string>> = {
  HEARTH_LOG_LEVEL: 'silent',
  HEARTH_SIGN_IN_PER_MINUTE: '1000',
  HEARTH_POSTS_PER_MINUTE: '100000',
  HEARTH_STREAM_CONNECTS_PER_MINUTE: '100000',
};

export async function startTestServer(env: Readonly<Record<string, string>> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hearth-test-'));
  // The web UI is deliberately absent: the API must not depend on it.
  const config = parseConfig({ ...DEFAULT_ENV, HEARTH_DATA_DIR: dataDir, ...env }, ['--target', 'all'], dataDir, path.join(dataDir, 'no-web'));
  const logger = createLogger(config.logLevel, config.target);
  const backends = await openBackends(config, logger);
  const server = await buildServer(config, backends, logger);
  const statuses: number[] = [];
  server.app.addHook('onResponse', async (_request, reply) => {
    statuses.push(reply.statusCode);
  });
  let stopped = false;
  return {
    app: server.app,
    backends,
    config,
    statuses,
    async listen() {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const address = server.app.server.address();
      if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
      return `http://127.0.0.1:${address.port}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Stops the server, then fails if any response it gave was a 5xx: bad input must get a 4xx. */
export async function stopAndAssertNo5xx(server: TestServer): Promise<void> {
  await server.stop();
  assert.deepEqual(
    server.statuses.filter((status) => status >= 500),
    [],
    'no response was a 5xx',
  );
}
