import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, HearthClient, PASSWORD, type Team } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { createdMessages, postConcurrently, range, seqsOf } from './helpers.ts';
import { CLOSE_CODES } from './protocol.ts';

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
      assert.deepEqual(
        own,
        Array.from({ length: PER_POSTER }, (_, k) => `poster${i}-${k + 1}`),
        `poster ${i}'s messages in the order posted`,
      );
    }
  });

  it('on SIGTERM, streams are told shutting_down (WebSocket close 1001); after the restart they resume with their session and lose nothing', async () => {
    const [bob] = team.members as [HearthClient];
    const roomId = (await bob.roomNamed(DEFAULT_ROOM)).id;
    const ws = bob.connectWebSocket();
    const sse = bob.connectSse();
    await Promise.all([ws.ready, sse.ready]);
    const lastSeq = ws.lastSeq(roomId)!;
    assert.equal(sse.lastSeq(roomId), lastSeq);

    await hearth.stop({ keepData: true });
    for (const stream of [ws, sse]) {
      const error = await stream.waitFor((frame) => frame.type === 'error', 1_000, `${stream.transport} shutting_down`);
      assert.equal(error.type === 'error' && error.code, 'shutting_down');
    }
    assert.equal((await ws.closed).code, CLOSE_CODES.shutting_down);
    await sse.closed;

    await hearth.restart();
    const admin = new HearthClient(hearth.url);
    await admin.signIn('ada@example.com', PASSWORD);
    const missed = [];
    for (let i = 1; i <= 5; i++) missed.push(await admin.post(roomId, `after the restart ${i}`, `restart-${i}`));
    for (const transport of ['websocket', 'sse'] as const) {
      const resumed = bob.connect(transport, { resume: { [roomId]: lastSeq } });
      try {
        await resumed.waitForSeq(roomId, missed.at(-1)!.seq);
        assert.deepEqual(seqsOf(resumed.roomEvents(roomId)), range(lastSeq + 1, missed.at(-1)!.seq), `${transport}: nothing lost, nothing twice`);
        assert.deepEqual(
          createdMessages(resumed.roomEvents(roomId)).map((m) => m.clientMessageId),
          missed.map((m) => m.clientMessageId),
        );
      } finally {
        await resumed.close();
      }
    }
  });
});
