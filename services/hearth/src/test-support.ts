import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import { SESSION_COOKIE, createLogger, parseConfig, type HearthConfig, type User } from '@hearth/core';
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

/** A signed-in person: the session cookie (as a Cookie header) and the CSRF token. */
export interface TestSession {
  readonly user: User;
  readonly csrfToken: string;
  readonly cookie: string;
}

export interface CallOptions {
  readonly session?: TestSession;
  readonly body?: unknown;
  /** The x-csrf-token to send; the session's own by default, none with null. */
  readonly csrf?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request through app.inject, as the signed-in `session` when given. */
export function call(app: FastifyInstance, method: HTTPMethods, url: string, options: CallOptions = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.session !== undefined) headers['cookie'] = options.session.cookie;
  const csrf = options.csrf === undefined ? options.session?.csrfToken : options.csrf;
  if (csrf !== undefined && csrf !== null) headers['x-csrf-token'] = csrf;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    const payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    return app.inject({ method, url, headers, payload });
  }
  return app.inject({ method, url, headers });
}

/** The session a sign-in, setup or join response started. */
export function sessionOf(response: LightMyRequestResponse): TestSession {
  if (response.statusCode !== 200 && response.statusCode !== 201) {
    throw new Error(`expected a new session, got ${response.statusCode} ${response.body.slice(0, 300)}`);
  }
  const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE);
  if (cookie === undefined) throw new Error('the response set no session cookie');
  const body = response.json<{ user: User; csrfToken: string }>();
  return { user: body.user, csrfToken: body.csrfToken, cookie: `${SESSION_COOKIE}=${cookie.value}` };
}

export const PASSWORD = 'correct horse battery';

export async function setUpAccount(app: FastifyInstance, name = 'Ada'): Promise<TestSession> {
  const body = { accountName: 'Acme', name, email: `${name.toLowerCase()}@example.com`, password: PASSWORD };
  return sessionOf(await call(app, 'POST', '/api/setup', { body }));
}

/** The current join code, read from the account's join link as an administrator sees it. */
export async function joinCodeOf(app: FastifyInstance, admin: TestSession): Promise<string> {
  const { joinUrl } = (await call(app, 'GET', '/api/account', { session: admin })).json<{ joinUrl?: string }>();
  const code = joinUrl?.split('/join/')[1];
  if (code === undefined) throw new Error(`no join link for ${admin.user.name}`);
  return code;
}

export async function joinAs(app: FastifyInstance, admin: TestSession, name: string): Promise<TestSession> {
  const code = await joinCodeOf(app, admin);
  const body = { name, email: `${name.toLowerCase()}@example.com`, password: PASSWORD };
  return sessionOf(await call(app, 'POST', `/api/join/${code}`, { body }));
}
