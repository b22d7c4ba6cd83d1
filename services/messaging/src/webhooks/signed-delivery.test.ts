import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId, OutboundAddressPolicy, parseNetwork, type CommandClient, type Room, type Store, type User } from '@hearth/core';
import { startTestTeam } from '../messaging-test-support.ts';
import type { WebhookOptions } from './deliverer.ts';

/*
 * Signed deliveries (docs/protocol.md §5.3), received by a real HTTP server on 127.0.0.1 and
 * checked as a receiver would: the HMAC is recomputed here with node:crypto from the raw body,
 * the timestamp header and the secret the API showed, never with the code under test.
 */

/** How long a rotated-out secret goes on signing in these tests. */
const GRACE_MS = 1_500;
const FAST: Partial<WebhookOptions> = {
  addressPolicy: new OutboundAddressPolicy([parseNetwork('127.0.0.0/8')]),
  pollMs: 20,
  leaseMs: 2_000,
  timeoutMs: 1_000,
  schedule: { baseDelayMs: 40, factor: 2, maxDelayMs: 1_000, maxAttempts: 4 },
  secretGraceMs: GRACE_MS,
};

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  /** The body byte for byte, as a receiver must verify it (not re-serialised JSON). */
  readonly raw: Buffer;
  readonly receivedAt: number;
}

interface World {
  readonly store: Store;
  readonly commands: CommandClient;
  readonly admin: User;
  readonly bob: User;
  readonly allTalk: Room;
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Answers, in turn, the POSTs the receiver gets (the last one repeats). */
  readonly statuses: number[];
}

async function openWorld(t: TestContext): Promise<World> {
  const { store, commands, admin, bob, allTalk } = await startTestTeam(t, { webhooks: FAST });
  const deliveries: Delivery[] = [];
  const statuses = [204];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, raw: Buffer.concat(chunks), receivedAt: Date.now() });
      response.writeHead(statuses[Math.min(deliveries.length, statuses.length) - 1] ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/hearth`;
  return { store, commands, admin, bob, allTalk, url, deliveries, statuses };
}

/** The `v1=` signatures of a delivery, in the header's order. */
function signaturesOf(delivery: Delivery): string[] {
  const header = delivery.headers['hearth-webhook-signature'];
  assert.equal(typeof header, 'string', 'the delivery is signed');
  const parts = (header as string).split(' ');
  for (const part of parts) assert.match(part, /^v1=[0-9a-f]{64}$/);
  return parts.map((part) => part.slice('v1='.length));
}

/**
 * What a receiver does with one secret (as docs/protocol.md §5.3 shows): the timestamp is whole
 * seconds within five minutes of now, and one of the v1= values is HMAC-SHA256(secret, "<timestamp>.<raw body>").
 */
interface Signed {
  readonly timestamp: string;
  readonly raw: Buffer;
  readonly signatures: readonly string[];
  /** When it was received, by the receiver's clock. */
  readonly now: number;
}

function verifies(secret: string, { timestamp, raw, signatures, now }: Signed): boolean {
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest();
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function verifiesDelivery(secret: string, delivery: Delivery): boolean {
  const timestamp = delivery.headers['hearth-webhook-timestamp'];
  return typeof timestamp === 'string' && verifies(secret, { timestamp, raw: delivery.raw, signatures: signaturesOf(delivery), now: delivery.receivedAt });
}

async function waitForDeliveries(w: World, count: number): Promise<Delivery> {
  const deadline = Date.now() + 5_000;
  while (w.deliveries.length < count) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for delivery ${count} (have ${w.deliveries.length})`);
    await sleep(10);
  }
  return w.deliveries[count - 1] ?? assert.fail('no delivery');
}

async function mention(w: World, botId: string, text: string): Promise<void> {
  await w.commands.send('message.post', { actorId: w.bob.id, roomId: w.allTalk.id, body: `<@${botId}> ${text}`, clientMessageId: newId() });
}

describe('signed webhook deliveries', () => {
  it('carry a timestamp and a v1= HMAC-SHA256 a receiver recomputes with the secret; a tampered body or timestamp fails', async (t) => {
    const w = await openWorld(t);
    const { userId, webhookSecret } = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'Hook', webhookUrl: w.url, roomIds: [w.allTalk.id] });
    await mention(w, userId, 'deploy main');
    const delivery = await waitForDeliveries(w, 1);

    const timestamp = delivery.headers['hearth-webhook-timestamp'];
    assert.ok(typeof timestamp === 'string' && /^\d+$/.test(timestamp), `timestamp ${String(timestamp)}`);
    assert.ok(Math.abs(Number(timestamp) - delivery.receivedAt / 1000) < 5, 'the time of the attempt, in Unix seconds');
    const signatures = signaturesOf(delivery);
    assert.equal(signatures.length, 1);
    const signed: Signed = { timestamp, raw: delivery.raw, signatures, now: delivery.receivedAt };
    assert.ok(verifies(webhookSecret, signed), 'the signature verifies');
    assert.ok(!delivery.raw.toString('utf8').includes(webhookSecret) && !JSON.stringify(delivery.headers).includes(webhookSecret));

    const tamperedBody = Buffer.from(delivery.raw.toString('utf8').replace('deploy main', 'deploy prod'));
    assert.notDeepEqual(tamperedBody, delivery.raw);
    assert.ok(!verifies(webhookSecret, { ...signed, raw: tamperedBody }), 'a changed body fails');
    assert.ok(!verifies(webhookSecret, { ...signed, timestamp: String(Number(timestamp) + 1) }), 'a changed timestamp fails');
    assert.ok(!verifies(`${webhookSecret}x`, signed), 'another secret fails');
    // Replayed six minutes later, the same delivery is refused by its timestamp.
    assert.ok(!verifies(webhookSecret, { ...signed, now: delivery.receivedAt + 6 * 60_000 }), 'an old delivery fails');
  });

  it('signs each attempt afresh: a retried delivery verifies too', async (t) => {
    const w = await openWorld(t);
    w.statuses.splice(0, 1, 503, 204);
    const { userId, webhookSecret } = await w.commands.send('bot.create', { actorId: w.admin.id, name: 'Hook', webhookUrl: w.url, roomIds: [w.allTalk.id] });
    await mention(w, userId, 'try twice');
    const [failed, retried] = [await waitForDeliveries(w, 1), await waitForDeliveries(w, 2)];
    assert.equal(failed.headers['x-hearth-delivery'], retried.headers['x-hearth-delivery']);
    assert.ok(verifiesDelivery(webhookSecret, failed) && verifiesDelivery(webhookSecret, retried));
  });

  it('after a rotation carry two signatures, one per secret, until the grace period ends; then only the new one', async (t) => {
    const w = await openWorld(t);
    const { userId, webhookSecret: oldSecret } = await w.commands.send('bot.create', {
      actorId: w.admin.id,
      name: 'Hook',
      webhookUrl: w.url,
      roomIds: [w.allTalk.id],
    });
    const rotated = await w.commands.send('bot.rotateWebhookSecret', { actorId: w.admin.id, botId: userId });
    const newSecret = rotated.webhookSecret;
    assert.ok(rotated.previousSecretExpiresAt !== null);

    await mention(w, userId, 'during the grace period');
    const during = await waitForDeliveries(w, 1);
    assert.ok(Date.now() < Date.parse(rotated.previousSecretExpiresAt), 'delivered within the grace period (make GRACE_MS longer if not)');
    const [first, second] = signaturesOf(during);
    assert.equal(signaturesOf(during).length, 2);
    const timestamp = String(during.headers['hearth-webhook-timestamp']);
    // The new secret's first; each verifies with its own secret only.
    const only = (signature = ''): Signed => ({ timestamp, raw: during.raw, signatures: [signature], now: during.receivedAt });
    assert.ok(verifies(newSecret, only(first)) && verifies(oldSecret, only(second)));
    assert.ok(!verifies(newSecret, only(second)) && !verifies(oldSecret, only(first)));
    // A receiver that knows either secret accepts the delivery.
    assert.ok(verifiesDelivery(oldSecret, during) && verifiesDelivery(newSecret, during));

    await sleep(Math.max(0, Date.parse(rotated.previousSecretExpiresAt) - Date.now()) + 50);
    await mention(w, userId, 'after the grace period');
    const after = await waitForDeliveries(w, 2);
    assert.equal(signaturesOf(after).length, 1);
    assert.ok(verifiesDelivery(newSecret, after), 'the new secret verifies');
    assert.ok(!verifiesDelivery(oldSecret, after), 'the old one no longer does');
  });

  it('of a bot made before deliveries were signed carry no signature until its first rotation, then the new secret only', async (t) => {
    const w = await openWorld(t);
    const now = new Date().toISOString();
    const legacy = await w.store.transaction(async (tx) => {
      const user = await tx.insertUser({ id: newId(), name: 'Legacy', email: null, role: 'bot', passwordHash: null, createdAt: now });
      await tx.insertBot({ userId: user.id, webhookUrl: w.url, createdBy: w.admin.id, createdAt: now });
      await tx.putMembership({ roomId: w.allTalk.id, userId: user.id, involvement: 'mentions', readSeq: 0, createdAt: now });
      return user;
    });
    await mention(w, legacy.id, 'unsigned');
    const unsigned = await waitForDeliveries(w, 1);
    assert.match(String(unsigned.headers['hearth-webhook-timestamp']), /^\d+$/);
    assert.equal(unsigned.headers['hearth-webhook-signature'], undefined);

    const rotated = await w.commands.send('bot.rotateWebhookSecret', { actorId: w.admin.id, botId: legacy.id });
    assert.equal(rotated.previousSecretExpiresAt, null, 'there was no secret to keep');
    await mention(w, legacy.id, 'signed');
    const signed = await waitForDeliveries(w, 2);
    assert.equal(signaturesOf(signed).length, 1);
    assert.ok(verifiesDelivery(rotated.webhookSecret, signed));
  });
});
