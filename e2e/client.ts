import type { Account, Boost, ErrorBody, Membership, Message, Room, RoomForMember, RoomKind, SessionAnswer, User } from './protocol.ts';
import {
  connectSse,
  connectStream,
  connectWebSocket,
  type AnyStreamOptions,
  type RealtimeStream,
  type SseOptions,
  type SseStream,
  type Transport,
  type WebSocketOptions,
  type WebSocketStream,
} from './realtime.ts';

/**
 * A small typed Hearth client for the end-to-end tests and benchmarks: a cookie
 * jar, the CSRF header on every change, the REST calls the tests use, and the
 * realtime streams signed in as the same user.
 */

export const SESSION_COOKIE = 'hearth_session';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  readonly json: unknown;
}

export interface RawOptions {
  /** Send x-csrf-token when the client has one (default true). */
  readonly csrf?: boolean;
  /** Send the session cookie (default true). */
  readonly cookies?: boolean;
  readonly timeoutMs?: number;
  /** More headers, sent last: they override those raw() sets itself. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request answered with another status than expected. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly body: unknown;
  constructor(request: string, expected: readonly number[], response: RawResponse) {
    super(`${request}: expected ${expected.join(' or ')}, got ${response.status} ${response.text.slice(0, 500)}`);
    this.status = response.status;
    this.body = response.json;
  }
}

export interface MessagePage {
  readonly before?: number;
  readonly after?: number;
  readonly limit?: number;
}

export interface Credentials {
  readonly name: string;
  readonly email: string;
  readonly password: string;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads name=value pairs from Set-Cookie headers; an expired or emptied cookie is removed. */
export function applySetCookies(jar: Map<string, string>, setCookies: readonly string[]): void {
  for (const header of setCookies) {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
      if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
      return false;
    });
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

export class HearthClient {
  readonly baseUrl: string;
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  user: User | null = null;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  /** The Cookie header for this client's jar. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get sessionId(): string {
    const value = this.cookies.get(SESSION_COOKIE);
    if (value === undefined) throw new Error('this client has no session cookie');
    return value;
  }

  get userId(): string {
    if (this.user === null) throw new Error('this client is not signed in');
    return this.user.id;
  }

  /** Any request: a string body is sent as is, anything else as JSON. Never throws on a status. */
  async raw(method: string, path: string, body?: unknown, options: RawOptions = {}): Promise<RawResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.#headersFor(method, body, options),
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      redirect: 'manual',
    });
    const text = await response.text();
    if (options.cookies !== false) applySetCookies(this.cookies, response.headers.getSetCookie());
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  }

  /** What raw() sends: JSON's content type with a body, the jar's cookies and the CSRF token unless told not to, then `options.headers`. */
  #headersFor(method: string, body: unknown, options: RawOptions): Record<string, string> {
    const sent: Record<string, string> = {};
    if (body !== undefined) sent['content-type'] = 'application/json';
    if (options.cookies !== false && this.cookies.size > 0) sent['cookie'] = this.cookieHeader();
    if (options.csrf !== false && this.csrfToken !== null && !['GET', 'HEAD'].includes(method)) sent['x-csrf-token'] = this.csrfToken;
    return { ...sent, ...options.headers };
  }

  /** A request that must answer one of the expected statuses; returns the parsed body. */
  async call<T>(method: string, path: string, body?: unknown, expected: readonly number[] = [200]): Promise<T> {
    const response = await this.raw(method, path, body);
    if (!expected.includes(response.status)) throw new ApiError(`${method} ${path}`, expected, response);
    return response.json as T;
  }

  #signedIn(answer: SessionAnswer): SessionAnswer {
    this.csrfToken = answer.csrfToken;
    this.user = answer.user;
    return answer;
  }

  async status(): Promise<{ setUp: boolean; accountName: string | null }> {
    return this.call('GET', '/api/status');
  }

  async setup(accountName: string, name: string, email: string, password: string): Promise<SessionAnswer> {
    return this.#signedIn(await this.call<SessionAnswer>('POST', '/api/setup', { accountName, name, email, password }, [200, 201]));
  }

  async signIn(email: string, password: string): Promise<SessionAnswer> {
    return this.#signedIn(await this.call<SessionAnswer>('POST', '/api/session', { email, password }, [200, 201]));
  }

  async join(code: string, credentials: Credentials): Promise<SessionAnswer> {
    const { name, email, password } = credentials;
    return this.#signedIn(await this.call<SessionAnswer>('POST', `/api/join/${encodeURIComponent(code)}`, { name, email, password }, [200, 201]));
  }

  async session(): Promise<SessionAnswer> {
    return this.#signedIn(await this.call<SessionAnswer>('GET', '/api/session'));
  }

  async signOut(): Promise<void> {
    await this.call('DELETE', '/api/session', undefined, [200, 204]);
    this.csrfToken = null;
    this.user = null;
  }

  async account(): Promise<Account> {
    return this.call('GET', '/api/account');
  }

  /** The join code of the account's join link (administrators). */
  async joinCode(): Promise<string> {
    const { joinUrl } = await this.account();
    if (joinUrl === undefined) throw new Error('GET /api/account gave no joinUrl');
    const code = /\/join\/([^/?#]+)$/.exec(new URL(joinUrl).pathname)?.[1];
    if (code === undefined) throw new Error(`joinUrl ${joinUrl} does not end in /join/<code>`);
    return decodeURIComponent(code);
  }

  async users(): Promise<User[]> {
    return (await this.call<{ users: User[] }>('GET', '/api/users')).users;
  }

  async rooms(): Promise<RoomForMember[]> {
    return (await this.call<{ rooms: RoomForMember[] }>('GET', '/api/rooms')).rooms;
  }

  async room(roomId: string): Promise<RoomForMember> {
    return this.call('GET', `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  /** The room of that name among the user's rooms. */
  async roomNamed(name: string): Promise<RoomForMember> {
    const room = (await this.rooms()).find((candidate) => candidate.name === name);
    if (room === undefined) throw new Error(`${this.user?.name ?? 'the user'} has no room named "${name}"`);
    return room;
  }

  async createRoom(kind: Exclude<RoomKind, 'direct'>, name: string, memberIds?: readonly string[]): Promise<Room> {
    return this.call('POST', '/api/rooms', { kind, name, ...(memberIds === undefined ? {} : { memberIds }) }, [201]);
  }

  async addMember(roomId: string, userId: string): Promise<Membership> {
    return this.call('PUT', `/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`, undefined, [200, 201]);
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.call('DELETE', `/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`, undefined, [204]);
  }

  async post(roomId: string, body: string, clientMessageId: string): Promise<Message> {
    return this.call('POST', `/api/rooms/${encodeURIComponent(roomId)}/messages`, { body, clientMessageId }, [201]);
  }

  /** Posts a file (its bytes as the body, its type as Content-Type), as the web client's upload does. */
  async upload(roomId: string, file: { readonly name: string; readonly type: string; readonly bytes: Uint8Array }, clientMessageId: string): Promise<Message> {
    const query = new URLSearchParams({ name: file.name, clientMessageId });
    const headers: Record<string, string> = { 'content-type': file.type, cookie: this.cookieHeader() };
    if (this.csrfToken !== null) headers['x-csrf-token'] = this.csrfToken;
    const path = `/api/rooms/${encodeURIComponent(roomId)}/files?${query}`;
    const response = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers, body: file.bytes, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
    const text = await response.text();
    if (response.status !== 201) throw new ApiError(`POST ${path}`, [201], { status: response.status, headers: response.headers, text, json: parseJson(text) });
    return JSON.parse(text) as Message;
  }

  /** A message's file, as its bytes. */
  async fileOf(messageId: string): Promise<Buffer> {
    const response = await fetch(`${this.baseUrl}/api/messages/${encodeURIComponent(messageId)}/file`, {
      headers: { cookie: this.cookieHeader() },
      signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
    });
    if (response.status !== 200) throw new Error(`GET the file of ${messageId}: ${response.status} ${await response.text()}`);
    return Buffer.from(await response.arrayBuffer());
  }

  async messages(roomId: string, page: MessagePage = {}): Promise<Message[]> {
    const query = new URLSearchParams();
    for (const key of ['before', 'after', 'limit'] as const) {
      const value = page[key];
      if (value !== undefined) query.set(key, String(value));
    }
    const suffix = query.size > 0 ? `?${query}` : '';
    return (await this.call<{ messages: Message[] }>('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages${suffix}`)).messages;
  }

  /** Every message of a room, oldest first, paging forward with after= and limit=100. */
  async allMessages(roomId: string): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const page = await this.messages(roomId, { after: all.at(-1)?.seq ?? 0, limit: 100 });
      all.push(...page);
      if (page.length < 100) return all;
    }
  }

  async boost(messageId: string, content: string): Promise<Boost> {
    return this.call('POST', `/api/messages/${encodeURIComponent(messageId)}/boosts`, { content }, [201]);
  }

  async message(messageId: string): Promise<Message> {
    return this.call('GET', `/api/messages/${encodeURIComponent(messageId)}`);
  }

  connectWebSocket(options: Omit<WebSocketOptions, 'cookie'> = {}): WebSocketStream {
    return connectWebSocket(this.baseUrl, { ...options, cookie: this.cookieHeader() });
  }

  connectSse(options: Omit<SseOptions, 'cookie'> = {}): SseStream {
    return connectSse(this.baseUrl, { ...options, cookie: this.cookieHeader() });
  }

  connect(transport: Transport, options: Omit<AnyStreamOptions, 'cookie'> = {}): RealtimeStream {
    return connectStream(transport, this.baseUrl, { ...options, cookie: this.cookieHeader() });
  }
}

/** Asserts nothing; reads the error body of a response, or null when it is not one. */
export function errorOf(response: RawResponse): ErrorBody['error'] | null {
  const body = response.json as Partial<ErrorBody> | undefined;
  if (typeof body !== 'object' || body === null || typeof body.error !== 'object' || body.error === null) return null;
  return body.error;
}

export interface Team {
  readonly admin: HearthClient;
  readonly members: HearthClient[];
  readonly joinCode: string;
}

export const PASSWORD = 'correct horse battery';

/** First-run setup by an administrator, then `memberCount` people join with the join link. */
export async function createTeam(baseUrl: string, memberCount: number): Promise<Team> {
  const admin = new HearthClient(baseUrl);
  await admin.setup('Acme', 'Ada Admin', 'ada@example.com', PASSWORD);
  const joinCode = await admin.joinCode();
  const members: HearthClient[] = [];
  for (let i = 1; i <= memberCount; i++) {
    const member = new HearthClient(baseUrl);
    await member.join(joinCode, { name: `Member ${i}`, email: `member${i}@example.com`, password: PASSWORD });
    members.push(member);
  }
  return { admin, members, joinCode };
}

export const DEFAULT_ROOM = 'All Talk';
