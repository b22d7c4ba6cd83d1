import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresPerFile } from '@hearth/harness';
import {
  createStore,
  GATED,
  OutboundAddressPolicy,
  type CommandName,
  type CommandPayloads,
  type CommandResults,
  isHearthError,
  newId,
  type Message,
  type Store,
  type StoreTx,
  type User,
} from '@hearth/core';
import { countStatements } from '@hearth/core/testing';
import { HANDLERS, type HandlerContext } from './index.ts';
import type { Handler } from './types.ts';

/**
 * What a post costs in SQL statements, counted where the drivers meet the database (BEGIN, the
 * write gate's check and COMMIT included), so a change that adds a statement to the commonest
 * write fails here. Issue 15 took a post without mentions from 15 statements to 10 on SQLite
 * and from 13 round trips to 8 on PostgreSQL; lower these when a post gets cheaper.
 */
// SQLite's two more are the savepoint that group commit runs each command in (SAVEPOINT,
// RELEASE): no I/O, and one disk sync then serves every post of the group.
const MOST_STATEMENTS = { sqlite: 12, postgres: 8 } as const;

interface World {
  readonly store: Store;
  readonly admin: User;
  readonly roomId: string;
  readonly joinCode: string;
}

function contextOf(tx: StoreTx): HandlerContext {
  return {
    tx,
    now: new Date().toISOString(),
    traceparent: undefined,
    origin: null,
    limits: { messageChars: 1_000 },
    webhookAddresses: new OutboundAddressPolicy([]),
    webhookSecretGraceMs: 0,
    afterCommit: [],
    emitted: [],
    queued: { webhookDeliveries: 0, removedFiles: [] },
  };
}

/** Applies a command in its own gated transaction, as messaging does. */
function apply<N extends CommandName>(store: Store, name: N, payload: CommandPayloads[N]): Promise<CommandResults[N]> {
  const handler: Handler<N> = HANDLERS[name];
  return store.transaction((tx) => handler(contextOf(tx), payload), GATED);
}

async function openWorld(store: Store): Promise<World> {
  const { account, user: admin } = await apply(store, 'account.setup', {
    accountName: 'Acme',
    admin: { name: 'Ada', email: 'ada@example.com', passwordHash: null },
  });
  const [room] = await store.listOpenRooms();
  assert.ok(room !== undefined);
  return { store, admin, roomId: room.id, joinCode: account.joinCode };
}

/** Posts `body` as the administrator in All Talk, or as `as` says. */
function post(w: World, body: string, as: Partial<CommandPayloads['message.post']> = {}): Promise<Message> {
  return apply(w.store, 'message.post', { actorId: w.admin.id, roomId: w.roomId, body, clientMessageId: `c-${Math.random()}`, ...as });
}

async function rejectsWith(promise: Promise<unknown>, code: string, field: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isHearthError(error) && error.code === code && error.field === field);
}

function postTests(name: keyof typeof MOST_STATEMENTS, open: () => Promise<Store>): void {
  /** A test on a store of its own, set up as a new Hearth is. */
  const test = (title: string, body: (w: World) => Promise<void>): void => {
    it(title, async () => {
      const store = await open();
      try {
        await body(await openWorld(store));
      } finally {
        await store.close();
      }
    });
  };

  describe(`message.post on ${name}`, () => {
    test(`a post without mentions takes at most ${MOST_STATEMENTS[name]} statements; one with a mention reads the members too`, async (w) => {
      await post(w, 'warming up the statement caches');
      const plain = await countStatements(() => post(w, 'hello'));
      assert.equal(plain.result.body, 'hello');
      assert.ok(plain.statements.length <= MOST_STATEMENTS[name], `${plain.statements.length} statements:\n${plain.statements.join('\n')}`);
      const mention = await countStatements(() => post(w, `hello <@${w.admin.id}> and <@${newId()}>`));
      assert.deepEqual(mention.result.mentions, [w.admin.id]);
      // The room's members, to tell who is mentioned, and whether the one person mentioned is a bot.
      assert.equal(mention.statements.length, plain.statements.length + 2);
    });

    test('a retry with the same clientMessageId returns the original, and stores one', async (w) => {
      const original = await post(w, 'once', { clientMessageId: 'c1' });
      assert.deepEqual(await post(w, 'twice', { clientMessageId: 'c1' }), original);
      assert.deepEqual(
        (await w.store.listMessages(w.roomId, { limit: 10 })).map((message) => message.body),
        ['once'],
      );
    });

    test('refuses an unknown author first, then an unknown room, then a non-member', async (w) => {
      const stranger = await apply(w.store, 'user.create', { joinCode: w.joinCode, actorId: null, user: { name: 'Cy', email: null, passwordHash: null } });
      const closed = await apply(w.store, 'room.create', { actorId: w.admin.id, name: 'closed', kind: 'closed', memberIds: [] });
      await rejectsWith(post(w, 'hi', { actorId: newId(), roomId: newId() }), 'user_not_found', 'actorId');
      await rejectsWith(post(w, 'hi', { roomId: newId() }), 'room_not_found', 'roomId');
      await rejectsWith(post(w, 'hi', { actorId: stranger.id, roomId: closed.id }), 'not_a_member', 'roomId');
    });
  });
}

const newDatabase = postgresPerFile('posting');

postTests('sqlite', () => createStore({ type: 'sqlite', path: ':memory:' }));
postTests('postgres', async () => createStore({ type: 'postgres', url: await newDatabase(), poolSize: 2 }));
