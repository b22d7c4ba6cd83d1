import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, HearthClient, PASSWORD, type Team } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { postConcurrently } from './helpers.ts';

/** An acknowledged post survives the server being killed with SIGKILL right after the acknowledgement. */

const POSTERS = 4;
const PER_POSTER = 50;

describe('durability of acknowledged posts', () => {
  let hearth: Hearth;
  let team: Team;

  before(async () => {
    hearth = await startHearth();
    team = await createTeam(hearth.url, POSTERS - 1);
  });
  after(async () => {
    await hearth?.stop();
  });

  it(`${POSTERS * PER_POSTER} acknowledged messages are all there after kill -9 and a restart on the same data dir`, async () => {
    const roomId = (await team.admin.roomNamed(DEFAULT_ROOM)).id;
    const posters = [team.admin, ...team.members].map((client, i) => ({ client, count: PER_POSTER, prefix: `poster${i}` }));
    const acknowledged = await postConcurrently(roomId, posters);
    await hearth.kill9();
    assert.equal(acknowledged.length, POSTERS * PER_POSTER);

    await hearth.restart();
    const reader = new HearthClient(hearth.url);
    await reader.signIn('ada@example.com', PASSWORD);
    const first = await reader.messages(roomId, { after: 0, limit: 100 });
    const second = await reader.messages(roomId, { after: first.at(-1)?.seq ?? 0, limit: 100 });
    const third = await reader.messages(roomId, { after: second.at(-1)?.seq ?? 0, limit: 100 });
    assert.equal(first.length, 100);
    assert.equal(second.length, 100);
    assert.equal(third.length, 0, 'nothing beyond the acknowledged messages');

    const stored = [...first, ...second];
    assert.deepEqual(
      stored.map((m) => [m.id, m.seq, m.clientMessageId, m.body, m.authorId]),
      acknowledged.map((m) => [m.id, m.seq, m.clientMessageId, m.body, m.authorId]),
      'every acknowledged message, in seq order, with its clientMessageId',
    );
    for (const [i] of posters.entries()) {
      const own = stored.filter((m) => m.clientMessageId.startsWith(`poster${i}-`)).map((m) => m.clientMessageId);
      assert.deepEqual(own, Array.from({ length: PER_POSTER }, (_, k) => `poster${i}-${k + 1}`), `poster ${i}'s messages in the order posted`);
    }
  });
});
