import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { postgresPerFile } from '@hearth/harness';
import {
  createStore,
  OutboundAddressPolicy,
  parseNetwork,
  type CommandName,
  type CommandPayloads,
  type CommandResults,
  type Message,
  type RoomEvent,
  type Store,
  type User,
} from '@hearth/core';
import { countStatements } from '@hearth/core/testing';
import type { Messaging } from './messaging.ts';
import { startTestMessaging } from './messaging-test-support.ts';

/**
 * message.post as messaging applies it on PostgreSQL: in one round trip (Store.postAtOnce) when
 * the post cannot be for a bot, through the post's transaction when it may be, or when what it
 * was checked against changed. The SQLite store has no such path; messaging.test.ts covers it.
 */

const newDatabase = postgresPerFile('messaging');

interface World {
  readonly store: Store;
  readonly messaging: Messaging;
  readonly published: RoomEvent[];
  /** What messaging announced (Bus.announceRoomEvent), in order. */
  readonly announced: RoomEvent[];
  readonly admin: User;
  readonly bob: User;
  readonly roomId: string;
  send<N extends CommandName>(name: N, payload: CommandPayloads[N]): Promise<CommandResults[N]>;
}

async function openWorld(t: TestContext): Promise<World> {
  const store = await createStore({ type: 'postgres', url: await newDatabase(), poolSize: 8 });
  // A webhook queued here goes to a closed port on loopback, slowly: it is only counted.
  const webhooks = { addressPolicy: new OutboundAddressPolicy([parseNetwork('127.0.0.0/8')]), pollMs: 60_000 };
  const { messaging, bus } = await startTestMessaging(t, store, { webhooks });
  const published: RoomEvent[] = [];
  bus.subscribeRoomEvents((event) => published.push(event));
  const announced: RoomEvent[] = [];
  const announce = bus.announceRoomEvent.bind(bus);
  bus.announceRoomEvent = (event) => {
    announced.push(event);
    announce(event);
  };
  async function send<N extends CommandName>(name: N, payload: CommandPayloads[N]): Promise<CommandResults[N]> {
    const reply = await messaging.apply({ name, payload });
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code, field: reply.error.field });
    return reply.result as CommandResults[N];
  }
  const { account, user: admin } = await send('account.setup', { accountName: 'Acme', admin: { name: 'Ada', email: 'ada@example.com', passwordHash: null } });
  const bob = await send('user.create', { joinCode: account.joinCode, actorId: null, user: { name: 'Bob', email: null, passwordHash: null } });
  const [room] = await store.listOpenRooms();
  assert.ok(room !== undefined);
  return { store, messaging, published, announced, admin, bob, roomId: room.id, send };
}

function post(w: World, body: string, change: Partial<CommandPayloads['message.post']> = {}): Promise<Message> {
  return w.send('message.post', { actorId: w.admin.id, roomId: w.roomId, clientMessageId: `c-${Math.random()}`, body, ...change });
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), what);
}

/**
 * The statements a post made, by what each is: the outbox relay, woken by each commit, may run
 * meanwhile, and its statements are not the post's.
 */
function ownStatements(statements: readonly string[]): string[] {
  return statements
    .filter((statement) => !/outbox|synchronous_commit|^COMMIT$/.test(statement))
    .map((statement) => /hearth_post_plain|hearth_post/.exec(statement)?.[0] ?? (/earlier_id/.test(statement) ? 'context' : statement));
}

function rejectsWith(promise: Promise<unknown>, code: string, field: string): Promise<void> {
  return assert.rejects(promise, (error: unknown) => (error as { code?: string }).code === code && (error as { field?: string }).field === field);
}

describe('message.post through messaging on PostgreSQL', () => {
  it('a plain post (no file, no mention) is one statement, hearth_post_plain, and is published', async (t) => {
    const w = await openWorld(t);
    await post(w, 'warming up');
    const { result, statements } = await countStatements(() => post(w, 'hello'));
    assert.deepEqual(ownStatements(statements), ['hearth_post_plain'], statements.join('\n'));
    assert.deepEqual(await w.store.getMessage(result.id), result);
    assert.equal((await w.store.getMembership(w.roomId, w.admin.id))?.readSeq, result.seq);
    await waitFor('the post is published', () => w.published.some((event) => event.seq === result.seq));
    const event = w.published.find((e) => e.seq === result.seq);
    assert.deepEqual(event?.type === 'message.created' ? event.message : null, result);
  });

  it('announces a post by the time it is acknowledged, as the event it stored, whether written at once or in a transaction', async (t) => {
    const w = await openWorld(t);
    const posted = await post(w, 'straight to the readers');
    const announced = w.announced.filter((event) => event.seq === posted.seq);
    assert.equal(announced.length, 1, 'announced once, before the answer');
    assert.deepEqual(announced[0], (await w.store.eventsSince(w.roomId, posted.seq - 1, 1))[0]);
    const bot = await w.send('bot.create', { actorId: w.admin.id, name: 'CI', webhookUrl: 'http://127.0.0.1:9/hook', roomIds: [w.roomId] });
    const viaTransaction = await post(w, `deploy please <@${bot.userId}>`);
    const announcedOfTransaction = w.announced.filter((event) => event.seq === viaTransaction.seq);
    assert.equal(announcedOfTransaction.length, 1, 'a transaction’s events are announced as it commits');
    assert.deepEqual(announcedOfTransaction[0], (await w.store.eventsSince(w.roomId, viaTransaction.seq - 1, 1))[0]);
  });

  it('a post that may mention someone and mentions no member is two statements, its context read and hearth_post', async (t) => {
    const w = await openWorld(t);
    await post(w, 'warming up');
    const { result, statements } = await countStatements(() => post(w, 'tea, <@00000000-0000-4000-8000-000000000000>?'));
    assert.deepEqual(
      ownStatements(statements).slice(0, 2),
      ['context', 'SELECT * FROM memberships WHERE room_id = $1 ORDER BY created_at, user_id'],
      statements.join('\n'),
    );
    assert.deepEqual(ownStatements(statements).slice(2), ['hearth_post'], statements.join('\n'));
    assert.deepEqual(result.mentions, []);
    assert.deepEqual(await w.store.getMessage(result.id), result);
  });

  it('a plain post that hearth_post_plain refuses is decided from its context, with the same error', async (t) => {
    const w = await openWorld(t);
    const direct = await w.send('direct.open', { actorId: w.admin.id, userIds: [w.bob.id] });
    const { result, statements } = await countStatements(() => post(w, 'hi Bob', { roomId: direct.id }));
    // A direct room's other member may be a bot to notify: the post's transaction decides.
    assert.deepEqual(ownStatements(statements).slice(0, 2), ['hearth_post_plain', 'context'], statements.join('\n'));
    assert.ok(
      statements.some((statement) => statement.startsWith('BEGIN') && statement.includes('write_gate')),
      statements.join('\n'),
    );
    assert.equal(result.roomId, direct.id);
    await w.send('user.update', { actorId: w.admin.id, userId: w.bob.id, active: false });
    await rejectsWith(post(w, 'still here?', { actorId: w.bob.id }), 'user_not_found', 'actorId');
    await rejectsWith(post(w, '   '), 'invalid_request', 'body');
  });

  it('a retry with the same clientMessageId gets the original back and stores one', async (t) => {
    const w = await openWorld(t);
    const original = await post(w, 'once', { clientMessageId: 'c1' });
    assert.deepEqual(await post(w, 'twice', { clientMessageId: 'c1' }), original);
    assert.deepEqual(
      (await w.store.listMessages(w.roomId, { limit: 10 })).map((message) => message.body),
      ['once'],
    );
  });

  it('refuses an unknown author, an unknown room and a non-member as the transaction does', async (t) => {
    const w = await openWorld(t);
    const closed = await w.send('room.create', { actorId: w.admin.id, name: 'closed', kind: 'closed', memberIds: [] });
    await rejectsWith(post(w, 'hi', { actorId: 'nobody', roomId: 'nowhere' }), 'user_not_found', 'actorId');
    await rejectsWith(post(w, 'hi', { roomId: 'nowhere' }), 'room_not_found', 'roomId');
    await rejectsWith(post(w, 'hi', { actorId: w.bob.id, roomId: closed.id }), 'not_a_member', 'roomId');
  });

  it('a post that mentions someone, or any in a direct room, goes through the transaction, which queues a bot’s webhook', async (t) => {
    const w = await openWorld(t);
    const bot = await w.send('bot.create', { actorId: w.admin.id, name: 'CI', webhookUrl: 'http://127.0.0.1:9/hook', roomIds: [w.roomId] });
    const mention = await countStatements(() => post(w, `deploy please <@${bot.userId}>`));
    const gatedBegin = (statement: string) => statement.startsWith('BEGIN') && statement.includes('write_gate');
    assert.ok(mention.statements.some(gatedBegin), mention.statements.join('\n'));
    assert.deepEqual(mention.result.mentions, [bot.userId]);
    assert.equal((await w.store.listWebhookDeliveries(mention.result.id)).length, 1);
    const direct = await w.send('direct.open', { actorId: w.admin.id, userIds: [bot.userId] });
    const said = await post(w, 'status?', { roomId: direct.id });
    assert.equal((await w.store.listWebhookDeliveries(said.id)).length, 1);
  });

  it('concurrent posts by two people to one room all land, with seqs that leave no gap, each published once', async (t) => {
    const w = await openWorld(t);
    const posted = await Promise.all(Array.from({ length: 30 }, (_, i) => post(w, `n${i}`, { actorId: i % 2 === 0 ? w.admin.id : w.bob.id })));
    const seqs = posted.map((message) => message.seq).sort((a, b) => a - b);
    assert.equal(seqs.at(-1)! - seqs[0]! + 1, seqs.length);
    await waitFor('every post is published', () => seqs.every((seq) => w.published.some((event) => event.seq === seq)));
    assert.equal(new Set(w.published.map((event) => event.seq)).size, w.published.length, 'none published twice');
  });
});
