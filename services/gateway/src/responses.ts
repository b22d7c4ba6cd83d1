import type { FastifySchema } from 'fastify';
import { AUDIT_ACTIONS, AUDIT_TARGETS, ERROR_CODES, INVOLVEMENTS, nodeHttp, PASSWORD_SIGN_IN, ROLES, ROOM_KINDS } from '@hearth/core';
import { AUDIT_PAGE, MESSAGE_PAGE, SEQ_MAX, editBody, id, objectSchema, postBody } from './schemas.ts';

/*
 * What each operation answers, for /api/openapi.json: its success body and every error status it
 * can return, the errors all in the one shape (components.schemas.Error).
 *
 * Documentation only: these reach the document through @fastify/swagger's `transform` (app.ts),
 * never a route's `schema.response`. Given a response schema, fastify serialises the reply with it
 * and silently drops every property the schema does not name (and coerces types), so a field added
 * to a record but not here would vanish from the API. Kept out of serialisation, a schema that
 * falls behind the code is a failure `make api-contract` reports (schemathesis checks every
 * response against the document), not data lost without a word.
 */

type Schema = Readonly<Record<string, unknown>>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const seq = { type: 'integer', minimum: 0 } as const;
const all = (properties: Record<string, object>): Schema => objectSchema(properties, Object.keys(properties));
const listOf = (key: string, items: Schema): Schema => all({ [key]: { type: 'array', items } });

const roomProperties = {
  id,
  kind: { type: 'string', enum: ROOM_KINDS },
  name: nullableText,
  createdBy: id,
  createdAt: time,
  lastSeq: seq,
  lastMessageSeq: seq,
};

const botProperties = { userId: id, name: text, webhookUrl: nullableText, createdBy: id, createdAt: time, active: { type: 'boolean' } };

/** The records the API returns (services/core/src/domain/types.ts, bots.ts, audit.ts), named once for every operation. */
export const COMPONENT_SCHEMAS: Readonly<Record<string, Schema>> = {
  Error: all({
    error: objectSchema(
      {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: text,
        field: text,
        retryAfter: { type: 'integer', minimum: 1 },
      },
      ['code', 'message'],
    ),
  }),
  User: all({
    id,
    name: text,
    email: nullableText,
    role: { type: 'string', enum: ROLES },
    active: { type: 'boolean' },
    createdAt: time,
    avatar: { ...nullableText, description: "the version of the person's picture, for GET /api/users/{userId}/avatar?v=…; null: none" },
  }),
  Room: all(roomProperties),
  RoomForMember: all({
    ...roomProperties,
    involvement: { type: 'string', enum: INVOLVEMENTS },
    readSeq: seq,
    unread: { type: 'boolean' },
    unreadCount: { type: 'integer', minimum: 0, maximum: 100 },
    mentionCount: { type: 'integer', minimum: 0, maximum: 100 },
    memberIds: { type: 'array', items: id },
  }),
  Membership: all({ roomId: id, userId: id, involvement: { type: 'string', enum: INVOLVEMENTS }, readSeq: seq, createdAt: time }),
  Boost: all({ id, messageId: id, authorId: id, content: text, createdAt: time }),
  Message: all({
    id,
    roomId: id,
    seq,
    authorId: id,
    clientMessageId: text,
    body: text,
    mentions: { type: 'array', items: id },
    sound: nullableText,
    file: { anyOf: [ref('MessageFile'), { type: 'null' }] },
    createdAt: time,
    editedAt: nullableTime,
    deletedAt: nullableTime,
    boosts: { type: 'array', items: ref('Boost') },
  }),
  MessageFile: all({
    id,
    name: text,
    contentType: text,
    size: { type: 'integer', minimum: 1 },
    alt: nullableText,
    image: {
      anyOf: [all({ width: { type: 'integer', minimum: 1 }, height: { type: 'integer', minimum: 1 }, thumbnail: { type: 'boolean' } }), { type: 'null' }],
    },
  }),
  SearchHit: all({ message: ref('Message'), roomName: nullableText }),
  SignedIn: all({ user: ref('User'), csrfToken: text }),
  SignedInDevice: all({
    id: { ...id, description: "the session's public id (never its cookie)" },
    current: { type: 'boolean', description: 'the session of this request: this device' },
    createdAt: time,
    lastSeenAt: time,
    expiresAt: time,
    device: { type: 'string', description: 'what the user agent says, in short: "Chrome on Linux"' },
    userAgent: text,
    ip: { type: 'string', description: 'the client address it signed in from' },
  }),
  Bot: all(botProperties),
  ApiToken: all(apiTokenProperties()),
  AuditEntry: all({
    id: { type: 'integer', minimum: 1 },
    at: time,
    actorId: nullableText,
    actorName: nullableText,
    action: { type: 'string', enum: AUDIT_ACTIONS },
    targetType: { enum: [...AUDIT_TARGETS, null] },
    targetId: nullableText,
    detail: {
      type: 'object',
      additionalProperties: { anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array', items: text }] },
    },
    origin: { anyOf: [all({ ip: text, userAgent: text }), { type: 'null' }] },
  }),
};

function apiTokenProperties(): Record<string, object> {
  return {
    id,
    userId: id,
    name: text,
    roomIds: { type: 'array', items: id },
    createdBy: id,
    createdAt: time,
    revokedAt: nullableTime,
    lastUsedAt: nullableTime,
  };
}

/**
 * Statuses every operation can answer, whatever it does: 400 (a path or query that is not
 * well-formed text, a body refused before parsing), 401 and 403 (a bot's bearer token that is
 * unknown, or used outside its reach, on any route), 408, 413 (a declared body over the limit,
 * on any method), 414 and 431 (refused before routing), and 503 (a backend away, writes paused).
 */
export const EVERY_OPERATION_ERRORS = [400, 401, 403, 408, 413, 414, 431, 503] as const;

/** An operation's success responses by status, and the errors it adds to EVERY_OPERATION_ERRORS. */
export interface OperationDoc {
  readonly ok: Readonly<Record<number, Schema>>;
  readonly errors: readonly (404 | 409 | 415 | 429)[];
  /** The body's types, when it is not JSON (a file's bytes). */
  readonly consumes?: readonly string[];
  /** The query as a client writes it, numbers as numbers: the route validates their text, then their range. */
  readonly query?: Schema;
  /** The body with the limits of this server's configuration, which the route's static schema cannot know. */
  readonly body?: (limits: DocumentedLimits) => Schema;
}

/** The configured limits the document states (LimitsConfig). */
export interface DocumentedLimits {
  readonly messageChars: number;
}

/**
 * A message body's limit as messaging counts it (code points, as JSON Schema's maxLength does);
 * the route's schema only bounds it loosely, so that one over the limit is 413 payload_too_large.
 */
function withMessageLimit(schema: typeof postBody | typeof editBody): (limits: DocumentedLimits) => Schema {
  return ({ messageChars }) => ({
    ...schema,
    properties: {
      ...schema.properties,
      body: { ...schema.properties.body, maxLength: messageChars, description: `at most ${messageChars} characters, once trimmed` },
    },
  });
}

const json = (schema: Schema, description?: string): Schema => ({
  description: description ?? 'OK',
  content: { 'application/json': { schema } },
});
const bytes = (description: string): Schema => ({ description, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } });
const noContent: Schema = { description: 'No Content', type: 'null' };
const ok = (schema: Schema, description?: string) => ({ 200: json(schema, description) });
const created = (schema: Schema) => ({ 201: json(schema, 'Created') });

const cursor = { type: 'integer', minimum: 0, maximum: SEQ_MAX } as const;
const pageSize = (page: { readonly default: number; readonly max: number }): Schema => ({
  type: 'integer',
  minimum: 1,
  maximum: page.max,
  default: page.default,
});
const messagesQuery = objectSchema({
  before: { ...cursor, description: 'messages before this seq (not with after)' },
  after: { ...cursor, description: 'messages after this seq (not with before)' },
  limit: pageSize(MESSAGE_PAGE),
});
const auditQueryDoc = objectSchema({ before: { ...cursor, description: 'entries with an id below this' }, limit: pageSize(AUDIT_PAGE) });

const signInStart = json(ref('SignedIn'), 'Signed in: the session cookie is set');

/** Every documented operation, by `METHOD /path` as fastify routes it. */
export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  'GET /api/status': {
    ok: ok(
      all({
        setUp: { type: 'boolean' },
        accountName: nullableText,
        signIn: all({ password: { type: 'string', enum: PASSWORD_SIGN_IN }, sso: { anyOf: [all({ label: text, startUrl: text }), { type: 'null' }] } }),
      }),
    ),
    errors: [],
  },
  'POST /api/setup': { ok: { 201: { ...signInStart, description: 'Set up, and signed in as its administrator' } }, errors: [409, 429] },
  'POST /api/session': { ok: { 200: signInStart }, errors: [429] },
  'GET /api/session': { ok: ok(ref('SignedIn')), errors: [] },
  'DELETE /api/session': {
    ok: { 200: json(all({ logoutUrl: text }), "Signed out here; the client goes on to the provider's logout URL"), 204: noContent },
    errors: [],
  },
  'GET /api/sessions': { ok: ok(listOf('sessions', ref('SignedInDevice')), "The person's own live sessions, the most recently seen first"), errors: [] },
  'DELETE /api/sessions/:sessionId': {
    ok: {
      204: { ...noContent, description: 'Signed out there: its realtime streams closed' },
      200: json(all({ logoutUrl: text }), "This device's own SSO session: signed out here, as DELETE /api/session"),
    },
    errors: [404],
  },
  'POST /api/sessions/revoke-others': {
    ok: ok(all({ revoked: { type: 'integer', minimum: 0 } }), 'Every other session signed out; this one goes on'),
    errors: [],
  },
  'GET /api/push': {
    ok: ok(all({ publicKey: text }), "The server's VAPID public key (base64url): PushManager.subscribe's applicationServerKey"),
    errors: [],
  },
  'POST /api/push/subscriptions': {
    ok: { 201: json(all({ endpoint: text }), 'Kept with this session: new messages for this person are pushed to it') },
    errors: [],
  },
  'DELETE /api/push/subscriptions': { ok: { 204: { ...noContent, description: 'Forgotten: nothing more is pushed to it' } }, errors: [404] },
  'GET /api/join/:joinCode': { ok: ok(all({ accountName: text })), errors: [404] },
  'POST /api/join/:joinCode': { ok: { 201: { ...signInStart, description: 'Joined, and signed in' } }, errors: [404, 409, 429] },
  'GET /api/users': { ok: ok(listOf('users', ref('User'))), errors: [] },
  'GET /api/users/me': { ok: ok(ref('User')), errors: [] },
  'PATCH /api/users/:userId': { ok: ok(ref('User')), errors: [404, 409] },
  'PUT /api/users/me/avatar': {
    ok: ok(ref('User'), 'Kept: the user, with the version of their picture'),
    errors: [404, 415, 429],
    consumes: ['application/octet-stream'],
    body: () => ({ type: 'string', format: 'binary', description: "a PNG, JPEG, GIF or WebP image's bytes (judged by the bytes, not the Content-Type)" }),
  },
  'DELETE /api/users/me/avatar': { ok: ok(ref('User'), 'Removed: the user, shown by their initials again'), errors: [404] },
  'GET /api/users/:userId/avatar': {
    ok: { 200: bytes("The person's picture, at most 256 pixels a side (or a small GIF or WebP)"), 304: { description: 'Not Modified: the ETag still holds' } },
    errors: [404],
  },
  'GET /api/account': { ok: ok(objectSchema({ name: nullableText, joinUrl: text }, ['name'])), errors: [] },
  'POST /api/account/join-code': { ok: ok(all({ name: text, joinUrl: text })), errors: [409] },
  'GET /api/presence': { ok: ok(listOf('online', id)), errors: [] },
  'GET /api/rooms': { ok: ok(listOf('rooms', ref('RoomForMember'))), errors: [] },
  'POST /api/rooms': { ok: created(ref('Room')), errors: [404, 409] },
  'POST /api/rooms/direct': { ok: ok(ref('Room')), errors: [404, 409] },
  'GET /api/rooms/:roomId': { ok: ok(ref('RoomForMember')), errors: [404] },
  'PATCH /api/rooms/:roomId': { ok: ok(ref('Room')), errors: [404, 409] },
  'PUT /api/rooms/:roomId/members/:userId': { ok: ok(ref('Membership')), errors: [404, 409] },
  'DELETE /api/rooms/:roomId/members/:userId': { ok: { 204: noContent }, errors: [404, 409] },
  'PATCH /api/rooms/:roomId/membership': { ok: ok(ref('Membership')), errors: [404, 409] },
  'POST /api/rooms/:roomId/typing': { ok: { 204: noContent }, errors: [404] },
  'GET /api/rooms/:roomId/messages': { ok: ok(listOf('messages', ref('Message'))), errors: [404], query: messagesQuery },
  'POST /api/rooms/:roomId/messages': { ok: created(ref('Message')), errors: [404, 409, 429], body: withMessageLimit(postBody) },
  'GET /api/messages/:messageId': { ok: ok(ref('Message')), errors: [404] },
  'PATCH /api/messages/:messageId': { ok: ok(ref('Message')), errors: [404, 409], body: withMessageLimit(editBody) },
  'DELETE /api/messages/:messageId': { ok: ok(ref('Message'), 'Deleted: the message with its body emptied'), errors: [404, 409] },
  'POST /api/rooms/:roomId/files': {
    ok: created(ref('Message')),
    errors: [404, 409, 415, 429],
    consumes: ['application/octet-stream'],
    body: () => ({ type: 'string', format: 'binary', description: "the file's bytes, with the file's Content-Type" }),
  },
  'GET /api/messages/:messageId/file': { ok: { 200: bytes("The file's bytes: inline for an image, else an attachment") }, errors: [404] },
  'GET /api/messages/:messageId/file/thumbnail': { ok: { 200: bytes('A smaller copy of an image (or the image, when small)') }, errors: [404] },
  'POST /api/messages/:messageId/boosts': { ok: created(ref('Boost')), errors: [404, 409] },
  'DELETE /api/boosts/:boostId': { ok: { 204: noContent }, errors: [404, 409] },
  'GET /api/search': { ok: ok(listOf('hits', ref('SearchHit'))), errors: [] },
  'POST /api/admin/bots': {
    ok: { 201: json(all({ ...botProperties, webhookSecret: text }), 'Created: the bot, with its webhook signing secret shown this once') },
    errors: [404, 409],
  },
  'GET /api/admin/bots': { ok: ok(listOf('bots', ref('Bot'))), errors: [] },
  'POST /api/admin/bots/:botId/tokens': {
    ok: { 201: json(all({ ...apiTokenProperties(), token: text }), 'Created: the token, shown this once') },
    errors: [404, 409],
  },
  'GET /api/admin/bots/:botId/tokens': { ok: ok(listOf('tokens', ref('ApiToken'))), errors: [404] },
  'DELETE /api/admin/bots/:botId/tokens/:tokenId': { ok: ok(ref('ApiToken'), 'Revoked'), errors: [404, 409] },
  'POST /api/admin/bots/:botId/webhook-secret': {
    ok: ok(all({ botId: id, webhookSecret: text, previousSecretExpiresAt: nullableTime }), 'Rotated: the new secret, shown this once'),
    errors: [404],
  },
  'GET /api/admin/audit': {
    ok: ok(all({ entries: { type: 'array', items: ref('AuditEntry') }, nextBefore: { type: ['integer', 'null'], minimum: 1 } })),
    errors: [],
    query: auditQueryDoc,
  },
  'GET /api/admin/audit/export': {
    ok: {
      200: {
        description: 'Every entry, oldest first: one AuditEntry as JSON per line',
        content: { 'application/x-ndjson': { schema: { type: 'string' } } },
      },
    },
    errors: [],
  },
  'GET /api/realtime/sse': {
    ok: {
      200: { description: 'Server-Sent Events: the realtime frames (docs/protocol.md)', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    },
    errors: [],
  },
};

/** The document's responses of one operation: its successes, then every error status it can return, each in the error shape. */
export function responsesOf(doc: OperationDoc): Record<string, Schema> {
  const responses: Record<string, Schema> = { ...doc.ok };
  const statuses = [...new Set([...EVERY_OPERATION_ERRORS, ...doc.errors])].sort((a, b) => a - b);
  for (const status of statuses) responses[status] = json(ref('Error'), nodeHttp.STATUS_CODES[status] ?? 'Error');
  return responses;
}

interface SwaggerRoute {
  readonly schema?: FastifySchema;
  readonly url: string;
  readonly route: { readonly method: string | readonly string[] };
}

/**
 * @fastify/swagger's `transform`: adds an operation's responses (and its query as clients write it,
 * and its body with the configured limits) to what the route's own schema says. A route missing
 * from OPERATIONS is left as it is; the OpenAPI test lists such routes.
 */
export function documentOperations(limits: DocumentedLimits): (route: SwaggerRoute) => { schema: FastifySchema; url: string } {
  return ({ schema, url, route }) => {
    const method = typeof route.method === 'string' ? route.method : (route.method[0] ?? '');
    const doc = OPERATIONS[`${method} ${url}`];
    const own = schema ?? {};
    if (doc === undefined) return { schema: own, url };
    return {
      schema: {
        ...own,
        response: responsesOf(doc),
        ...(doc.query === undefined ? {} : { querystring: doc.query }),
        ...(doc.body === undefined ? {} : { body: doc.body(limits) }),
        ...(doc.consumes === undefined ? {} : { consumes: [...doc.consumes] }),
      },
      url,
    };
  };
}
