import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { createdMessages, sleep } from './helpers.ts';
import type { Message } from './protocol.ts';

/** Retrying a post with the same clientMessageId, even many times at once, stores and announces the message once. */

describe('idempotent posting', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let roomId: string;

  before(async () => {
    hearth = await startHearth();
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    bob = team.members[0]!;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
  });
  after(async () => {
    await hearth?.stop();
  });

  it('a retry returns the message already posted', async () => {
    const first = await admin.post(roomId, 'Deploy finished', 'deploy-4711');
    const retry = await admin.raw('POST', `/api/rooms/${roomId}/messages`, { body: 'Deploy finished', clientMessageId: 'deploy-4711' });
    assert.ok(retry.status === 200 || retry.status === 201, `retry answered ${retry.status} ${retry.text}`);
    assert.deepEqual(retry.json, first);
  });

  it('20 identical posts at once: one message, one event, every answer the same message', async () => {
    const stream = bob.connectWebSocket();
    try {
      const start = (await stream.ready).rooms[roomId]!;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => admin.raw('POST', `/api/rooms/${roomId}/messages`, { body: 'only once', clientMessageId: 'race-1' })),
      );
      for (const answer of answers) assert.ok(answer.status === 200 || answer.status === 201, `answered ${answer.status} ${answer.text}`);
      const ids = new Set(answers.map((answer) => (answer.json as Message).id));
      assert.equal(ids.size, 1, 'every answer is the same message');
      const marker = await admin.post(roomId, 'marker', 'race-marker');
      await stream.waitForSeq(roomId, marker.seq);
      await sleep(100);
      const created = createdMessages(stream.roomEvents(roomId));
      assert.deepEqual(
        created.map((m) => m.clientMessageId),
        ['race-1', 'race-marker'],
      );
      assert.equal(created[0]?.seq, start + 1);
      assert.equal((await admin.allMessages(roomId)).filter((m) => m.clientMessageId === 'race-1').length, 1);
    } finally {
      await stream.close();
    }
  });

  it('the same clientMessageId from another person is another message', async () => {
    const mine = await admin.post(roomId, 'same id, mine', 'shared-id');
    const theirs = await bob.post(roomId, 'same id, theirs', 'shared-id');
    assert.notEqual(mine.id, theirs.id);
    assert.equal(theirs.body, 'same id, theirs');
  });
});
