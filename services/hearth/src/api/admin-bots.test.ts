import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HTTPMethods, LightMyRequestResponse } from 'fastify';
import type { ApiToken, AuditEntry, Bot, CreatedBot, Message, Room, User, WebhookSecretRotation } from '@hearth/core';
import { call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';

/**
 * Bots through the REST API of a whole Hearth (app.inject, real SQLite, BusLocal, messaging):
 * the admin routes and their schemas, and what a bot's bearer token may and may not do.
 */

function assertError(response: LightMyRequestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const { error } = response.json<{ error: { code: string; message: string; field?: string } }>();
  assert.equal(error.code, code, response.body);
  if (field !== undefined) assert.equal(error.field, field, response.body);
}

function created<T>(response: LightMyRequestResponse): T {
  assert.equal(response.statusCode, 201, response.body);
  return response.json<T>();
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('a webhook on a private network', () => {
  it('is accepted once HEARTH_WEBHOOK_ALLOWED_NETWORKS allows that network, and only that one', async () => {
    const s = await startTestServer({ HEARTH_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8, fd00::/8' });
    try {
      const admin = await setUpAccount(s.app);
      const createBot = (name: string, webhookUrl: string) => call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name, webhookUrl } });
      assert.equal((await createBot('Internal', 'http://10.1.2.3/hook')).statusCode, 201);
      assert.equal((await createBot('Internal6', 'http://[fd00::5]/hook')).statusCode, 201);
      assertError(await createBot('Loopback', 'http://127.0.0.1:6379/'), 400, 'invalid_request', 'webhookUrl');
    } finally {
      await s.stop();
    }
  });
});

describe('bots over REST', () => {
  let s: TestServer;
  let admin: TestSession;
  let bob: TestSession;
  let allTalk: Room;
  let ops: Room;
  let bot: Bot;
  /** The webhook signing secret the bot was made with. */
  let botSecret: string;
  let token: ApiToken & { token: string };

  before(async () => {
    s = await startTestServer();
    admin = await setUpAccount(s.app);
    bob = await joinAs(s.app, admin, 'Bob');
    const rooms = (await call(s.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: Room[] }>().rooms;
    allTalk = rooms.find((room) => room.name === 'All Talk') as Room;
    ops = created<Room>(await call(s.app, 'POST', '/api/rooms', { session: admin, body: { kind: 'closed', name: 'Ops', memberIds: [bob.user.id] } }));
    const { webhookSecret, ...made } = created<CreatedBot>(
      await call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name: 'Deployer', webhookUrl: null, roomIds: [allTalk.id, ops.id] } }),
    );
    [bot, botSecret] = [made, webhookSecret];
    token = created(await call(s.app, 'POST', `/api/admin/bots/${bot.userId}/tokens`, { session: admin, body: { name: 'ci', roomIds: [allTalk.id] } }));
  });
  after(() => stopAndAssertNo5xx(s));

  it('creates and lists bots and tokens; the token is shown once, and never its secret again', async () => {
    assert.equal(bot.name, 'Deployer');
    assert.equal(bot.webhookUrl, null);
    assert.match(botSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.match(token.token, new RegExp(`^hbt_${token.id}_[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(token.roomIds, [allTalk.id]);
    assert.deepEqual((await call(s.app, 'GET', '/api/admin/bots', { session: admin })).json(), { bots: [bot] });
    const listed = await call(s.app, 'GET', `/api/admin/bots/${bot.userId}/tokens`, { session: admin });
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      listed.json<{ tokens: ApiToken[] }>().tokens.map((t) => t.id),
      [token.id],
    );
    const secret = token.token.split('_').slice(2).join('_');
    assert.ok(!listed.body.includes(secret) && !listed.body.includes('secretHash') && !listed.body.includes('"token"'));
    const hookCreated = await call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name: 'Hook', webhookUrl: 'https://hooks.example/hearth' } });
    const withHook = created<CreatedBot>(hookCreated);
    assert.equal(withHook.webhookUrl, 'https://hooks.example/hearth');
    assert.equal(hookCreated.headers['cache-control'], 'no-store');
    assert.notEqual(withHook.webhookSecret, botSecret);
    // Shown at creation only: no list holds a webhook secret.
    assert.ok(!(await call(s.app, 'GET', '/api/admin/bots', { session: admin })).body.includes('whsec_'));
  });

  it('refuses bad input with a 400 (or 404) naming the field, and stores nothing', async () => {
    const direct = (await call(s.app, 'POST', '/api/rooms/direct', { session: admin, body: { userIds: [bob.user.id] } })).json<Room>();
    const before = (await call(s.app, 'GET', '/api/admin/bots', { session: admin })).json<{ bots: Bot[] }>().bots.length;
    const createBot = (body: unknown) => call(s.app, 'POST', '/api/admin/bots', { session: admin, body });
    assertError(await createBot({}), 400, 'invalid_request', 'name');
    assertError(await createBot({ name: '' }), 400, 'invalid_request', 'name');
    assertError(await createBot({ name: 'x', webhookUrl: 'ftp://hooks.example/' }), 400, 'invalid_request', 'webhookUrl');
    assertError(await createBot({ name: 'x', webhookUrl: 'javascript:alert(1)' }), 400, 'invalid_request', 'webhookUrl');
    assertError(await createBot({ name: 'x', webhookUrl: 42 }), 400, 'invalid_request', 'webhookUrl');
    // A webhook may not point the server at itself, its backends or the cloud's metadata service.
    for (const webhookUrl of [
      'http://127.0.0.1:6379/',
      'http://0.0.0.0/',
      'http://[::1]:4222/',
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/hook',
    ]) {
      assertError(await createBot({ name: 'x', webhookUrl }), 400, 'invalid_request', 'webhookUrl');
    }
    assertError(await createBot({ name: 'x', roomIds: 'all' }), 400, 'invalid_request', 'roomIds');
    assertError(await createBot({ name: 'x', roomIds: ['not an id'] }), 400, 'invalid_request', 'roomIds.0');
    assertError(await createBot({ name: 'x', colour: 'red' }), 400, 'invalid_request', 'colour');
    assertError(await createBot({ name: 'x', roomIds: [direct.id] }), 400, 'invalid_request', 'roomIds');
    assertError(await createBot({ name: 'x', roomIds: ['00000000-0000-4000-8000-000000000000'] }), 404, 'room_not_found', 'roomIds');
    assert.equal((await call(s.app, 'GET', '/api/admin/bots', { session: admin })).json<{ bots: Bot[] }>().bots.length, before);

    const createToken = (botId: string, body: unknown) => call(s.app, 'POST', `/api/admin/bots/${botId}/tokens`, { session: admin, body });
    assertError(await createToken(bot.userId, { name: 'x', roomIds: [] }), 400, 'invalid_request', 'roomIds');
    assertError(await createToken(bot.userId, { roomIds: [allTalk.id] }), 400, 'invalid_request', 'name');
    assertError(await createToken(bob.user.id, { name: 'x', roomIds: [allTalk.id] }), 404, 'not_found', 'botId');
    assertError(await createToken('bad id!', { name: 'x', roomIds: [allTalk.id] }), 400, 'invalid_request', 'botId');
    assertError(await call(s.app, 'GET', `/api/admin/bots/${bob.user.id}/tokens`, { session: admin }), 404, 'not_found', 'botId');
    assertError(
      await call(s.app, 'DELETE', `/api/admin/bots/${bot.userId}/tokens/00000000-0000-4000-8000-000000000000`, { session: admin }),
      404,
      'not_found',
      'tokenId',
    );
  });

  it('is for administrators only', async () => {
    for (const [method, url, body] of [
      ['POST', '/api/admin/bots', { name: 'Mine' }],
      ['GET', '/api/admin/bots', undefined],
      ['POST', `/api/admin/bots/${bot.userId}/tokens`, { name: 'mine', roomIds: [allTalk.id] }],
      ['GET', `/api/admin/bots/${bot.userId}/tokens`, undefined],
      ['DELETE', `/api/admin/bots/${bot.userId}/tokens/${token.id}`, undefined],
      ['POST', `/api/admin/bots/${bot.userId}/webhook-secret`, undefined],
    ] as const) {
      assertError(await call(s.app, method, url, { session: bob, ...(body === undefined ? {} : { body }) }), 403, 'forbidden');
      assertError(await call(s.app, method, url, body === undefined ? {} : { body }), 401, 'unauthenticated');
    }
    assert.equal(
      (await call(s.app, 'GET', `/api/admin/bots/${bot.userId}/tokens`, { session: admin })).json<{ tokens: ApiToken[] }>().tokens[0]?.revokedAt,
      null,
    );
  });

  it("a bot token reads itself, and reads and posts in its rooms without CSRF; the post is the bot's", async () => {
    const me = await call(s.app, 'GET', '/api/users/me', bearer(token.token));
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json<User>().id, bot.userId);
    assert.equal(me.json<User>().role, 'bot');
    const posted = created<Message>(
      await call(s.app, 'POST', `/api/rooms/${allTalk.id}/messages`, { ...bearer(token.token), body: { body: 'Deployed v42', clientMessageId: 'deploy-42' } }),
    );
    assert.equal(posted.authorId, bot.userId);
    const page = await call(s.app, 'GET', `/api/rooms/${allTalk.id}/messages`, bearer(token.token));
    assert.equal(page.statusCode, 200);
    assert.ok(page.json<{ messages: Message[] }>().messages.some((m) => m.id === posted.id));
    assert.equal((await call(s.app, 'GET', `/api/messages/${posted.id}`, bearer(token.token))).json<Message>().body, 'Deployed v42');
    // As people see it.
    const seen = (await call(s.app, 'GET', `/api/rooms/${allTalk.id}/messages`, { session: bob })).json<{ messages: Message[] }>().messages;
    assert.equal(seen.find((m) => m.id === posted.id)?.authorId, bot.userId);
  });

  it('a bot token is refused (403) outside its rooms and on every other route', async () => {
    const inOps = created<Message>(
      await call(s.app, 'POST', `/api/rooms/${ops.id}/messages`, { session: bob, body: { body: 'ops only', clientMessageId: 'ops-1' } }),
    );
    const refusals: [HTTPMethods, string, unknown][] = [
      // The bot is a member of Ops, but the token is not scoped to it.
      ['POST', `/api/rooms/${ops.id}/messages`, { body: 'sneaky', clientMessageId: 'x' }],
      ['GET', `/api/rooms/${ops.id}/messages`, undefined],
      ['GET', `/api/messages/${inOps.id}`, undefined],
      ['GET', '/api/rooms', undefined],
      ['POST', '/api/rooms', { kind: 'open', name: 'Bot land' }],
      ['GET', `/api/rooms/${allTalk.id}`, undefined],
      ['PUT', `/api/rooms/${allTalk.id}/members/${bob.user.id}`, undefined],
      ['POST', '/api/rooms/direct', { userIds: [bob.user.id] }],
      ['GET', '/api/users', undefined],
      ['PATCH', `/api/users/${bot.userId}`, { name: 'Renamed' }],
      ['GET', '/api/search?q=deployed', undefined],
      ['GET', '/api/admin/bots', undefined],
      ['POST', `/api/admin/bots/${bot.userId}/tokens`, { name: 'more', roomIds: [allTalk.id] }],
      ['DELETE', `/api/admin/bots/${bot.userId}/tokens/${token.id}`, undefined],
      ['POST', `/api/admin/bots/${bot.userId}/webhook-secret`, undefined],
      ['GET', '/api/admin/audit', undefined],
      ['GET', '/api/admin/audit/export', undefined],
      ['POST', '/api/account/join-code', undefined],
      ['GET', '/api/nothing-here', undefined],
    ];
    for (const [method, url, body] of refusals) {
      const response = await call(s.app, method, url, { ...bearer(token.token), ...(body === undefined ? {} : { body }) });
      assertError(response, 403, 'forbidden');
      assert.match(response.json<{ error: { message: string } }>().error.message, /bot tokens are limited to their rooms/, `${method} ${url}`);
    }
    // An administrator's cookie does not lend the bot its rights: the bearer token decides.
    assertError(await call(s.app, 'GET', '/api/admin/bots', { session: admin, ...bearer(token.token) }), 403, 'forbidden');
    assert.equal((await call(s.app, 'GET', `/api/rooms/${ops.id}/messages`, { session: bob })).json<{ messages: Message[] }>().messages.length, 1);
  });

  it("a bot token edits and deletes the bot's own messages in its rooms, and is refused (403) on a person's", async () => {
    const asBot = bearer(token.token);
    const own = created<Message>(
      await call(s.app, 'POST', `/api/rooms/${allTalk.id}/messages`, { ...asBot, body: { body: 'Deploying v43…', clientMessageId: 'deploy-43' } }),
    );
    const edited = await call(s.app, 'PATCH', `/api/messages/${own.id}`, { ...asBot, body: { body: 'Deployed v43' } });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.equal(edited.json<Message>().body, 'Deployed v43');
    assert.ok(edited.json<Message>().editedAt !== null);
    assert.equal((await call(s.app, 'GET', `/api/messages/${own.id}`, { session: bob })).json<Message>().body, 'Deployed v43', 'as people see it');

    // A person's message, in the token's room: only its author or an administrator may change it.
    const bobs = created<Message>(
      await call(s.app, 'POST', `/api/rooms/${allTalk.id}/messages`, { session: bob, body: { body: 'mine', clientMessageId: 'bob-1' } }),
    );
    assertError(await call(s.app, 'PATCH', `/api/messages/${bobs.id}`, { ...asBot, body: { body: 'hijacked' } }), 403, 'forbidden');
    assertError(await call(s.app, 'DELETE', `/api/messages/${bobs.id}`, asBot), 403, 'forbidden');
    const untouched = (await call(s.app, 'GET', `/api/messages/${bobs.id}`, { session: bob })).json<Message>();
    assert.deepEqual([untouched.body, untouched.editedAt, untouched.deletedAt], ['mine', null, null]);

    // The bot's own message in a room that is not the token's (Ops, which the bot is in): out of this token's reach.
    const opsToken = created<{ token: string }>(
      await call(s.app, 'POST', `/api/admin/bots/${bot.userId}/tokens`, { session: admin, body: { name: 'ops', roomIds: [ops.id] } }),
    );
    const inOps = created<Message>(
      await call(s.app, 'POST', `/api/rooms/${ops.id}/messages`, { ...bearer(opsToken.token), body: { body: 'ops note', clientMessageId: 'ops-note' } }),
    );
    for (const [method, body] of [
      ['PATCH', { body: 'moved' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await call(s.app, method, `/api/messages/${inOps.id}`, { ...asBot, ...(body === undefined ? {} : { body }) });
      assertError(response, 403, 'forbidden');
      assert.match(response.json<{ error: { message: string } }>().error.message, /bot tokens are limited to their rooms/);
    }

    const deleted = await call(s.app, 'DELETE', `/api/messages/${own.id}`, asBot);
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(deleted.json<Message>().body, '');
    assert.ok(deleted.json<Message>().deletedAt !== null);
    assertError(await call(s.app, 'PATCH', `/api/messages/${own.id}`, { ...asBot, body: { body: 'again' } }), 409, 'conflict');
  });

  it("rotates a bot's webhook secret for administrators: the new one is shown once, and the old one signs for 24 hours more", async () => {
    const rotate = () => call(s.app, 'POST', `/api/admin/bots/${bot.userId}/webhook-secret`, { session: admin });
    const startedAt = Date.now();
    const response = await rotate();
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const rotated = response.json<WebhookSecretRotation>();
    assert.equal(rotated.botId, bot.userId);
    assert.match(rotated.webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rotated.webhookSecret, botSecret);
    const graceMs = Date.parse(rotated.previousSecretExpiresAt ?? '') - startedAt;
    assert.ok(Math.abs(graceMs - 24 * 3_600_000) < 60_000, `the old secret signs for ${graceMs} ms more`);
    assert.deepEqual(await s.backends.store.getWebhookSecrets(bot.userId), {
      current: rotated.webhookSecret,
      previous: { secret: botSecret, expiresAt: rotated.previousSecretExpiresAt },
    });

    // Recorded, without the secret; and no answer shows a secret again.
    const audit = await call(s.app, 'GET', '/api/admin/audit', { session: admin });
    const entry = audit.json<{ entries: AuditEntry[] }>().entries.find((e) => e.action === 'bot.webhook_secret_rotated' && e.targetId === bot.userId);
    assert.deepEqual(entry?.detail, { previousSecretExpiresAt: rotated.previousSecretExpiresAt });
    for (const url of ['/api/admin/bots', `/api/admin/bots/${bot.userId}/tokens`, '/api/admin/audit']) {
      assert.ok(!(await call(s.app, 'GET', url, { session: admin })).body.includes('whsec_'), url);
    }

    // Rotating again within the grace period: the secret of the first rotation is now the one kept.
    const again = (await rotate()).json<WebhookSecretRotation>();
    assert.equal((await s.backends.store.getWebhookSecrets(bot.userId))?.previous?.secret, rotated.webhookSecret);
    assert.notEqual(again.webhookSecret, rotated.webhookSecret);

    assertError(await call(s.app, 'POST', `/api/admin/bots/${bob.user.id}/webhook-secret`, { session: admin }), 404, 'not_found', 'botId');
    assertError(await call(s.app, 'POST', '/api/admin/bots/bad id!/webhook-secret', { session: admin }), 400, 'invalid_request', 'botId');
  });

  it('a token for a room the bot has since left is refused there with not_a_member', async () => {
    const side = created<Room>(await call(s.app, 'POST', '/api/rooms', { session: admin, body: { kind: 'closed', name: 'Side', memberIds: [] } }));
    const side2 = await call(s.app, 'PUT', `/api/rooms/${side.id}/members/${bot.userId}`, { session: admin });
    assert.equal(side2.statusCode, 200, side2.body);
    const sideToken = created<{ token: string }>(
      await call(s.app, 'POST', `/api/admin/bots/${bot.userId}/tokens`, { session: admin, body: { name: 'side', roomIds: [side.id] } }),
    );
    assert.equal((await call(s.app, 'GET', `/api/rooms/${side.id}/messages`, bearer(sideToken.token))).statusCode, 200);
    assert.equal((await call(s.app, 'DELETE', `/api/rooms/${side.id}/members/${bot.userId}`, { session: admin })).statusCode, 204);
    assertError(await call(s.app, 'GET', `/api/rooms/${side.id}/messages`, bearer(sideToken.token)), 403, 'not_a_member');
  });

  it('a malformed, unknown, wrong or revoked token is the same 401, from the very next request', async () => {
    const second = created<ApiToken & { token: string }>(
      await call(s.app, 'POST', `/api/admin/bots/${bot.userId}/tokens`, { session: admin, body: { name: 'temp', roomIds: [allTalk.id] } }),
    );
    assert.equal((await call(s.app, 'GET', '/api/users/me', bearer(second.token))).statusCode, 200);
    const secret = second.token.slice(`hbt_${second.id}_`.length);
    const wrongSecret = `hbt_${second.id}_${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
    const unknownId = `hbt_00000000-0000-4000-8000-000000000000_${secret}`;
    const revoke = await call(s.app, 'DELETE', `/api/admin/bots/${bot.userId}/tokens/${second.id}`, { session: admin });
    assert.equal(revoke.statusCode, 200, revoke.body);
    assert.ok(revoke.json<ApiToken>().revokedAt !== null);
    const messages = new Set<string>();
    for (const presented of [second.token, wrongSecret, unknownId, 'hbt_nonsense', 'hbt_']) {
      for (const [method, url] of [
        ['GET', '/api/users/me'],
        ['POST', `/api/rooms/${allTalk.id}/messages`],
      ] as const) {
        const response = await call(s.app, method, url, { ...bearer(presented), ...(method === 'POST' ? { body: { body: 'x', clientMessageId: 'y' } } : {}) });
        assertError(response, 401, 'unauthenticated');
        messages.add(response.json<{ error: { message: string } }>().error.message);
      }
    }
    assert.equal(messages.size, 1, 'every refusal reads the same');
    // A bearer token that is not a Hearth token (an authenticating proxy's) is not judged: the cookie decides.
    assert.equal((await call(s.app, 'GET', '/api/status', bearer('eyJhbGciOiJSUzI1NiJ9.e30.sig'))).statusCode, 200);
    const withCookie = await call(s.app, 'GET', '/api/users/me', { session: admin, headers: { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' } });
    assert.equal(withCookie.json<{ id: string }>().id, admin.user.id);
    assert.equal((await call(s.app, 'GET', '/api/users/me', bearer(token.token))).statusCode, 200, 'the other token still works');
    const tokens = (await call(s.app, 'GET', `/api/admin/bots/${bot.userId}/tokens`, { session: admin })).json<{ tokens: ApiToken[] }>().tokens;
    assert.ok(tokens.find((t) => t.id === second.id)?.revokedAt !== null);
  });

  it("a deactivated bot's tokens stop working", async () => {
    const temp = created<Bot>(await call(s.app, 'POST', '/api/admin/bots', { session: admin, body: { name: 'Temp', roomIds: [allTalk.id] } }));
    const tempToken = created<{ token: string }>(
      await call(s.app, 'POST', `/api/admin/bots/${temp.userId}/tokens`, { session: admin, body: { name: 't', roomIds: [allTalk.id] } }),
    );
    assert.equal((await call(s.app, 'GET', '/api/users/me', bearer(tempToken.token))).statusCode, 200);
    assert.equal((await call(s.app, 'PATCH', `/api/users/${temp.userId}`, { session: admin, body: { active: false } })).statusCode, 200);
    assertError(await call(s.app, 'GET', '/api/users/me', bearer(tempToken.token)), 401, 'unauthenticated');
  });

  it('records when a token was last used, at most once a minute', async () => {
    const fresh = created<ApiToken & { token: string }>(
      await call(s.app, 'POST', `/api/admin/bots/${bot.userId}/tokens`, { session: admin, body: { name: 'fresh', roomIds: [allTalk.id] } }),
    );
    assert.equal(fresh.lastUsedAt, null);
    const lastUsed = async () => (await s.backends.store.getApiToken(fresh.id))?.token.lastUsedAt ?? null;
    const startedAt = Date.now();
    await call(s.app, 'GET', '/api/users/me', bearer(fresh.token));
    const first = await lastUsed();
    assert.ok(first !== null && Date.parse(first) >= startedAt - 1_000, `lastUsedAt ${first}`);
    await call(s.app, 'GET', '/api/users/me', bearer(fresh.token));
    assert.equal(await lastUsed(), first, 'not written again within the minute');
    // A minute later (as the store sees it), the next use writes it again.
    const longAgo = new Date(Date.now() - 61_000).toISOString();
    await s.backends.store.transaction((tx) => tx.touchApiToken(fresh.id, longAgo));
    await call(s.app, 'GET', '/api/users/me', bearer(fresh.token));
    assert.ok(Date.parse((await lastUsed()) ?? '') > Date.parse(longAgo) + 30_000);
  });
});
