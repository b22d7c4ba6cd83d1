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

  it("every kind of change takes the room's next sequence and reaches the stream in order", async () => {
    const roomId2 = (await admin.createRoom('closed', 'Changes')).id;
    const stream = admin.connectWebSocket();
    try {
      const start = (await stream.ready).rooms[roomId2]!;
      const message = await admin.post(roomId2, 'first draft', 'changes-1');
      await admin.call('PATCH', `/api/messages/${message.id}`, { body: 'second draft' });
      const boost = await admin.boost(message.id, '🎉');
      await admin.call('DELETE', `/api/boosts/${boost.id}`, undefined, [204]);
      await admin.call('PATCH', `/api/rooms/${roomId2}`, { name: 'Changes, renamed' });
      await admin.addMember(roomId2, bob.userId);
      await admin.removeMember(roomId2, bob.userId);
      await admin.call('DELETE', `/api/messages/${message.id}`);
      const expected = [
        'message.created',
        'message.updated',
        'boost.created',
        'boost.deleted',
        'room.updated',
        'membership.added',
        'membership.removed',
        'message.deleted',
      ];
      await stream.waitForSeq(roomId2, start + expected.length);
      await sleep(100);
      const events = stream.roomEvents(roomId2);
      assert.deepEqual(
        events.map((event) => event.type),
        expected,
      );
      assert.deepEqual(seqsOf(events), range(start + 1, start + expected.length));
      const stored = await admin.message(message.id);
      assert.equal(stored.body, '');
      assert.ok(stored.deletedAt !== null);
      assert.equal(stored.seq, start + 1, 'a message keeps the sequence of the event that created it');
    } finally {
      await stream.close();
    }
  });

  it("typing and presence reach the others: a WebSocket typing frame, an SSE client's POST typing", async () => {
    const otherRoomId = (await admin.createRoom('closed', 'Typing', [bob.userId])).id;
    const adminStream = admin.connectWebSocket();
    try {
      await adminStream.ready;
      const bobWs = bob.connectWebSocket();
      await bobWs.ready;
      await adminStream.waitFor((f) => f.type === 'presence' && f.userId === bob.userId && f.online, 5_000, 'bob online');
      bobWs.send({ type: 'typing', roomId });
      await adminStream.waitFor((f) => f.type === 'typing' && f.userId === bob.userId && f.roomId === roomId, 5_000, 'typing over WebSocket');
      await bobWs.close();
      await adminStream.waitFor((f) => f.type === 'presence' && f.userId === bob.userId && !f.online, 5_000, 'bob offline');

      const before = adminStream.frames.length;
      const bobSse = bob.connectSse();
      try {
        await bobSse.ready;
        // Typing is throttled per user and room (one every 3 s), so this goes to another room.
        const typed = await bob.raw('POST', `/api/rooms/${otherRoomId}/typing`);
        assert.equal(typed.status, 204, typed.text);
        await adminStream.waitFor(
          (f) => f.type === 'typing' && f.userId === bob.userId && f.roomId === otherRoomId && adminStream.frames.indexOf(f) >= before,
          5_000,
          'typing over REST',
        );
      } finally {
        await bobSse.close();
      }
    } finally {
      await adminStream.close();
    }
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
