import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Who `hearth chat` is and where it talks to: a bot's API token (HEARTH_URL and HEARTH_TOKEN), or
 * the session `hearth chat login` saved, in a file only its owner can read.
 */
export type ChatCredentials =
  | { readonly kind: 'bot'; readonly url: string; readonly token: string }
  | { readonly kind: 'session'; readonly url: string; readonly cookie: string; readonly csrfToken: string };

type Env = Readonly<Record<string, string | undefined>>;

export class ChatError extends Error {
  override readonly name = 'ChatError';
  /** Nothing a retry mends: the session ended, the token is refused. */
  fatal = false;
}

/** Where the session is saved: HEARTH_CHAT_SESSION, else ~/.config/hearth/session.json. */
export function sessionFile(env: Env): string {
  const given = setting(env, 'HEARTH_CHAT_SESSION');
  if (given !== undefined) return path.resolve(given);
  const config = setting(env, 'XDG_CONFIG_HOME') ?? path.join(setting(env, 'HOME') ?? homedir(), '.config');
  return path.join(config, 'hearth', 'session.json');
}

/** A bot's token when HEARTH_TOKEN is set, else the saved session; an error that says how to sign in when neither is there. */
export async function credentialsOf(env: Env): Promise<ChatCredentials> {
  const token = setting(env, 'HEARTH_TOKEN');
  if (token !== undefined) {
    const url = setting(env, 'HEARTH_URL')?.replace(/\/+$/, '');
    if (url === undefined) throw new ChatError('HEARTH_TOKEN needs HEARTH_URL, the Hearth it is for');
    return { kind: 'bot', url, token };
  }
  return savedSession(env);
}

function setting(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === '' ? undefined : value;
}

async function savedSession(env: Env): Promise<ChatCredentials> {
  const file = sessionFile(env);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) throw new ChatError(`not signed in: run hearth chat login --url URL --email EMAIL (or set HEARTH_URL and HEARTH_TOKEN for a bot)`);
  const saved = JSON.parse(text) as Partial<Extract<ChatCredentials, { kind: 'session' }>>;
  if (typeof saved.url !== 'string' || typeof saved.cookie !== 'string' || typeof saved.csrfToken !== 'string') {
    throw new ChatError(`${file} is not a saved session: run hearth chat login again`);
  }
  return { kind: 'session', url: saved.url, cookie: saved.cookie, csrfToken: saved.csrfToken };
}

export async function saveSession(env: Env, session: Extract<ChatCredentials, { kind: 'session' }>): Promise<string> {
  const file = sessionFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(session)}\n`, { mode: 0o600 });
  // writeFile's mode applies to a new file only: an older one keeps whatever it had.
  await chmod(file, 0o600);
  return file;
}

export async function forgetSession(env: Env): Promise<void> {
  await rm(sessionFile(env), { force: true });
}

/** The headers a request carries: the bearer token, or the cookie and (to change anything) the CSRF token. */
export function authHeaders(credentials: ChatCredentials, method: string): Record<string, string> {
  if (credentials.kind === 'bot') return { authorization: `Bearer ${credentials.token}` };
  const headers: Record<string, string> = { cookie: credentials.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = credentials.csrfToken;
  return headers;
}

/** One JSON request; a refusal is an error with the server's own words. */
export async function callApi<T>(credentials: ChatCredentials, method: string, apiPath: string, body?: unknown): Promise<T> {
  const headers = authHeaders(credentials, method);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await reach(credentials.url, apiPath, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  if (!response.ok) {
    const error = new ChatError(refusalOf(method, apiPath, response.status, text));
    error.fatal = response.status < 500 && response.status !== 408 && response.status !== 429;
    throw error;
  }
  return (text === '' ? null : JSON.parse(text)) as T;
}

/** fetch, with a connection failure said in one line. */
export async function reach(url: string, apiPath: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${url}${apiPath}`, init);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new ChatError(`cannot reach ${url}: ${cause}`);
  }
}

export function refusalOf(method: string, apiPath: string, status: number, text: string): string {
  let message = text.slice(0, 200);
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // Not JSON: a proxy's page; its first words are enough.
  }
  const hint = status === 401 ? ' (sign in again: hearth chat login)' : '';
  return `${method} ${apiPath.split('?')[0]} answered ${status}: ${message}${hint}`;
}
