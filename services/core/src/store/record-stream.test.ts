import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import { directKey } from '../domain/rules.ts';
import type { Message } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import { RECORD_TABLES, sortedKeys } from './record-stream.ts';
import type { Store } from './store.ts';
import { StorePostgres } from './store-postgres.ts';
import { StoreSqlite } from './store-sqlite.ts';
import { postInTx } from './store-test-support.ts';

const at = (minute: number): string => new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();

let server: PostgresServer;
let databases = 0;
const openPostgres = async (): Promise<StorePostgres> => StorePostgres.open(await server.createDatabase(`records${databases++}`), 4);

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
});

async function exported(store: Store): Promise<string[]> {
  const lines: string[] = [];
  await store.exportRecords((line) => void lines.push(line));
  return lines;
}

/** The lines, then an error as if the importing process had been stopped after `count` of them. */
async function* stopsAfter(lines: readonly string[], count: number): AsyncGenerator<string> {
  yield* lines.slice(0, count);
  throw new Error('the process stopped');
}

async function withStores<T>(stores: Store[], use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } finally {
    for (const store of stores) await store.close();
  }
}

/** One of every kind of record, with the values a dialect could get wrong: booleans, JSON key order, NULLs, text search needs. */
async function seed(store: Store): Promise<{ message: Message }> {
  return store.transaction(async (tx) => {
    await tx.insertAccount({ id: newId(), name: 'Acme', joinCode: 'join-1', createdAt: at(0) });
    const ada = await tx.insertUser({ id: newId(), name: 'Ada', email: 'ada@example.com', role: 'administrator', passwordHash: 'hash', createdAt: at(1) });
    const bob = await tx.insertUser({ id: newId(), name: 'Bob', email: null, role: 'member', passwordHash: null, createdAt: at(2) });
    await tx.updateUser(bob.id, { active: false });
    // Ada has a picture; the others write the line they wrote before pictures existed.
    await tx.setUserAvatar(ada.id, 'pic-1');
    const hook = await tx.insertUser({ id: newId(), name: 'Hook', email: null, role: 'bot', passwordHash: null, createdAt: at(3) });
    await tx.insertBot({ userId: hook.id, webhookUrl: 'https://hooks.example.com/x', createdBy: ada.id, createdAt: at(3) });
    // Hook has no webhook secrets (a bot made before them); Signer has one, and one rotated out that still signs.
    const signer = await tx.insertUser({ id: newId(), name: 'Signer', email: null, role: 'bot', passwordHash: null, createdAt: at(3) });
    await tx.insertBot({ userId: signer.id, webhookUrl: null, createdBy: ada.id, createdAt: at(3), webhookSecret: 'whsec_old' });
    await tx.rotateWebhookSecret(signer.id, 'whsec_new', at(40));
    await tx.insertApiToken(
      { id: newId(), userId: hook.id, name: 'ci', roomIds: ['a', 'b'], createdBy: ada.id, createdAt: at(4), revokedAt: null, lastUsedAt: null },
      'secret-hash',
    );
    await tx.linkIdentity({ issuer: 'https://idp.example.com', subject: 'sub-1', userId: ada.id, createdAt: at(4) });
    const session = {
      id: newId(),
      userId: ada.id,
      csrfToken: 'csrf',
      createdAt: at(5),
      lastSeenAt: at(5),
      expiresAt: at(60),
      userAgent: 'Firefox',
      ip: '203.0.113.7',
    };
    await tx.insertSession({ ...session, idpSessionId: 'sid-1' });
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'général', createdBy: ada.id, createdAt: at(6), directKey: null });
    await tx.insertRoom({ id: newId(), kind: 'direct', name: null, createdBy: ada.id, createdAt: at(6), directKey: directKey([ada.id, bob.id]) });
    await tx.putMembership({ roomId: room.id, userId: ada.id, involvement: 'everything', readSeq: 0, createdAt: at(6) });
    await tx.putMembership({ roomId: room.id, userId: hook.id, involvement: 'mentions', readSeq: 0, createdAt: at(7) });
    const bodies = ['hello @Hook, the café opens at nine', '東京都の会議', 'to be deleted'];
    const messages: Message[] = [];
    for (const [i, body] of bodies.entries()) {
      const message = await postInTx(
        tx,
        {
          id: newId(),
          roomId: room.id,
          authorId: ada.id,
          clientMessageId: `c${i}`,
          body,
          mentions: i === 0 ? [hook.id] : [],
          sound: i === 0 ? 'chime' : null,
          file: i === 1 ? FILE : null,
          createdAt: at(10),
        },
        () => at(10 + i),
      );
      messages.push(message);
    }
    const [first, , last] = messages as [Message, Message, Message];
    await tx.updateMessageBody(first.id, 'hello @Hook, the café opens at ten', [hook.id], at(20));
    await tx.markMessageDeleted(last.id, at(21));
    await tx.insertBoost({ id: newId(), messageId: first.id, authorId: ada.id, content: '👍', createdAt: at(22) });
    const [published] = await tx.unpublishedEvents(1);
    await tx.markPublished([published!.id]);
    const detail = { to: 'administrator', from: 'member', groups: ['staff'], attempt: 2, viaSso: true, note: null };
    await tx.appendAudit({
      at: at(23),
      actorId: ada.id,
      action: 'user.role_changed',
      targetType: 'user',
      targetId: bob.id,
      detail,
      origin: { ip: '203.0.113.7', userAgent: 'Firefox' },
    });
    await tx.appendAudit({ at: at(24), actorId: null, action: 'auth.sign_in_failed', targetType: null, targetId: null, detail: {}, origin: null });
    const delivery = await tx.insertWebhookDelivery({ botId: hook.id, messageId: first.id, roomId: room.id, createdAt: at(25) });
    await tx.recordWebhookAttempt(delivery.id, { at: at(26), delivered: false, error: 'HTTP 503', nextAttemptAt: at(27) });
    return { message: first };
  });
}

/** A message's file, keys out of code-point order as a client might send them. */
const FILE = { name: 'plan.pdf', id: 'f1', contentType: 'application/pdf', size: 1234, alt: null, image: null } as const;

describe('record stream', () => {
  it('round-trips SQLite → PostgreSQL → SQLite with identical exports', async () => {
    const [source, middle, target] = [await StoreSqlite.open(':memory:'), await openPostgres(), await StoreSqlite.open(':memory:')];
    await withStores([source, middle, target], async () => {
      const { message } = await seed(source);
      const fromSqlite = await exported(source);
      const imported = await middle.importRecords(fromSqlite);
      assert.equal(imported.rows, fromSqlite.length - 2);
      assert.deepEqual(imported.summary, (JSON.parse(fromSqlite.at(-1)!) as { end: { summary: unknown } }).end.summary);
      const fromPostgres = await exported(middle);
      assert.deepEqual(fromPostgres, fromSqlite);
      await target.importRecords(fromPostgres);
      assert.deepEqual(await exported(target), fromSqlite);
      // A message's file travels; a message without one writes the line it wrote before files existed.
      const messageLines = fromSqlite.filter((line) => line.startsWith('{"table":"messages"'));
      assert.deepEqual(
        messageLines.map((line) => (JSON.parse(line) as { row: { file?: unknown } }).row.file),
        [undefined, FILE, undefined],
      );
      const [withFile] = (await target.listMessages(message.roomId, { limit: 10 })).filter((m) => m.file !== null);
      assert.deepEqual(withFile?.file, FILE);
      // A bot's webhook secrets travel; a bot without them writes the line it wrote before they existed.
      const botRows = fromSqlite.filter((line) => line.startsWith('{"table":"bots"')).map((line) => (JSON.parse(line) as { row: Record<string, unknown> }).row);
      const secretsOf = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([column]) => /secret|expires/.test(column)));
      assert.deepEqual(
        botRows.map(secretsOf).sort((x, y) => Object.keys(x).length - Object.keys(y).length),
        [{}, { webhook_secret: 'whsec_new', webhook_previous_secret: 'whsec_old', webhook_previous_expires_at: at(40) }],
      );

      const avatars = fromSqlite
        .filter((line) => line.startsWith('{"table":"users"'))
        .map((line) => (JSON.parse(line) as { row: { avatar?: unknown } }).row.avatar);
      assert.deepEqual(
        avatars.filter((avatar) => avatar !== undefined),
        ['pic-1'],
        'only a user with a picture has the column',
      );
      assert.ok(!avatars.includes(null));
      assert.deepEqual((await target.listUsers()).find((user) => user.name === 'Ada')?.avatar, 'pic-1');

      // Every table is in the stream, and what the target rebuilt itself works: search, ids after the imported ones.
      const tables = new Set(fromSqlite.slice(1, -1).map((line) => (JSON.parse(line) as { table: string }).table));
      assert.deepEqual(
        [...tables],
        RECORD_TABLES.map((table) => table.name),
      );
      for (const store of [middle, target]) {
        assert.deepEqual(
          (await store.searchMessages(message.authorId, 'cafe', 10)).map((hit) => hit.message.id),
          [message.id],
        );
        assert.equal((await store.searchMessages(message.authorId, '東京', 10)).length, 1);
        const audit = await store.transaction((tx) =>
          tx.appendAudit({ at: at(30), actorId: null, action: 'auth.sign_in_failed', targetType: null, targetId: null, detail: {}, origin: null }),
        );
        assert.equal(audit.id, 3);
        assert.equal((await store.unpublishedEvents(10)).length, 2);
      }
    });
  });

  it('refuses a store that has records, and a cut-off stream, leaving the target as it was', async () => {
    const [source, busy, empty] = [await StoreSqlite.open(':memory:'), await openPostgres(), await openPostgres()];
    await withStores([source, busy, empty], async () => {
      await seed(source);
      const lines = await exported(source);
      await seed(busy);
      await assert.rejects(busy.importRecords(lines), (error: unknown) => error instanceof HearthError && error.code === 'conflict');
      for (const broken of [lines.slice(0, -1), lines.slice(1), [...lines.slice(0, 2), lines.at(-1)!]]) {
        await assert.rejects(empty.importRecords(broken), (error: unknown) => error instanceof HearthError && error.code === 'invalid_request');
      }
      const [header, end] = await exported(empty);
      assert.deepEqual(JSON.parse(header!), { format: 'hearth-records', version: 1, rows: 0 });
      assert.equal((JSON.parse(end!) as { end: { rows: number } }).end.rows, 0);
      await assert.rejects(busy.importRecords(lines), /import into a new, empty database/);
    });
  });

  it('refuses a stream whose rows were altered, though their count is right', async () => {
    const [source, target] = [await StoreSqlite.open(':memory:'), await StoreSqlite.open(':memory:')];
    await withStores([source, target], async () => {
      await seed(source);
      const lines = (await exported(source)).map((line) => line.replace('the café opens at ten', 'the café opens at six'));
      await assert.rejects(target.importRecords(lines), /messages: the same \d+ rows, but their content differs/);
    });
  });

  for (const [dialect, open] of [
    ['SQLite', () => StoreSqlite.open(':memory:')],
    ['PostgreSQL', openPostgres],
  ] as const) {
    it(`resumes an import into ${dialect} that stopped part way, and refuses another stream there`, async () => {
      const [source, other, target] = [await StoreSqlite.open(':memory:'), await StoreSqlite.open(':memory:'), await open()];
      await withStores([source, other, target], async () => {
        await seed(source);
        const lines = await exported(source);
        await assert.rejects(target.importRecords(stopsAfter(lines, 12), { batchRows: 4 }), /the process stopped/);
        const partial = (await exported(target)).length - 2;
        assert.ok(partial >= 4 && partial < lines.length - 2, `${partial} rows after the stop`);

        await seed(other);
        const otherLines = (await exported(other)).map((line) => line.replace('Acme', 'Other'));
        await assert.rejects(
          target.importRecords(otherLines.slice(0, 1).concat(otherLines.slice(1))),
          /holds the first \d+ rows of an import of another stream/,
        );

        const resumed = await target.importRecords(lines, { batchRows: 4 });
        assert.equal(resumed.resumedAfter, partial);
        assert.deepEqual(await exported(target), lines);
      });
    });
  }

  it('sorts the keys of JSON objects at every depth, leaving arrays in order', () => {
    assert.equal(JSON.stringify(sortedKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })), '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
