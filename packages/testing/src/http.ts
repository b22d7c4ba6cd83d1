import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import { SESSION_COOKIE, type User } from '@hearth/core';

/** In-process requests to a Hearth app (fastify's inject), as a signed-in person when given one. */

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
