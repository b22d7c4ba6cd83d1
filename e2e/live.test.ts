import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ROOM, HearthClient, PASSWORD } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { createdMessages, postConcurrently, range, seqsOf, sleep } from './helpers.ts';
import type { SseStream, Transport } from './realtime.ts';

/** Two people in the default room see each other's messages live, each room's events in seq order, none missing, none twice. */

const PER_PERSON = 20;

describe('live delivery', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let roomId: string;

  before(async () => {
    hearth = await startHearth();
  });
  after(async () => {
    await hearth?.stop();
  });

  it('first-run setup, then a second person joins with the join link; both are in All Talk', async () => {
    admin = new HearthClient(hearth.url);
    assert.equal((await admin.status()).setUp, false);
    const setup = await admin.setup('Acme', 'Ada Admin', 'ada@example.com', PASSWORD);
    assert.equal(setup.user.role, 'administrator');
    assert.ok(setup.csrfToken.length > 0, 'setup gives a CSRF token');
    assert.equal((await admin.status()).setUp, true);

    const { joinUrl } = await admin.account();
    assert.ok(joinUrl !== undefined && joinUrl.startsWith(`${hearth.url}/join/`), `joinUrl ${joinUrl} is under the public URL`);
    bob = new HearthClient(hearth.url);
    await bob.join(await admin.joinCode(), { name: 'Bob Member', email: 'bob@example.com', password: PASSWORD });
    assert.equal(bob.user?.role, 'member');

    const adminRoom = await admin.roomNamed(DEFAULT_ROOM);
    const bobRoom = await bob.roomNamed(DEFAULT_ROOM);
    assert.equal(adminRoom.id, bobRoom.id);
    assert.equal(adminRoom.kind, 'open');
    assert.deepEqual([...bobRoom.memberIds].sort(), [admin.userId, bob.userId].sort());
    roomId = adminRoom.id;
  });

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    it(`over ${transport}: each sees every message of both, live, in seq order, no gaps, no duplicates`, async () => {
      const streams = [admin.connect(transport), bob.connect(transport)];
      try {
        const readies = await Promise.all(streams.map((stream) => stream.ready));
        const start = (await admin.room(roomId)).lastSeq;
        for (const ready of readies) assert.equal(ready.rooms[roomId], start, 'ready.rooms gives the room sequence the stream continues from');

        const acknowledged = await postConcurrently(roomId, [
          { client: admin, count: PER_PERSON, prefix: `${transport}-ada` },
          { client: bob, count: PER_PERSON, prefix: `${transport}-bob` },
        ]);
        const expected = range(start + 1, start + 2 * PER_PERSON);
        assert.deepEqual(seqsOf(acknowledged), expected, 'acknowledged posts took consecutive sequences');

        for (const stream of streams) await stream.waitForSeq(roomId, start + 2 * PER_PERSON);
        await sleep(200); // anything sent twice would arrive by now
        for (const [i, stream] of streams.entries()) {
          const events = stream.roomEvents(roomId);
          assert.deepEqual(seqsOf(events), expected, `stream ${i}: exact sequence`);
          assert.ok(events.every((event) => event.type === 'message.created' && event.v === 1 && event.roomId === roomId));
          assert.deepEqual(
            createdMessages(events).map((m) => [m.seq, m.clientMessageId, m.body, m.authorId]),
            acknowledged.map((m) => [m.seq, m.clientMessageId, m.body, m.authorId]),
            `stream ${i}: the same messages as acknowledged`,
          );
        }
        if (transport === 'sse') assertSseFraming(streams as SseStream[], roomId);
      } finally {
        await Promise.all(streams.map((stream) => stream.close()));
      }
    });
  }
});

/** Over SSE, event: is the frame type and room events carry id: <roomId>:<seq>. */
function assertSseFraming(streams: readonly SseStream[], roomId: string): void {
  for (const stream of streams) {
    for (const message of stream.messages) {
      const frame = JSON.parse(message.data) as { type: string; event?: { seq: number; roomId: string } };
      assert.equal(message.event, frame.type, 'the SSE event name is the frame type');
      if (frame.event !== undefined) assert.equal(message.id, `${frame.event.roomId}:${frame.event.seq}`);
    }
    assert.ok(stream.messages.some((message) => message.id?.startsWith(`${roomId}:`)));
  }
}
