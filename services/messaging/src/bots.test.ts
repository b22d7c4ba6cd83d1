import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { isHearthError, newId, OutboundAddressPolicy, parseNetwork, type Message, type Store, type User, type WebhookDelivery } from '@hearth/core';
import { startTestTeam, type TestTeam } from './messaging-test-support.ts';
import { replyClientMessageId, type WebhookOptions, type WebhookPayload } from './webhooks/deliverer.ts';

/**
 * Bots through messaging's real entry points (BusLocal, in-memory SQLite), and their
 * webhooks POSTed to a real HTTP server on 127.0.0.1 that each test scripts.
 */

const PUBLIC_URL = 'http://hearth.test';
/** The receivers below are on loopback, which a webhook may reach only when configuration allows it. */
const LOOPBACK_ALLOWED = new OutboundAddressPolicy([parseNetwork('127.0.0.0/8')]);
/** Fast timings, so retries and leases play out within a test. */
const FAST: Partial<WebhookOptions> = {
  addressPolicy: LOOPBACK_ALLOWED,
  pollMs: 20,
  leaseMs: 2_000,
  timeoutMs: 1_000,
  schedule: { baseDelayMs: 40, factor: 2, maxDelayMs: 1_000, maxAttempts: 4 },
};

type World = TestTeam;

async function openWorld(t: TestContext, webhooks: Partial<WebhookOptions> = FAST): Promise<World> {
  return startTestTeam(t, { publicUrl: PUBLIC_URL, webhooks });
}

async function rejectsWith(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHearthError(error), `expected a HearthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field, error.message);
    return true;
  });
}

async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const post = (w: World, actor: User, roomId: string, body: string): Promise<Message> =>
  w.commands.send('message.post', { actorId: actor.id, roomId, body, clientMessageId: newId() });

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly payload: WebhookPayload;
}
type Answer = (response: ServerResponse) => void;

/** A webhook receiver: records every POST and answers each with the next scripted answer (the last one repeats). */
async function startReceiver(t: TestContext, answers: readonly Answer[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, payload: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload });
      const answer = answers[Math.min(received.length, answers.length) - 1];
      if (answer === undefined) throw new Error('the receiver has no answers');
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/hearth?key=s3cret`, received };
}

const text =
  (status: number, body: string, type = 'text/plain; charset=utf-8'): Answer =>
  (response) =>
    response.writeHead(status, { 'content-type': type }).end(body);
const noContent: Answer = (response) => response.writeHead(204).end();

async function deliveriesOf(store: Store, messageId: string): Promise<WebhookDelivery[]> {
  return store.listWebhookDeliveries(messageId);
}

describe('bot commands', () => {
  it('bot.create makes a bot user, its record and its memberships, and records it in the audit log', async (t) => {
    const w = await openWorld(t);
    const ops = await w.commands.send('room.create', { actorId: w.admin.id, kind: 'closed', name: 'Ops', memberIds: [] });
    const origin = { ip: '198.51.100.4', userAgent: 'bots-test' };
    const { webhookSecret, ...bot } = await w.commands.send(
      'bot.create',
      { actorId: w.admin.id, name: ' Deployer ', webhookUrl: 'https://hooks.example/x?key=secret', roomIds: [ops.id, ops.id] },
      { origin },
    );
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await w.store.getWebhookSecrets(bot.userId), { current: webhookSecret, previous: null });
    assert.deepEqual(bot, {
      userId: bot.userId,
      name: 'Deployer',
      webhookUrl: 'https://hooks.example/x?key=secret',
      createdBy: w.admin.id,
      createdAt: bot.createdAt,
      active: true,
    });
    const user = await w.store.getUser(bot.userId);
    assert.equal(user?.role, 'bot');
    assert.equal(user?.email, null);
    assert.notEqual(await w.store.getMembership(ops.id, bot.userId), null);
    assert.equal(await w.store.getMembership(w.allTalk.id, bot.userId), null, 'bots do not join open rooms by themselves');
    assert.deepEqual(await w.store.listBots(), [bot]);

    const [entry] = await w.store.listAudit({ limit: 1 });
    assert.deepEqual(entry && { ...entry, id: 0, at: '' }, {
      id: 0,
      at: '',
      actorId: w.admin.id,
      action: 'bot.created',
      targetType: 'bot',
      targetId: bot.userId,
      detail: { name: 'Deployer', webhookHost: 'hooks.example', roomIds: [ops.id] },
      origin,
    });
    assert.ok(!JSON.stringify(entry).includes('secret'), "the webhook URL's query is not recorded, nor the signing secret");
  });

  it('bot.rotateWebhookSecret makes a new secret, keeps the old one for the grace period, and is audited without either', async (t) => {
    const w = await openWorld(t, { ...FAST, secretGraceMs: 60_000 });
    const { webhookSecret: first, ...bot } = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'CI', webhookUrl: null, roomIds: [] });
    const rotate = (actorId: string, botId = bot.userId) => w.commands.send('bot.rotateWebhookSecret', { actorId, botId });
    await rejectsWith(rotate(w.bob.id), 'forbidden');
    await rejectsWith(rotate(w.admin.id, w.bob.id), 'not_found', 'botId');

    const rotated = await rotate(w.admin.id);
    assert.equal(rotated.botId, bot.userId);
    assert.match(rotated.webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rotated.webhookSecret, first);
    const [entry] = await w.store.listAudit({ limit: 1 });
    assert.ok(entry !== undefined && rotated.previousSecretExpiresAt !== null);
    assert.equal(Date.parse(rotated.previousSecretExpiresAt) - Date.parse(entry.at), 60_000, 'the grace period starts at the rotation');
    assert.deepEqual(await w.store.getWebhookSecrets(bot.userId), {
      current: rotated.webhookSecret,
      previous: { secret: first, expiresAt: rotated.previousSecretExpiresAt },
    });
    assert.deepEqual(
      [entry.action, entry.targetId, entry.detail],
      ['bot.webhook_secret_rotated', bot.userId, { previousSecretExpiresAt: rotated.previousSecretExpiresAt }],
    );
    assert.ok(!JSON.stringify(await w.store.listAudit({ limit: 10 })).includes('whsec_'), 'no secret is recorded');
  });

  it('bot.create refuses non-administrators, direct and unknown rooms, and URLs that are not http(s), naming the field', async (t) => {
    const w = await openWorld(t);
    const direct = await w.commands.send('direct.open', { actorId: w.admin.id, userIds: [w.bob.id] });
    const create = (change: { actorId?: string; webhookUrl?: string | null; roomIds?: string[]; name?: string }) =>
      w.commands.send('bot.create', { actorId: w.admin.id, name: 'Bot', webhookUrl: null, roomIds: [], ...change });
    await rejectsWith(create({ actorId: w.bob.id }), 'forbidden');
    await rejectsWith(create({ roomIds: [direct.id] }), 'invalid_request', 'roomIds');
    await rejectsWith(create({ roomIds: [w.allTalk.id, newId()] }), 'room_not_found', 'roomIds');
    await rejectsWith(create({ webhookUrl: 'ftp://hooks.example/' }), 'invalid_request', 'webhookUrl');
    await rejectsWith(create({ webhookUrl: 'not a url' }), 'invalid_request', 'webhookUrl');
    await rejectsWith(create({ name: '   ' }), 'invalid_request', 'name');
    assert.deepEqual(await w.store.listBots(), []);
    assert.equal((await w.store.listUsers()).length, 2, 'no half-made bot user');
    assert.ok((await create({ webhookUrl: 'http://127.0.0.1:9/hook' })).webhookUrl?.startsWith('http://'));
  });

  it('bot.token.create stores the hash for rooms the bot is in; bot.token.revoke revokes once; both are audited', async (t) => {
    const w = await openWorld(t);
    const bot = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'CI', webhookUrl: null, roomIds: [w.allTalk.id] });
    const other = await w.commands.send('room.create', { actorId: w.admin.id, kind: 'closed', name: 'Other', memberIds: [] });
    const hash = sha256('the secret');
    const create = (change: { actorId?: string; botId?: string; roomIds?: string[]; secretHash?: string }) =>
      w.commands.send('bot.token.create', {
        actorId: w.admin.id,
        botId: bot.userId,
        tokenId: newId(),
        secretHash: hash,
        name: 'ci',
        roomIds: [w.allTalk.id],
        ...change,
      });
    await rejectsWith(create({ actorId: w.bob.id }), 'forbidden');
    await rejectsWith(create({ botId: w.bob.id }), 'not_found', 'botId');
    await rejectsWith(create({ roomIds: [other.id] }), 'invalid_request', 'roomIds');
    await rejectsWith(create({ secretHash: 'the secret' }), 'invalid_request', 'secretHash');

    const token = await create({});
    assert.deepEqual(token, {
      id: token.id,
      userId: bot.userId,
      name: 'ci',
      roomIds: [w.allTalk.id],
      createdBy: w.admin.id,
      createdAt: token.createdAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    assert.equal((await w.store.getApiToken(token.id))?.secretHash, hash);

    const second = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'Other bot', webhookUrl: null, roomIds: [] });
    await rejectsWith(w.commands.send('bot.token.revoke', { actorId: w.admin.id, botId: second.userId, tokenId: token.id }), 'not_found', 'tokenId');
    await rejectsWith(w.commands.send('bot.token.revoke', { actorId: w.bob.id, botId: bot.userId, tokenId: token.id }), 'forbidden');
    const revoked = await w.commands.send('bot.token.revoke', { actorId: w.admin.id, botId: bot.userId, tokenId: token.id });
    assert.ok(revoked.revokedAt !== null);
    assert.deepEqual(await w.commands.send('bot.token.revoke', { actorId: w.admin.id, botId: bot.userId, tokenId: token.id }), revoked);

    const actions = (await w.store.listAudit({ limit: 3 })).map((entry) => [entry.action, entry.targetId, entry.detail]);
    assert.deepEqual(
      actions,
      [
        ['bot_token.revoked', token.id, { botId: bot.userId, name: 'ci' }],
        ['bot.created', second.userId, { name: 'Other bot', webhookHost: null, roomIds: [] }],
        ['bot_token.created', token.id, { botId: bot.userId, name: 'ci', roomIds: [w.allTalk.id] }],
      ],
      'revoking twice is recorded once',
    );
  });
});

describe('bot webhooks', () => {
  async function botWithWebhook(w: World, url: string, name = 'Hook'): Promise<User> {
    const bot = await w.commands.send('bot.create', { actorId: w.admin.id, name, webhookUrl: url, roomIds: [w.allTalk.id] });
    const user = await w.store.getUser(bot.userId);
    assert.ok(user !== null);
    return user;
  }

  it('a mention is POSTed with the message, room, author, bot and reply URL; a text answer is posted as the bot', async (t) => {
    const w = await openWorld(t);
    const receiver = await startReceiver(t, [text(200, 'Deploying main now')]);
    const bot = await botWithWebhook(w, receiver.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> deploy main please`);
    const [queued] = await deliveriesOf(w.store, message.id);
    assert.ok(queued !== undefined, 'the delivery was queued with the post');

    const reply = await waitUntil(async () => (await w.store.listMessages(w.allTalk.id, { limit: 10 })).find((m) => m.authorId === bot.id), "the bot's answer");
    assert.equal(reply.body, 'Deploying main now');
    assert.equal(reply.clientMessageId, replyClientMessageId(queued.id));
    assert.equal(receiver.received.length, 1);
    const [first] = receiver.received;
    assert.deepEqual(first?.payload, {
      message: await w.store.getMessage(message.id),
      room: { id: w.allTalk.id, name: 'All Talk' },
      author: { id: w.bob.id, name: 'Bob' },
      bot: { id: bot.id, name: 'Hook' },
      replyUrl: `${PUBLIC_URL}/api/rooms/${w.allTalk.id}/messages`,
    });
    assert.equal(first?.headers['content-type'], 'application/json');
    assert.equal(first?.headers['x-hearth-delivery'], String(queued.id));
    const [delivered] = await deliveriesOf(w.store, message.id);
    assert.equal(delivered?.attempts, 1);
    assert.ok(delivered?.deliveredAt !== null);
    assert.equal(delivered?.lastError, null);
  });

  it('a JSON {body} answer is posted; an empty 204 or an HTML answer posts nothing', async (t) => {
    const w = await openWorld(t);
    const json = await startReceiver(t, [text(200, JSON.stringify({ body: 'from JSON' }), 'application/json')]);
    const quiet = await startReceiver(t, [noContent]);
    const html = await startReceiver(t, [text(200, '<p>hi</p>', 'text/html')]);
    const jsonBot = await botWithWebhook(w, json.url, 'Json');
    const quietBot = await botWithWebhook(w, quiet.url, 'Quiet');
    const htmlBot = await botWithWebhook(w, html.url, 'Html');
    const message = await post(w, w.bob, w.allTalk.id, `<@${jsonBot.id}> <@${quietBot.id}> <@${htmlBot.id}> hello all`);
    await waitUntil(async () => (await deliveriesOf(w.store, message.id)).every((d) => d.deliveredAt !== null), 'three deliveries');
    await w.messaging.stop();
    const bodies = (await w.store.listMessages(w.allTalk.id, { limit: 20 })).filter((m) => m.authorId !== w.bob.id && m.authorId !== w.admin.id);
    assert.deepEqual(
      bodies.map((m) => [m.authorId, m.body]),
      [[jsonBot.id, 'from JSON']],
    );
  });

  it('failures are retried with back-off and the delivery succeeds once; the answer is posted once', async (t) => {
    const w = await openWorld(t);
    const hangUp: Answer = (response) => response.socket?.destroy();
    const receiver = await startReceiver(t, [text(503, 'busy'), hangUp, text(200, 'third time lucky')]);
    const bot = await botWithWebhook(w, receiver.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> are you there?`);
    const delivered = await waitUntil(async () => (await deliveriesOf(w.store, message.id)).find((d) => d.deliveredAt !== null), 'the delivery');
    assert.equal(delivered.attempts, 3);
    assert.equal(delivered.lastError, null);
    assert.equal(receiver.received.length, 3);
    assert.deepEqual(new Set(receiver.received.map((r) => r.headers['x-hearth-delivery'])), new Set([String(delivered.id)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.received.length, 3, 'nothing more once delivered');
    const answers = (await w.store.listMessages(w.allTalk.id, { limit: 20 })).filter((m) => m.authorId === bot.id);
    assert.deepEqual(
      answers.map((m) => m.body),
      ['third time lucky'],
    );
  });

  it('gives up after the last attempt and records why', async (t) => {
    const w = await openWorld(t);
    const receiver = await startReceiver(t, [text(500, 'broken')]);
    const bot = await botWithWebhook(w, receiver.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> ping`);
    const failed = await waitUntil(async () => (await deliveriesOf(w.store, message.id)).find((d) => d.failedAt !== null), 'the give-up');
    assert.equal(failed.attempts, 4);
    assert.equal(failed.deliveredAt, null);
    assert.match(failed.lastError ?? '', /HTTP 500/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.received.length, 4);
  });

  it('refuses a webhook at a private address: an IP address when the bot is made, a name at each delivery', async (t) => {
    const w = await openWorld(t, { ...FAST, addressPolicy: new OutboundAddressPolicy([]) });
    const receiver = await startReceiver(t, [text(200, 'should not be reached')]);
    await assert.rejects(
      w.commands.send('bot.create', { actorId: w.admin.id, name: 'ByIp', webhookUrl: receiver.url, roomIds: [w.allTalk.id] }),
      (error: unknown) => isHearthError(error) && error.field === 'webhookUrl' && /127\.0\.0\.1 is not a public address/.test(error.message),
    );
    const byName = await botWithWebhook(w, receiver.url.replace('127.0.0.1', 'localhost'), 'ByName');
    const message = await post(w, w.bob, w.allTalk.id, `<@${byName.id}> read your Redis for me`);
    const refused = await waitUntil(async () => (await deliveriesOf(w.store, message.id)).find((d) => d.attempts >= 1), 'the attempt');
    assert.match(refused.lastError ?? '', /address is refused: localhost resolves to (127\.0\.0\.1|::1) is not a public address/);
    assert.equal(receiver.received.length, 0, 'nothing reached the private address');
  });

  it('does not follow a redirect, even to an allowed address', async (t) => {
    const w = await openWorld(t, { ...FAST, schedule: { baseDelayMs: 10_000, factor: 2, maxDelayMs: 10_000, maxAttempts: 8 } });
    const target = await startReceiver(t, [text(200, 'redirected here')]);
    const redirecting = await startReceiver(t, [(response) => response.writeHead(307, { location: target.url }).end()]);
    const bot = await botWithWebhook(w, redirecting.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> go`);
    const failed = await waitUntil(async () => (await deliveriesOf(w.store, message.id)).find((d) => d.attempts === 1), 'the attempt');
    assert.match(failed.lastError ?? '', /HTTP 307/);
    assert.equal(target.received.length, 0);
  });

  it('a webhook slower than the timeout is a failed attempt', async (t) => {
    const w = await openWorld(t, { ...FAST, timeoutMs: 100, schedule: { baseDelayMs: 10_000, factor: 2, maxDelayMs: 10_000, maxAttempts: 8 } });
    const receiver = await startReceiver(t, [(response) => setTimeout(() => response.writeHead(200).end('too late'), 500)]);
    const bot = await botWithWebhook(w, receiver.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> quick!`);
    const retried = await waitUntil(async () => (await deliveriesOf(w.store, message.id)).find((d) => d.attempts === 1), 'the failed attempt');
    assert.match(retried.lastError ?? '', /did not answer within 100 ms/);
    assert.equal(retried.deliveredAt, null);
    assert.ok(Date.parse(retried.nextAttemptAt) - Date.now() > 3_000, 'the retry waits its back-off');
  });

  it('a delivery attempted twice (its lease ran out mid-request) posts its answer once', async (t) => {
    const w = await openWorld(t, { ...FAST, leaseMs: 50, timeoutMs: 2_000 });
    const slow: Answer = (response) => setTimeout(() => response.writeHead(200, { 'content-type': 'text/plain' }).end('only once'), 300);
    const receiver = await startReceiver(t, [slow]);
    const bot = await botWithWebhook(w, receiver.url);
    const message = await post(w, w.bob, w.allTalk.id, `<@${bot.id}> hi`);
    await waitUntil(async () => receiver.received.length >= 2, 'a second attempt of the same delivery');
    // Both attempts finish (each is recorded), and each tries to post the answer.
    await waitUntil(async () => (await deliveriesOf(w.store, message.id)).every((d) => d.attempts >= 2 && d.deliveredAt !== null), 'both attempts');
    await w.messaging.stop();
    const answers = (await w.store.listMessages(w.allTalk.id, { limit: 20 })).filter((m) => m.authorId === bot.id);
    assert.deepEqual(
      answers.map((m) => m.body),
      ['only once'],
    );
  });

  it('queues nothing for a bot without a webhook, a deactivated bot, a bot not in the room, or a message by a bot', async (t) => {
    const w = await openWorld(t);
    const receiver = await startReceiver(t, [text(200, 'should not be posted')]);
    const silent = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'Silent', webhookUrl: null, roomIds: [w.allTalk.id] });
    const off = await botWithWebhook(w, receiver.url, 'Off');
    await w.commands.send('user.update', { actorId: w.admin.id, userId: off.id, active: false });
    const outside = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'Outside', webhookUrl: receiver.url, roomIds: [] });
    const hook = await botWithWebhook(w, receiver.url, 'Hook');
    const other = await botWithWebhook(w, receiver.url, 'Other');
    const quiet = await post(w, w.bob, w.allTalk.id, `<@${silent.userId}> <@${off.id}> <@${outside.userId}> anyone?`);
    const byBot = await post(w, hook, w.allTalk.id, `<@${other.id}> <@${hook.id}> ping from a bot`);
    assert.deepEqual(await deliveriesOf(w.store, quiet.id), []);
    assert.deepEqual(await deliveriesOf(w.store, byBot.id), []);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(receiver.received.length, 0);
  });

  it('in a direct room with a bot every message is for it, mentioned or not; in an open room only mentions are', async (t) => {
    const w = await openWorld(t);
    const receiver = await startReceiver(t, [text(200, 'On it')]);
    const bot = await botWithWebhook(w, receiver.url, 'Helper');
    const direct = await w.commands.send('direct.open', { actorId: w.bob.id, userIds: [bot.id] });
    const unmentioned = await post(w, w.bob, direct.id, 'what is the weather');
    assert.deepEqual(
      (await deliveriesOf(w.store, unmentioned.id)).map((d) => d.botId),
      [bot.id],
    );
    const inOpenRoom = await post(w, w.bob, w.allTalk.id, 'nobody is addressed here');
    assert.deepEqual(await deliveriesOf(w.store, inOpenRoom.id), []);
    const reply = await waitUntil(
      async () => (await w.store.listMessages(direct.id, { limit: 10 })).find((m) => m.authorId === bot.id),
      "the bot's answer in the direct room",
    );
    assert.equal(reply.body, 'On it');
  });

  it('a mention in a post that is refused queues nothing', async (t) => {
    const w = await openWorld(t);
    const receiver = await startReceiver(t, [text(200, 'no')]);
    const bot = await botWithWebhook(w, receiver.url);
    await rejectsWith(post(w, w.bob, w.allTalk.id, `<@${bot.id}> ${'x'.repeat(300)}`), 'payload_too_large', 'body');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(receiver.received.length, 0);
  });
});
