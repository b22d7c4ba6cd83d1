import { createECDH } from 'node:crypto';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import type { Boost, Bot, Message, Room, ServerFrame } from '@hearth/core';
import { PASSWORD, SseClient, WsClient, call, joinAs, joinCodeOf, sessionOf, setUpAccount, type CallOptions, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';
import {
  AUTHORIZATION_RULES,
  ROLES,
  ROOM_KINDS,
  answersAsExpected,
  isMutating,
  type AuthorizationRule,
  type Cell,
  type MatrixRole,
  type MatrixRoomKind,
} from './authorization-rules.ts';

/**
 * The authorization matrix of a whole Hearth (issue 14): every operation of the app's own
 * /api/openapi.json × every caller (authorization-rules.ts ROLES) × every room kind the path can
 * point into, each answer checked against the rule of that operation; CSRF refusals for every
 * change made with a session; and no message of a room ever reaches someone outside it, over
 * REST (search included), WebSocket or SSE.
 */

/** Fixture messages carry this word and a random suffix, so a leak is a plain substring. */
const SECRET_WORD = 'secret';
/** How long a non-member's stream is watched after the member saw the event. */
const SETTLE_MS = 500;

interface Operation {
  readonly key: string;
  readonly method: HTTPMethods;
  readonly path: string;
  readonly hasBody: boolean;
}

interface World {
  readonly server: TestServer;
  readonly base: string;
  readonly admin: TestSession;
  readonly bob: TestSession;
  readonly cat: TestSession;
  readonly eve: TestSession;
  readonly dan: TestSession;
  /** Added to rooms by the matrix: no role, so adding her changes no cell's caller. */
  readonly fay: TestSession;
  readonly direct: Room;
  readonly bot: Bot;
  readonly botToken: string;
  readonly outsideBot: Bot;
  readonly outsideToken: string;
  readonly outsideRoomId: string;
  /** Every fixture message body, by the kind of its room. */
  readonly secrets: Record<MatrixRoomKind, string[]>;
}

/** The room (and message, boost, bot token) one cell's ids point into. */
interface Target {
  readonly roomId: string;
  readonly messageId: string;
  readonly boostId: string;
  readonly botToken: string;
}

function ok<T>(response: LightMyRequestResponse, status = 200): T {
  assert.equal(response.statusCode, status, response.body);
  return response.json<T>();
}

const bearer = (token: string): CallOptions => ({ headers: { authorization: `Bearer ${token}` }, csrf: null });

async function createBot(s: TestServer, admin: TestSession, name: string, roomIds: string[]): Promise<{ bot: Bot; token: string }> {
  const bot = ok<Bot>(await call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name, webhookUrl: null, roomIds } }), 201);
  return { bot, token: await tokenFor(s, admin, bot.userId, roomIds) };
}

async function tokenFor(s: TestServer, admin: TestSession, botId: string, roomIds: string[]): Promise<string> {
  const body = { name: `t-${randomBytes(4).toString('hex')}`, roomIds };
  return ok<{ token: string }>(await call(s.app, 'POST', `/api/admin/bots/${botId}/tokens`, { session: admin, body }), 201).token;
}

async function openWorld(): Promise<World> {
  const server = await startTestServer();
  const base = await server.listen();
  const { app } = server;
  const admin = await setUpAccount(app);
  const people: TestSession[] = [];
  for (const name of ['Bob', 'Cat', 'Eve', 'Dan', 'Fay']) people.push(await joinAs(app, admin, name));
  const [bob, cat, eve, dan, fay] = people as [TestSession, TestSession, TestSession, TestSession, TestSession];
  const direct = ok<Room>(await call(app, 'POST', '/api/rooms/direct', { session: bob, body: { userIds: [cat.user.id, dan.user.id] } }));
  const deploys = ok<Room>(await call(app, 'POST', '/api/rooms', { session: admin, body: { kind: 'closed', name: 'Deploys' } }), 201);
  const outsideRoom = ok<Room>(await call(app, 'POST', '/api/rooms', { session: admin, body: { kind: 'closed', name: 'Outside' } }), 201);
  const deployer = await createBot(server, admin, 'Deployer', [deploys.id]);
  const outside = await createBot(server, admin, 'Outsider', [outsideRoom.id]);
  // Dan keeps the cookie and CSRF token of a session that was live before the deactivation.
  ok(await call(app, 'PATCH', `/api/users/${dan.user.id}`, { session: admin, body: { active: false } }));
  return {
    ...{ server, base, admin, bob, cat, eve, dan, fay, direct },
    ...{ bot: deployer.bot, botToken: deployer.token, outsideBot: outside.bot, outsideToken: outside.token, outsideRoomId: outsideRoom.id },
    secrets: { open: [], closed: [], direct: [] },
  };
}

/**
 * The member posts a fixture message with a fresh secret, and boosts it. The message carries a
 * file that holds a secret too, so that its bytes reaching a non-member would be a leak found.
 */
async function postSecret(w: World, author: TestSession, kind: MatrixRoomKind, roomId: string): Promise<{ message: Message; boost: Boost }> {
  const body = `${SECRET_WORD} ${randomBytes(8).toString('hex')}`;
  const content = `${SECRET_WORD} ${randomBytes(8).toString('hex')}`;
  w.secrets[kind].push(body, content);
  const query = new URLSearchParams({ name: 'secret.txt', clientMessageId: body, body });
  const headers = { 'content-type': 'text/plain' };
  const message = ok<Message>(await call(w.server.app, 'POST', `/api/rooms/${roomId}/files?${query}`, { session: author, body: content, headers }), 201);
  const boost = ok<Boost>(await call(w.server.app, 'POST', `/api/messages/${message.id}/boosts`, { session: author, body: { content: '🔥' } }), 201);
  return { message, boost };
}

/**
 * A fresh open or closed room (Cat creates it, Bob is a member, Eve has left the open one) so
 * what an allowed cell changes touches no other cell; the one direct room of Bob, Cat and Dan.
 */
async function newRoom(w: World, kind: MatrixRoomKind): Promise<string> {
  const { app } = w.server;
  if (kind === 'direct') return w.direct.id;
  const body = { kind, name: `${kind} ${randomBytes(3).toString('hex')}`, ...(kind === 'closed' ? { memberIds: [w.bob.user.id] } : {}) };
  const room = ok<Room>(await call(app, 'POST', '/api/rooms', { session: w.cat, body }), 201);
  if (kind === 'open') assert.equal((await call(app, 'DELETE', `/api/rooms/${room.id}/members/${w.eve.user.id}`, { session: w.eve })).statusCode, 204);
  return room.id;
}

async function newTarget(w: World, cell: Cell): Promise<Target> {
  const kind = cell.kind ?? 'direct';
  const roomId = await newRoom(w, kind);
  let botToken = w.botToken;
  if (cell.role === 'bot' && kind !== 'direct') {
    ok(await call(w.server.app, 'PUT', `/api/rooms/${roomId}/members/${w.bot.userId}`, { session: w.admin }));
    botToken = await tokenFor(w.server, w.admin, w.bot.userId, [roomId]);
  }
  const { message, boost } = await postSecret(w, w.bob, kind, roomId);
  return { roomId, messageId: message.id, boostId: boost.id, botToken };
}

const EMAILS: Partial<Record<MatrixRole, string>> = {
  member: 'bob@example.com',
  nonMember: 'eve@example.com',
  administrator: 'ada@example.com',
  deactivated: 'dan@example.com',
};

interface BodyContext {
  readonly w: World;
  readonly role: MatrixRole;
  readonly n: number;
}

/** A browser's P-256 public key, as a push subscription carries it. */
const BROWSER_KEY = (() => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey('base64url');
})();

/** A valid body for each operation that takes one. */
const BODIES: Readonly<Record<string, (c: BodyContext) => unknown>> = {
  'POST /api/setup': () => ({ accountName: 'Acme', name: 'Mallory', email: 'mallory@example.com', password: PASSWORD }),
  'POST /api/session': ({ role }) => ({ email: EMAILS[role] ?? 'bob@example.com', password: PASSWORD }),
  'POST /api/join/{joinCode}': ({ n }) => ({ name: `Joiner ${n}`, email: `joiner-${n}@example.com`, password: PASSWORD }),
  'PATCH /api/users/{userId}': () => ({ name: 'Bob' }),
  // A GIF's header: all Hearth reads of a small one, which it keeps as it is.
  'PUT /api/users/me/avatar': () => 'GIF89a\u0001\u0000\u0001\u0000',
  'POST /api/rooms': ({ n }) => ({ kind: 'closed', name: `Room ${n}` }),
  'POST /api/rooms/direct': ({ w }) => ({ userIds: [w.cat.user.id] }),
  'PATCH /api/rooms/{roomId}': () => ({ name: 'Renamed' }),
  'PATCH /api/rooms/{roomId}/membership': () => ({ involvement: 'everything' }),
  'POST /api/rooms/{roomId}/messages': ({ n }) => ({ body: `hello ${n}`, clientMessageId: `matrix-${n}` }),
  'PATCH /api/messages/{messageId}': () => ({ body: 'edited' }),
  'POST /api/messages/{messageId}/boosts': () => ({ content: '+1' }),
  'POST /api/rooms/{roomId}/files': ({ n }) => `file ${n}`,
  'POST /api/admin/bots': ({ n }) => ({ name: `Bot ${n}`, webhookUrl: null }),
  'POST /api/admin/bots/{botId}/tokens': ({ w, n }) => ({ name: `token ${n}`, roomIds: [w.outsideRoomId] }),
  // A browser's subscription at a push service by name: nothing is sent to it at subscribing.
  'POST /api/push/subscriptions': ({ n }) => ({ endpoint: `https://push.example.com/matrix-${n}`, keys: { p256dh: BROWSER_KEY, auth: 'A'.repeat(22) } }),
};

const QUERIES: Readonly<Record<string, string>> = {
  'DELETE /api/push/subscriptions': `?endpoint=${encodeURIComponent('https://push.example.com/never-subscribed')}`,
  'GET /api/search': `?q=${SECRET_WORD}`,
  'POST /api/rooms/{roomId}/files': '?name=matrix.txt&clientMessageId=matrix-file',
};

/** Whose id fills `{userId}`: the member (renamed, removed), or Fay (added; her picture, which she never sets). */
const USER_TARGETS: Readonly<Record<string, 'bob' | 'fay'>> = {
  'PUT /api/rooms/{roomId}/members/{userId}': 'fay',
  'GET /api/users/{userId}/avatar': 'fay',
};

async function operationsOf(w: World): Promise<Operation[]> {
  const doc = ok<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>(await call(w.server.app, 'GET', '/api/openapi.json'));
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase() as HTTPMethods,
      path,
      hasBody: operation.requestBody !== undefined,
    })),
  );
}

function ruleOf(operation: Operation): AuthorizationRule {
  return AUTHORIZATION_RULES[operation.key] ?? assert.fail(`operation ${operation.key} has no authorization rule in authorization-rules.ts`);
}

/** The cells of one operation: every role, and every room kind when the path points into a room. */
function cellsOf(rule: AuthorizationRule): Cell[] {
  const kinds: readonly (MatrixRoomKind | null)[] = rule.perRoomKind === true ? ROOM_KINDS : [null];
  return kinds.flatMap((kind) => ROLES.map((role) => ({ role, kind })));
}

/** The values of a path's `{…}` parameters for one cell; some are made for it (a token to revoke). */
async function paramsOf(w: World, operation: Operation, target: Target | null): Promise<Record<string, string>> {
  const { path } = operation;
  const params: Record<string, string> = { botId: w.outsideBot.userId, userId: w[USER_TARGETS[operation.key] ?? 'bob'].user.id };
  if (target !== null) Object.assign(params, { roomId: target.roomId, messageId: target.messageId, boostId: target.boostId });
  if (path.includes('{joinCode}')) params['joinCode'] = await joinCodeOf(w.server.app, w.admin);
  if (path.includes('{sessionId}')) params['sessionId'] = await newSessionOfMember(w);
  if (path.includes('{tokenId}')) {
    const token = await tokenFor(w.server, w.admin, w.outsideBot.userId, [w.outsideRoomId]);
    params['tokenId'] = token.split('_')[1] ?? assert.fail('a token without an id');
  }
  return params;
}

/** A new session of the member's, by the public id GET /api/sessions gives it: the one a cell signs out. */
async function newSessionOfMember(w: World): Promise<string> {
  const fresh = sessionOf(await call(w.server.app, 'POST', '/api/session', { body: { email: EMAILS.member, password: PASSWORD } }));
  const { sessions } = ok<{ sessions: { id: string; current: boolean }[] }>(await call(w.server.app, 'GET', '/api/sessions', { session: fresh }));
  return sessions.find((session) => session.current)?.id ?? assert.fail('GET /api/sessions lists no current session');
}

function urlOf(operation: Operation, params: Readonly<Record<string, string>>): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? assert.fail(`no fixture for {${name}} of ${operation.key}`));
  return path + (QUERIES[operation.key] ?? '');
}

/** How the cell's caller authenticates; an operation that ends the session gets a session of its own. */
async function credentialsOf(w: World, operation: Operation, cell: Cell, target: Target | null): Promise<CallOptions> {
  const sessions: Partial<Record<MatrixRole, TestSession>> = { member: w.bob, nonMember: w.eve, administrator: w.admin, deactivated: w.dan };
  switch (cell.role) {
    case 'anonymous':
      return {};
    case 'bot':
      return bearer(target?.botToken ?? w.botToken);
    case 'outsideBot':
      return bearer(w.outsideToken);
    case 'deactivated':
      return { session: w.dan };
    default: {
      const email = EMAILS[cell.role] ?? assert.fail(`no email for ${cell.role}`);
      if (operation.key !== 'DELETE /api/session') return { session: sessions[cell.role] ?? assert.fail(`no session for ${cell.role}`) };
      return { session: sessionOf(await call(w.server.app, 'POST', '/api/session', { body: { email, password: PASSWORD } })) };
    }
  }
}

/** The rooms' kinds whose messages a role may read (see ROLES); any other secret in its answers is a leak. */
function readableKinds(cell: Cell): readonly MatrixRoomKind[] {
  switch (cell.role) {
    case 'member':
      return ROOM_KINDS;
    case 'administrator':
      return ['open'];
    case 'bot':
      return cell.kind === 'direct' ? [] : ['open', 'closed'];
    default:
      return [];
  }
}

/** The fixture secrets in an answer that its caller may not read. */
function leaksIn(w: World, cell: Cell, body: string): string[] {
  const readable = readableKinds(cell);
  return ROOM_KINDS.filter((kind) => !readable.includes(kind)).flatMap((kind) => w.secrets[kind].filter((secret) => body.includes(secret)));
}

interface Tally {
  cells: number;
  skipped: number;
  readonly wrong: string[];
  readonly leaks: string[];
}

let counter = 0;

async function runCell(w: World, operation: Operation, cell: Cell, tally: Tally): Promise<void> {
  const rule = ruleOf(operation);
  const expected = rule.expect(cell);
  // An allowed stream never ends; the realtime tests below open those over a socket.
  if (rule.streams === true && expected === 'ok') return void (tally.skipped += 1);
  const target = rule.perRoomKind === true ? await newTarget(w, cell) : null;
  const url = urlOf(operation, await paramsOf(w, operation, target));
  const credentials = await credentialsOf(w, operation, cell, target);
  const makeBody = BODIES[operation.key];
  const body = makeBody === undefined ? undefined : makeBody({ w, role: cell.role, n: (counter += 1) });
  const response = await call(w.server.app, operation.method, url, { ...credentials, ...(body === undefined ? {} : { body }) });
  tally.cells += 1;
  const where = `${operation.method} ${url} as ${cell.role}${cell.kind === null ? '' : ` (${cell.kind} room)`}`;
  if (!answersAsExpected(expected, response.statusCode)) {
    tally.wrong.push(`${where} (${operation.key}): expected ${expected}, got ${response.statusCode} ${response.body.slice(0, 200)}`);
  }
  for (const secret of leaksIn(w, cell, response.body)) tally.leaks.push(`${where}: the answer holds "${secret}"`);
}

/** Every mutating request made with a session but a missing or wrong x-csrf-token. */
async function runCsrfCells(w: World, operation: Operation): Promise<number> {
  const rule = ruleOf(operation);
  let cells = 0;
  for (const kind of rule.perRoomKind === true ? ROOM_KINDS : [null]) {
    const target = rule.perRoomKind === true ? await newTarget(w, { role: 'member', kind }) : null;
    const url = urlOf(operation, await paramsOf(w, operation, target));
    const makeBody = BODIES[operation.key];
    for (const session of [w.bob, w.admin]) {
      for (const csrf of [null, 'not-the-token', w.eve.csrfToken]) {
        const body = makeBody?.({ w, role: 'member', n: (counter += 1) });
        const response = await call(w.server.app, operation.method, url, { session, csrf, ...(body === undefined ? {} : { body }) });
        cells += 1;
        const code = response.statusCode === 403 ? response.json<{ error: { code: string } }>().error.code : '';
        assert.equal(code, 'csrf_mismatch', `${operation.method} ${url} as ${session.user.name} with x-csrf-token ${String(csrf)}: ${response.body}`);
      }
    }
  }
  return cells;
}

/**
 * The frames a non-member must not have had: an event of one of these rooms after the sequence
 * at which they were no longer in it (0: never in it), or any frame that holds a secret.
 */
function leakedFrames(frames: readonly ServerFrame[], outsideFrom: Readonly<Record<string, number>>, secrets: readonly string[]): ServerFrame[] {
  return frames.filter((frame) => {
    const text = JSON.stringify(frame);
    const after = frame.type === 'room.event' ? outsideFrom[frame.event.roomId] : undefined;
    return (frame.type === 'room.event' && after !== undefined && frame.event.seq > after) || secrets.some((secret) => text.includes(secret));
  });
}

function streamsOf(t: TestContext, w: World, session: TestSession): { ws: WsClient; sse: SseClient } {
  const ws = new WsClient(w.base, { cookie: session.cookie });
  const sse = new SseClient(w.base, { cookie: session.cookie });
  t.after(async () => {
    await ws.close();
    await sse.close();
  });
  return { ws, sse };
}

const isReady = (frame: ServerFrame): boolean => frame.type === 'ready';

describe('the authorization matrix', () => {
  let w: World;
  let operations: Operation[];
  const tally: Tally = { cells: 0, skipped: 0, wrong: [], leaks: [] };

  before(async () => {
    w = await openWorld();
    operations = await operationsOf(w);
  });
  after(() => stopAndAssertNo5xx(w.server));

  it('has a rule for every operation of /api/openapi.json, a body for every one that takes one, and no rule for a gone one', () => {
    assert.ok(operations.length >= 30, `only ${operations.length} operations in /api/openapi.json`);
    for (const operation of operations) {
      ruleOf(operation);
      if (operation.hasBody) assert.ok(BODIES[operation.key], `operation ${operation.key} takes a body but has none in the body table`);
    }
    const keys = new Set(operations.map((operation) => operation.key));
    assert.deepEqual(
      Object.keys(AUTHORIZATION_RULES).filter((key) => !keys.has(key)),
      [],
      'rules for operations /api/openapi.json no longer has',
    );
  });

  it('answers every operation × role × room kind as its rule says, and no answer holds a message its caller may not read', async (t) => {
    for (const operation of operations) {
      for (const cell of cellsOf(ruleOf(operation))) await runCell(w, operation, cell, tally);
    }
    t.diagnostic(
      `authorization matrix: ${operations.length} operations, ${tally.cells} cells (${tally.skipped} allowed streams left to the realtime tests), ${tally.leaks.length} leaks`,
    );
    assert.deepEqual(tally.wrong, [], 'cells answered otherwise than their rule says');
    assert.deepEqual(tally.leaks, [], 'answers that hold a message of a room their caller is not in');
    assert.ok(tally.cells > 300, `only ${tally.cells} cells`);
  });

  it('search finds the fixture messages for their members only', async () => {
    const room = await newRoom(w, 'closed');
    const { message } = await postSecret(w, w.bob, 'closed', room);
    const search = (options: CallOptions) => call(w.server.app, 'GET', `/api/search?q=${encodeURIComponent(message.body)}`, options);
    // The member's hit proves the query would find it: the others' empty answers are not vacuous.
    const mine = await search({ session: w.bob });
    assert.ok(mine.statusCode === 200 && mine.body.includes(message.body), mine.body);
    for (const options of [{ session: w.eve }, { session: w.admin }, { session: w.dan }, {}, bearer(w.botToken), bearer(w.outsideToken)]) {
      assert.ok(!(await search(options)).body.includes(message.body), `search as ${JSON.stringify(options).slice(0, 80)} found a closed room's message`);
    }
  });

  it('refuses every change made with a session but a missing or wrong x-csrf-token with 403 csrf_mismatch; bot tokens need none', async (t) => {
    let cells = 0;
    for (const operation of operations.filter((o) => isMutating(o.method) && ruleOf(o).csrfExempt !== true)) cells += await runCsrfCells(w, operation);
    t.diagnostic(`CSRF: ${cells} requests refused`);
    assert.ok(cells > 50, `only ${cells} CSRF cells`);
    // A bearer request ignores the cookie beside it: it cannot act as the cookie's person.
    const headers = { authorization: `Bearer ${w.outsideToken}`, cookie: w.bob.cookie };
    const forged = await call(w.server.app, 'POST', '/api/rooms', { headers, body: { kind: 'closed', name: 'Forged' } });
    assert.equal(forged.statusCode, 403, forged.body);
    // Sign-in is exempt (the matrix's bot cells send no token either, and post): a session without a token still signs in.
    const signIn = await call(w.server.app, 'POST', '/api/session', { session: w.bob, csrf: null, body: { email: 'bob@example.com', password: PASSWORD } });
    assert.equal(signIn.statusCode, 200, signIn.body);
  });

  it("sends a member the events of closed, direct and open rooms, and a non-member's WebSocket and SSE none of them", async (t) => {
    const bob = streamsOf(t, w, w.bob);
    const eve = streamsOf(t, w, w.eve);
    await Promise.all([bob.ws.ready(), bob.sse.waitFor(isReady, 'SSE ready'), eve.ws.ready(), eve.sse.waitFor(isReady, 'SSE ready')]);
    const rooms: Record<MatrixRoomKind, string> = { closed: await newRoom(w, 'closed'), direct: w.direct.id, open: await newRoom(w, 'open') };
    const posted: Message[] = [];
    for (const kind of ROOM_KINDS) posted.push((await postSecret(w, w.cat, kind, rooms[kind])).message);
    for (const message of posted) {
      for (const client of [bob.ws, bob.sse]) {
        await client.waitFor(
          (f) => f.type === 'room.event' && f.event.type === 'message.created' && f.event.message.id === message.id,
          `message in ${message.roomId}`,
        );
      }
    }
    await sleep(SETTLE_MS);
    // Eve was in the new open room until she left it (its last event before the post).
    const outsideFrom = { [rooms.closed]: 0, [rooms.direct]: 0, [rooms.open]: (posted[ROOM_KINDS.indexOf('open')]?.seq ?? assert.fail('no open post')) - 1 };
    const secrets = posted.map((message) => message.body);
    assert.deepEqual(leakedFrames(eve.ws.frames, outsideFrom, secrets), [], "the non-member's WebSocket got an event of a room they are not in");
    assert.deepEqual(leakedFrames(eve.sse.frames, outsideFrom, secrets), [], "the non-member's SSE stream got an event of a room they are not in");
    assert.ok(eve.ws.frames.length > 0 && eve.ws.socket.readyState === eve.ws.socket.OPEN, "the non-member's WebSocket is still open");
  });

  it("refuses a deactivated user's new WebSocket and SSE stream with 401, and closes the live ones", async (t) => {
    const dan = streamsOf(t, w, w.dan);
    await dan.ws.closed;
    assert.equal(dan.ws.refused?.status, 401, 'the upgrade was not refused');
    await dan.sse.closed;
    assert.equal(dan.sse.status, 401);
    assert.deepEqual([...dan.ws.frames, ...dan.sse.frames], []);

    const gus = await joinAs(w.server.app, w.admin, 'Gus');
    const live = streamsOf(t, w, gus);
    await Promise.all([live.ws.ready(), live.sse.waitFor(isReady, 'SSE ready')]);
    ok(await call(w.server.app, 'PATCH', `/api/users/${gus.user.id}`, { session: w.admin, body: { active: false } }));
    assert.equal((await live.ws.closed).code, 4001);
    await live.sse.closed;
    assert.deepEqual(live.sse.frames.at(-1), { type: 'error', code: 'unauthenticated', message: 'your session ended' });
  });
});
