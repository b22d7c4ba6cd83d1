import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, errorOf, type HearthClient, type RawResponse } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { sleep } from './helpers.ts';
import type { AuditEntry, Bot, Message, NewApiToken, ServerFrame, WebhookPayload } from './protocol.ts';
import { isRoomEvent, type WebSocketStream } from './realtime.ts';

/**
 * Bots end to end, against a real Hearth in the tier under test: an administrator makes a bot
 * whose webhook is a real HTTP server on 127.0.0.1; its token posts where it may and nowhere
 * else; mentions reach the webhook (with retries) and its answers come back into the room;
 * everything the administrator did is in the audit export.
 */

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly payload: WebhookPayload;
  /** The body byte for byte, which the signature is over. */
  readonly raw: Buffer;
}
type Answer = (response: ServerResponse) => void;

const text =
  (status: number, body: string): Answer =>
  (response) =>
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
const USER_AGENT = 'bots-e2e/1.0';

/** A webhook receiver: answers each POST with the next queued answer, or 204 when none is queued. */
class Receiver {
  readonly received: Received[] = [];
  readonly answers: Answer[] = [];
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.received.push({ headers: request.headers, payload: JSON.parse(raw.toString('utf8')) as WebhookPayload, raw });
        (this.answers.shift() ?? ((r: ServerResponse) => r.writeHead(204).end()))(response);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/deployer`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async waitFor(count: number, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (${this.received.length} of ${count} requests)`);
      await sleep(20);
    }
  }
}

interface BotRequest {
  readonly method: string;
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
}

/** A request as a bot: its bearer token, no cookies, no CSRF token. */
async function asBot(hearth: Hearth, token: string, { method, path, body }: BotRequest): Promise<RawResponse> {
  const response = await fetch(`${hearth.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * The secrets a delivery is signed with, of `secrets`: those whose HMAC-SHA256 of "<timestamp>.<raw
 * body>" is one of its v1= values, recomputed here as a receiver does (docs/protocol.md §5.3).
 */
function signersOf(delivery: Received, secrets: readonly string[]): string[] {
  const timestamp = String(delivery.headers['hearth-webhook-timestamp']);
  assert.ok(/^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 60, `timestamp ${timestamp}`);
  const values = String(delivery.headers['hearth-webhook-signature']).split(' ');
  return secrets.filter((secret) => values.includes(`v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(delivery.raw).digest('hex')}`));
}

const isMessageBy =
  (roomId: string, authorId: string, body: string) =>
  (frame: ServerFrame): boolean =>
    isRoomEvent(frame, roomId, 'message.created') &&
    frame.event.type === 'message.created' &&
    frame.event.message.authorId === authorId &&
    frame.event.message.body === body;

describe('bots, webhooks and the audit log', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let bobStream: WebSocketStream;
  let allTalkId: string;
  let opsId: string;
  let bot: Bot;
  /** The bot's webhook signing secret, shown when it was made. */
  let webhookSecret: string;
  let token: NewApiToken;
  const receiver = new Receiver();

  before(async () => {
    await receiver.start();
    hearth = await startHearth();
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    bob = team.members[0] as HearthClient;
    allTalkId = (await admin.roomNamed(DEFAULT_ROOM)).id;
    const ops = await admin.raw('POST', '/api/rooms', { kind: 'closed', name: 'Ops', memberIds: [bob.userId] }, { headers: { 'user-agent': USER_AGENT } });
    assert.equal(ops.status, 201, ops.text);
    opsId = (ops.json as { id: string }).id;
    bobStream = bob.connectWebSocket();
    await bobStream.ready;
  });
  after(async () => {
    await bobStream?.close();
    await hearth?.stop();
    await receiver.stop();
  });

  it('an administrator creates a bot with a webhook and a token for one room; the token is shown once', async () => {
    const created = await admin.raw(
      'POST',
      '/api/admin/bots',
      { name: 'Deployer', webhookUrl: receiver.url, roomIds: [allTalkId, opsId] },
      { headers: { 'user-agent': USER_AGENT } },
    );
    assert.equal(created.status, 201, created.text);
    ({ webhookSecret, ...bot } = created.json as Bot & { webhookSecret: string });
    assert.equal(bot.webhookUrl, receiver.url);
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.ok(!(await admin.raw('GET', '/api/admin/bots')).text.includes(webhookSecret), 'the webhook secret is never shown again');
    const minted = await admin.raw(
      'POST',
      `/api/admin/bots/${bot.userId}/tokens`,
      { name: 'ci', roomIds: [allTalkId] },
      { headers: { 'user-agent': USER_AGENT } },
    );
    assert.equal(minted.status, 201, minted.text);
    token = minted.json as NewApiToken;
    assert.match(token.token, /^hbt_[0-9a-f-]{36}_[A-Za-z0-9_-]{43,}$/);
    const listed = await admin.call<{ tokens: unknown[] }>('GET', `/api/admin/bots/${bot.userId}/tokens`);
    assert.equal(listed.tokens.length, 1);
    assert.ok(!JSON.stringify(listed).includes(token.token.slice(-43)), 'the secret is never shown again');
  });

  it('the bot posts into its room with its token, and a member sees it over the realtime WebSocket', async () => {
    const me = await asBot(hearth, token.token, { method: 'GET', path: '/api/users/me' });
    assert.equal(me.status, 200, me.text);
    assert.equal((me.json as { id: string }).id, bot.userId);
    const posted = await asBot(hearth, token.token, {
      method: 'POST',
      path: `/api/rooms/${allTalkId}/messages`,
      body: { body: 'Deployed v42 to production', clientMessageId: 'deploy-42' },
    });
    assert.equal(posted.status, 201, posted.text);
    assert.equal((posted.json as Message).authorId, bot.userId);
    await bobStream.waitFor(isMessageBy(allTalkId, bot.userId, 'Deployed v42 to production'), 10_000, "the bot's post on bob's stream");
    const read = await asBot(hearth, token.token, { method: 'GET', path: `/api/rooms/${allTalkId}/messages?limit=5` });
    assert.equal(read.status, 200, read.text);
    assert.ok((read.json as { messages: Message[] }).messages.some((m) => m.clientMessageId === 'deploy-42'));
  });

  it('the token is refused (403) in another room and on admin and room routes', async () => {
    const refusals: [string, string, unknown][] = [
      ['POST', `/api/rooms/${opsId}/messages`, { body: 'not here', clientMessageId: 'ops-1' }],
      ['GET', `/api/rooms/${opsId}/messages`, undefined],
      ['POST', '/api/rooms', { kind: 'open', name: 'Bot land' }],
      ['GET', '/api/admin/bots', undefined],
      ['POST', `/api/admin/bots/${bot.userId}/tokens`, { name: 'more', roomIds: [allTalkId] }],
      ['GET', '/api/admin/audit/export', undefined],
    ];
    for (const [method, path, body] of refusals) {
      const response = await asBot(hearth, token.token, { method, path, body });
      assert.equal(response.status, 403, `${method} ${path}: ${response.text}`);
      assert.equal(errorOf(response)?.code, 'forbidden');
      assert.match(errorOf(response)?.message ?? '', /bot tokens are limited to their rooms/);
    }
    assert.deepEqual(
      (await bob.messages(opsId)).map((m) => m.body),
      [],
      'nothing reached Ops',
    );
  });

  it('a member mentions the bot: the webhook receives the POST, and its text answer appears in the room as the bot', async () => {
    receiver.answers.push(text(200, 'On it: deploying main'));
    const before = receiver.received.length;
    const mention = await bob.post(allTalkId, `<@${bot.userId}> deploy main please`, 'mention-1');
    await receiver.waitFor(before + 1, 10_000, 'the webhook POST');
    const delivery = receiver.received[before] as Received;
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.equal(delivery.payload.message.id, mention.id);
    assert.equal(delivery.payload.message.body, `<@${bot.userId}> deploy main please`);
    assert.deepEqual(delivery.payload.message.mentions, [bot.userId]);
    assert.deepEqual(delivery.payload.room, { id: allTalkId, name: DEFAULT_ROOM });
    assert.deepEqual(delivery.payload.author, { id: bob.userId, name: 'Member 1' });
    assert.deepEqual(delivery.payload.bot, { id: bot.userId, name: 'Deployer' });
    assert.equal(delivery.payload.replyUrl, `${hearth.url}/api/rooms/${allTalkId}/messages`);
    assert.deepEqual(signersOf(delivery, [webhookSecret]), [webhookSecret], 'signed with the secret shown at creation');
    await bobStream.waitFor(isMessageBy(allTalkId, bot.userId, 'On it: deploying main'), 10_000, "the bot's answer on bob's stream");
  });

  it('a webhook that fails twice and then succeeds is retried, delivered once, and its answer posted once', async () => {
    receiver.answers.push(text(503, 'busy'), text(500, 'broken'), text(200, 'Third time lucky'));
    const before = receiver.received.length;
    await bob.post(allTalkId, `<@${bot.userId}> status?`, 'mention-2');
    // Back-off: about 1–2 s, then 2–4 s, plus the deliverer's 1 s poll.
    await receiver.waitFor(before + 3, 20_000, 'three attempts');
    const attempts = receiver.received.slice(before);
    assert.equal(new Set(attempts.map((r) => r.headers['x-hearth-delivery'])).size, 1, 'the same delivery each time');
    await bobStream.waitFor(isMessageBy(allTalkId, bot.userId, 'Third time lucky'), 10_000, 'the answer after the retries');
    await sleep(2_500);
    assert.equal(receiver.received.length, before + 3, 'not attempted again once delivered');
    const answers = (await bob.allMessages(allTalkId)).filter((m) => m.authorId === bot.userId && m.body === 'Third time lucky');
    assert.equal(answers.length, 1);
  });

  it("a bot edits and deletes its own message with its token, and may not touch a member's (403)", async () => {
    const own = await asBot(hearth, token.token, {
      method: 'POST',
      path: `/api/rooms/${allTalkId}/messages`,
      body: { body: 'Deploying v43', clientMessageId: 'v43' },
    });
    assert.equal(own.status, 201, own.text);
    const ownId = (own.json as Message).id;
    const edited = await asBot(hearth, token.token, { method: 'PATCH', path: `/api/messages/${ownId}`, body: { body: 'Deployed v43' } });
    assert.equal(edited.status, 200, edited.text);
    const isEdit = (frame: ServerFrame): boolean =>
      isRoomEvent(frame, allTalkId, 'message.updated') && frame.event.type === 'message.updated' && frame.event.message.body === 'Deployed v43';
    await bobStream.waitFor(isEdit, 10_000, "the edit on bob's stream");
    const bobs = await bob.post(allTalkId, 'my own words', 'bobs-own');
    for (const [method, body] of [
      ['PATCH', { body: 'not yours' }],
      ['DELETE', undefined],
    ] as const) {
      const refused = await asBot(hearth, token.token, { method, path: `/api/messages/${bobs.id}`, body });
      assert.equal(refused.status, 403, refused.text);
    }
    const deleted = await asBot(hearth, token.token, { method: 'DELETE', path: `/api/messages/${ownId}` });
    assert.equal(deleted.status, 200, deleted.text);
    const messages = await bob.allMessages(allTalkId);
    assert.equal(messages.find((m) => m.id === ownId)?.deletedAt !== null, true);
    assert.equal(messages.find((m) => m.id === bobs.id)?.body, 'my own words');
  });

  it("after a rotation a delivery carries two signatures, the new secret's and the old one's", async () => {
    const rotated = await admin.raw('POST', `/api/admin/bots/${bot.userId}/webhook-secret`, undefined, { headers: { 'user-agent': USER_AGENT } });
    assert.equal(rotated.status, 200, rotated.text);
    const { webhookSecret: newSecret, previousSecretExpiresAt } = rotated.json as { webhookSecret: string; previousSecretExpiresAt: string };
    assert.ok(Date.parse(previousSecretExpiresAt) > Date.now() + 23 * 3_600_000, `the old secret signs until ${previousSecretExpiresAt}`);
    const before = receiver.received.length;
    await bob.post(allTalkId, `<@${bot.userId}> after the rotation`, 'mention-rotated');
    await receiver.waitFor(before + 1, 10_000, 'the webhook POST');
    const delivery = receiver.received[before] as Received;
    assert.equal(String(delivery.headers['hearth-webhook-signature']).split(' ').length, 2);
    assert.deepEqual(signersOf(delivery, [newSecret, webhookSecret]), [newSecret, webhookSecret], 'each verifies with its own secret');
  });

  it('a revoked token stops working on the next request (401)', async () => {
    const revoked = await admin.raw('DELETE', `/api/admin/bots/${bot.userId}/tokens/${token.id}`, undefined, { headers: { 'user-agent': USER_AGENT } });
    assert.equal(revoked.status, 200, revoked.text);
    for (const [method, path, body] of [
      ['GET', '/api/users/me', undefined],
      ['POST', `/api/rooms/${allTalkId}/messages`, { body: 'after revocation', clientMessageId: 'late-1' }],
    ] as const) {
      const response = await asBot(hearth, token.token, { method, path, body });
      assert.equal(response.status, 401, `${method} ${path}: ${response.text}`);
      assert.equal(errorOf(response)?.code, 'unauthenticated');
    }
    assert.ok(!(await bob.allMessages(allTalkId)).some((m) => m.body === 'after revocation'));
  });

  it('the audit export holds what the administrator did, with who, what and from where', async () => {
    // A membership change too, so there is one to find.
    assert.equal((await admin.raw('DELETE', `/api/rooms/${opsId}/members/${bob.userId}`, undefined, { headers: { 'user-agent': USER_AGENT } })).status, 204);
    assert.equal((await admin.raw('PUT', `/api/rooms/${opsId}/members/${bob.userId}`, undefined, { headers: { 'user-agent': USER_AGENT } })).status, 200);
    const exported = await admin.raw('GET', '/api/admin/audit/export');
    assert.equal(exported.status, 200, exported.text);
    assert.match(exported.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.match(exported.headers.get('content-disposition') ?? '', /^attachment;/);
    const entries = exported.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
    const ids = entries.map((entry) => entry.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'oldest first',
    );

    const byAdmin = (action: string, targetId: string) => {
      const entry = entries.find((candidate) => candidate.action === action && candidate.targetId === targetId);
      assert.ok(entry !== undefined, `the export has ${action} of ${targetId}; it has ${entries.map((e) => e.action).join(', ')}`);
      assert.equal(entry.actorId, admin.userId, action);
      assert.equal(entry.actorName, 'Ada Admin', action);
      assert.deepEqual(entry.origin, { ip: '127.0.0.1', userAgent: USER_AGENT }, action);
      return entry;
    };
    assert.deepEqual(byAdmin('room.created', opsId).detail, { name: 'Ops', kind: 'closed', memberIds: [bob.userId] });
    assert.deepEqual(byAdmin('bot.created', bot.userId).detail, { name: 'Deployer', webhookHost: new URL(receiver.url).host, roomIds: [allTalkId, opsId] });
    assert.deepEqual(byAdmin('bot_token.created', token.id).detail, { botId: bot.userId, name: 'ci', roomIds: [allTalkId] });
    assert.deepEqual(byAdmin('bot_token.revoked', token.id).detail, { botId: bot.userId, name: 'ci' });
    assert.deepEqual(byAdmin('membership.removed', bob.userId).detail, { roomId: opsId, roomName: 'Ops' });
    assert.deepEqual(byAdmin('membership.added', bob.userId).detail, { roomId: opsId, roomName: 'Ops' });
    assert.ok(Date.parse(String(byAdmin('bot.webhook_secret_rotated', bot.userId).detail['previousSecretExpiresAt'])) > Date.now());
    assert.ok(!exported.text.includes(token.token.slice(-43)) && !exported.text.includes('whsec_'), 'no secret in the audit log');

    const page = await admin.call<{ entries: AuditEntry[]; nextBefore: number | null }>('GET', '/api/admin/audit?limit=2');
    assert.deepEqual(
      page.entries.map((entry) => entry.id),
      ids.slice(-2).reverse(),
      'the admin view pages newest first',
    );
    assert.equal(page.nextBefore, page.entries.at(-1)?.id);
  });
});
