import type { AccountAnswer, Boost, Membership, Message, Room, RoomForMember, SearchHit, SessionAnswer, SignedInDevice, Status, User } from './api-types.ts';

/** An error answer from the API (protocol §2), or a network failure (`code: 'network'`). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  /** Seconds the server asked to wait before trying again (its `retryAfter`), when it did. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, options: { readonly field?: string | undefined; readonly retryAfter?: number | undefined } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.retryAfter = options.retryAfter;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface ErrorBody {
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly field?: unknown; readonly retryAfter?: unknown };
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as ErrorBody | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`;
  const field = typeof error?.field === 'string' ? error.field : undefined;
  const retryAfter = typeof error?.retryAfter === 'number' ? error.retryAfter : undefined;
  return new ApiError(status, code, message, { field, retryAfter });
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Called when any request finds the session gone (signed out elsewhere, expired, deactivated). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

/** The session's CSRF token lives only in memory; every changing request sends it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: requestHeaders(method, body !== undefined),
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new ApiError(0, 'network', `Could not reach the server (${String(cause)}).`);
  }
  return readAnswer<T>(response.status, response.ok, await response.text());
}

/**
 * A response's JSON when it succeeded; otherwise its error, thrown (a session found gone is
 * reported first). Shared with the uploads, which go by XMLHttpRequest for their progress.
 */
export function readAnswer<T>(status: number, ok: boolean, text: string): T {
  const parsed = jsonOrNull(text);
  if (!ok) {
    const error = toApiError(status, parsed);
    if (error.code === 'unauthenticated') onUnauthenticated?.();
    throw error;
  }
  return parsed as T;
}

/** The header that lets a changing request through: the session's CSRF token, when signed in. */
export function csrfHeaders(): Record<string, string> {
  return csrfToken === null ? {} : { 'x-csrf-token': csrfToken };
}

/** JSON in and out; a changing request carries the session's CSRF token. */
function requestHeaders(method: Method, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (hasBody) headers['content-type'] = 'application/json';
  return method === 'GET' ? headers : { ...headers, ...csrfHeaders() };
}

/** A response body as JSON; null when it is empty or not JSON. */
function jsonOrNull(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const enc = encodeURIComponent;

/** Every REST call the UI makes (protocol §1 and §3), one line each. */
export const api = {
  status: () => request<Status>('GET', '/api/status'),
  session: () => request<SessionAnswer>('GET', '/api/session'),
  setup: (input: { accountName: string; name: string; email: string; password: string }) => request<SessionAnswer>('POST', '/api/setup', input),
  signIn: (input: { email: string; password: string }) => request<SessionAnswer>('POST', '/api/session', input),
  join: (code: string, input: { name: string; email: string; password: string }) => request<SessionAnswer>('POST', `/api/join/${enc(code)}`, input),
  /** A session from SSO answers with the provider's logout URL, to end the provider's session too. */
  signOut: () => request<{ logoutUrl: string } | null>('DELETE', '/api/session'),
  sessions: () => request<{ sessions: SignedInDevice[] }>('GET', '/api/sessions'),
  revokeSession: (sessionId: string) => request<{ logoutUrl: string } | null>('DELETE', `/api/sessions/${enc(sessionId)}`),
  revokeOtherSessions: () => request<{ revoked: number }>('POST', '/api/sessions/revoke-others'),

  users: () => request<{ users: User[] }>('GET', '/api/users'),
  account: () => request<AccountAnswer>('GET', '/api/account'),
  rotateJoinCode: () => request<AccountAnswer>('POST', '/api/account/join-code'),

  rooms: () => request<{ rooms: RoomForMember[] }>('GET', '/api/rooms'),
  room: (roomId: string) => request<RoomForMember>('GET', `/api/rooms/${enc(roomId)}`),
  createRoom: (input: { kind: 'open' | 'closed'; name: string; memberIds?: string[] }) => request<Room>('POST', '/api/rooms', input),
  openDirect: (userIds: string[]) => request<Room>('POST', '/api/rooms/direct', { userIds }),
  updateRoom: (roomId: string, input: { name?: string; kind?: 'open' | 'closed' }) => request<Room>('PATCH', `/api/rooms/${enc(roomId)}`, input),
  addMember: (roomId: string, userId: string) => request<Membership>('PUT', `/api/rooms/${enc(roomId)}/members/${enc(userId)}`),
  removeMember: (roomId: string, userId: string) => request<null>('DELETE', `/api/rooms/${enc(roomId)}/members/${enc(userId)}`),
  markRead: (roomId: string, readSeq: number) => request<Membership>('PATCH', `/api/rooms/${enc(roomId)}/membership`, { readSeq }),

  messages: (roomId: string, page: { before?: number; limit?: number } = {}) => {
    const query = new URLSearchParams();
    if (page.before !== undefined) query.set('before', String(page.before));
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return request<{ messages: Message[] }>('GET', `/api/rooms/${enc(roomId)}/messages${suffix}`);
  },
  postMessage: (roomId: string, body: string, clientMessageId: string) =>
    request<Message>('POST', `/api/rooms/${enc(roomId)}/messages`, { body, clientMessageId }),
  editMessage: (messageId: string, body: string) => request<Message>('PATCH', `/api/messages/${enc(messageId)}`, { body }),
  deleteMessage: (messageId: string) => request<Message>('DELETE', `/api/messages/${enc(messageId)}`),
  addBoost: (messageId: string, content: string) => request<Boost>('POST', `/api/messages/${enc(messageId)}/boosts`, { content }),
  deleteBoost: (boostId: string) => request<null>('DELETE', `/api/boosts/${enc(boostId)}`),

  search: (q: string) => request<{ hits: SearchHit[] }>('GET', `/api/search?q=${enc(q)}`),
  presence: () => request<{ online: string[] }>('GET', '/api/presence'),

  pushKey: () => request<{ publicKey: string }>('GET', '/api/push'),
  keepPushSubscription: (subscription: PushSubscriptionJSON) => request<{ endpoint: string }>('POST', '/api/push/subscriptions', subscription),
};
