import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresPerFile } from '@hearth/harness';
import { roomEvent } from '../domain/events.ts';
import type { Room, User } from '../domain/types.ts';
import { newId } from '../ids.ts';
import { countStatements } from './statement-count.ts';
import type { PostDraft, Store } from './store.ts';
import { StorePostgres } from './store-postgres.ts';
import { addAuthorAndRoom, postInTx } from './store-test-support.ts';

/**
 * StorePostgres.postAtOnce, the post in one round trip (hearth_post): it must write exactly what
 * a post's transaction writes, and nothing when what the post was checked against has changed.
 */

const AT = '2025-01-01T00:00:00.000Z';
const TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const newDatabase = postgresPerFile('at_once');

interface World {
  readonly store: StorePostgres;
  readonly ada: User;
  readonly bob: User;
  readonly room: Room;
}

async function withWorld(use: (w: World) => Promise<void>): Promise<void> {
  const store = await StorePostgres.open(await newDatabase(), 8);
  try {
    await use({ store, ...(await addAuthorAndRoom(store, AT)) });
  } finally {
    await store.close();
  }
}

function draft(w: World, clientMessageId: string, overrides: Partial<PostDraft['message']> = {}): PostDraft {
  const message = {
    id: newId(),
    roomId: w.room.id,
    authorId: w.ada.id,
    clientMessageId,
    body: 'kettle is on',
    mentions: [],
    sound: null,
    file: null,
    createdAt: AT,
  };
  return { message: { ...message, ...overrides }, at: AT, traceparent: TRACE };
}

async function lastSeqOf(store: Store, roomId: string): Promise<number | undefined> {
  return (await store.getRoom(roomId))?.lastSeq;
}

describe('StorePostgres.postAtOnce', () => {
  it('writes what a post transaction writes: the message, its event in the log and the outbox, the room’s seqs and the author’s read marker', () =>
    withWorld(async (w) => {
      const first = await w.store.transaction((tx) => postInTx(tx, draft(w, 'c1').message, () => AT));
      const { result: posted, statements } = await countStatements(() => w.store.postAtOnce(draft(w, 'c2', { mentions: [w.ada.id], sound: 'tada' })));
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.ok(posted !== null);
      assert.equal(posted.seq, first.seq + 1);
      assert.deepEqual(posted, { ...first, id: posted.id, seq: posted.seq, clientMessageId: 'c2', mentions: [w.ada.id], sound: 'tada' });
      assert.deepEqual(await w.store.getMessage(posted.id), posted);
      const events = await w.store.eventsSince(w.room.id, 0, 10);
      assert.deepEqual(events[1], roomEvent({ type: 'message.created', message: posted }, w.room.id, posted.seq, { at: AT, traceparent: TRACE }));
      assert.deepEqual(
        (await w.store.unpublishedEvents(10)).map((entry) => entry.event.seq),
        [first.seq, posted.seq],
      );
      const room = await w.store.getRoom(w.room.id);
      assert.deepEqual([room?.lastSeq, room?.lastMessageSeq], [posted.seq, posted.seq]);
      assert.equal((await w.store.getMembership(w.room.id, w.ada.id))?.readSeq, posted.seq);
      assert.deepEqual((await w.store.searchMessages(w.ada.id, 'kettle', 10)).map((hit) => hit.message.id).sort(), [first.id, posted.id].sort());
    }));

  it('writes nothing and answers null when the room, the membership or the client id changed, or writes are paused', () =>
    withWorld(async (w) => {
      const earlier = await w.store.postAtOnce(draft(w, 'c1'));
      assert.equal(earlier?.seq, 1);
      assert.equal(await w.store.postAtOnce(draft(w, 'c1', { body: 'again' })), null, 'an earlier post with the client id');
      assert.equal(await w.store.postAtOnce(draft(w, 'c2', { authorId: w.bob.id })), null, 'not a member');
      assert.equal(await w.store.postAtOnce(draft(w, 'c3', { roomId: newId() })), null, 'no room');
      await w.store.pauseWrites({ since: AT, reason: 'a test' });
      assert.equal(await w.store.postAtOnce(draft(w, 'c4')), null, 'writes paused');
      await w.store.resumeWrites();
      assert.equal(await lastSeqOf(w.store, w.room.id), 1, 'no seq taken');
      assert.deepEqual(
        (await w.store.listMessages(w.room.id, { limit: 10 })).map((message) => message.body),
        ['kettle is on'],
      );
      assert.equal((await w.store.eventsSince(w.room.id, 0, 10)).length, 1);
    }));

  it('posts once a pause’s lease has lapsed, as a gated transaction does', () =>
    withWorld(async (w) => {
      await w.store.pauseWrites({ since: AT, reason: 'a copy that died' }, { leaseSeconds: 0.1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await w.store.postAtOnce(draft(w, 'c1')))?.seq, 1);
    }));

  it('gives concurrent posts to one room seqs with no gap, and writes one of concurrent posts with the same client id', () =>
    withWorld(async (w) => {
      const posted = await Promise.all(Array.from({ length: 40 }, (_, i) => w.store.postAtOnce(draft(w, `c${i}`))));
      const seqs = posted.map((message) => message?.seq ?? 0).sort((a, b) => a - b);
      assert.deepEqual(
        seqs,
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        (await w.store.eventsSince(w.room.id, 0, 100)).map((event) => event.seq),
        seqs,
      );
      const retries = await Promise.all(Array.from({ length: 8 }, () => w.store.postAtOnce(draft(w, 'same'))));
      assert.equal(retries.filter((message) => message !== null).length, 1);
      assert.equal(await lastSeqOf(w.store, w.room.id), 41);
    }));

  it('refuses to run inside a transaction, whose connection it would not use', () =>
    withWorld(async (w) => {
      await assert.rejects(
        w.store.transaction(() => w.store.postAtOnce(draft(w, 'c1'))),
        /inside a transaction/,
      );
    }));
});

describe('StorePostgres.postPlain', () => {
  it('writes what postAtOnce writes, in one statement, with no read before it', () =>
    withWorld(async (w) => {
      const { result: posted, statements } = await countStatements(() => w.store.postPlain(draft(w, 'c1', { sound: 'tada' })));
      assert.equal(statements.length, 1, statements.join('\n'));
      assert.match(statements[0] ?? '', /hearth_post_plain/);
      assert.ok(posted !== null);
      assert.equal(posted.seq, 1);
      assert.deepEqual(await w.store.getMessage(posted.id), posted);
      const [event] = await w.store.eventsSince(w.room.id, 0, 10);
      assert.deepEqual(event, roomEvent({ type: 'message.created', message: posted }, w.room.id, 1, { at: AT, traceparent: TRACE }));
      assert.deepEqual(
        (await w.store.unpublishedEvents(10)).map((entry) => entry.event.seq),
        [1],
      );
      assert.equal((await w.store.getMembership(w.room.id, w.ada.id))?.readSeq, 1);
    }));

  it('writes nothing for what the context read would refuse or send to a transaction, nor for what hearth_post refuses', () =>
    withWorld(async (w) => {
      const direct = await w.store.transaction(async (tx) => {
        const room = await tx.insertRoom({ id: newId(), kind: 'direct', name: null, createdBy: w.ada.id, createdAt: AT, directKey: `${w.ada.id}:${w.bob.id}` });
        for (const user of [w.ada, w.bob]) await tx.putMembership({ roomId: room.id, userId: user.id, involvement: 'everything', readSeq: 0, createdAt: AT });
        return room;
      });
      assert.equal(await w.store.postPlain(draft(w, 'c1', { roomId: direct.id })), null, 'a direct room, whose other member may be a bot');
      assert.equal(await w.store.postPlain(draft(w, 'c2', { authorId: w.bob.id })), null, 'not a member');
      assert.equal(await w.store.postPlain(draft(w, 'c3', { roomId: newId() })), null, 'no room');
      assert.equal(await w.store.postPlain(draft(w, 'c4', { authorId: newId() })), null, 'no author');
      assert.equal((await w.store.postPlain(draft(w, 'c5')))?.seq, 1);
      assert.equal(await w.store.postPlain(draft(w, 'c5', { body: 'again' })), null, 'an earlier post with the client id');
      await w.store.transaction((tx) => tx.updateUser(w.ada.id, { active: false }));
      assert.equal(await w.store.postPlain(draft(w, 'c6')), null, 'a deactivated author');
      assert.deepEqual(
        (await w.store.listMessages(w.room.id, { limit: 10 })).map((message) => message.clientMessageId),
        ['c5'],
      );
      assert.deepEqual(await w.store.listMessages(direct.id, { limit: 10 }), []);
      await assert.rejects(w.store.postPlain(draft(w, 'c7', { mentions: [w.bob.id] })), /writes no mention/);
    }));

  it('writes a bot’s post in a direct room: a bot’s words notify no bot', () =>
    withWorld(async (w) => {
      const bot = await w.store.transaction((tx) => tx.insertUser({ id: newId(), name: 'CI', email: null, role: 'bot', passwordHash: null, createdAt: AT }));
      const direct = await w.store.transaction(async (tx) => {
        const room = await tx.insertRoom({ id: newId(), kind: 'direct', name: null, createdBy: w.ada.id, createdAt: AT, directKey: `${w.ada.id}:${bot.id}` });
        for (const user of [w.ada, bot]) await tx.putMembership({ roomId: room.id, userId: user.id, involvement: 'everything', readSeq: 0, createdAt: AT });
        return room;
      });
      assert.equal((await w.store.postPlain(draft(w, 'c1', { roomId: direct.id, authorId: bot.id })))?.seq, 1);
    }));
});
