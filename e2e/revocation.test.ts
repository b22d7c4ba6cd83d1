import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, errorOf, HearthClient, PASSWORD } from './client.ts';
import { CLOSE_CODES } from './protocol.ts';
import { startHearth, type Hearth } from './harness.ts';
import { sleep } from './helpers.ts';
import { isRoomEvent, type RealtimeStream, type Transport } from './realtime.ts';

/** A member removed from a closed room hears of it, and then hears nothing more of that room; the others still do. */

describe('membership revocation', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let carol: HearthClient;
  let allTalkId: string;

  before(async () => {
    hearth = await startHearth();
    const team = await createTeam(hearth.url, 2);
    admin = team.admin;
    [bob, carol] = team.members as [HearthClient, HearthClient];
    allTalkId = (await admin.roomNamed(DEFAULT_ROOM)).id;
  });
  after(async () => {
    await hearth?.stop();
  });

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    it(`over ${transport}: the removed member gets membership.removed, then no more events of that room`, async () => {
      const roomId = (await admin.createRoom('closed', `Project ${transport}`, [bob.userId, carol.userId])).id;
      const bobStream = bob.connect(transport);
      const carolStream = carol.connect(transport);
      try {
        assert.ok((await bobStream.ready).rooms[roomId] !== undefined, "the closed room is in bob's stream");
        await carolStream.ready;
        const before = await admin.post(roomId, 'before the removal', `${transport}-before`);
        await Promise.all([bobStream.waitForSeq(roomId, before.seq), carolStream.waitForSeq(roomId, before.seq)]);

        await admin.removeMember(roomId, bob.userId);
        const isRemoval = (frame: Parameters<typeof isRoomEvent>[0]): boolean =>
          isRoomEvent(frame, roomId, 'membership.removed') && frame.event.type === 'membership.removed' && frame.event.userId === bob.userId;
        const removal = await bobStream.waitFor(isRemoval, 5_000, 'membership.removed');
        await carolStream.waitFor(isRemoval, 5_000, 'membership.removed (carol)');
        const removalSeq = removal.type === 'room.event' ? removal.event.seq : -1;

        const afterRemoval = await admin.post(roomId, 'after the removal', `${transport}-after`);
        await carolStream.waitForSeq(roomId, afterRemoval.seq);
        const elsewhere = await admin.post(allTalkId, `still here over ${transport}`, `${transport}-elsewhere`);
        await bobStream.waitForSeq(allTalkId, elsewhere.seq); // bob's stream is alive and ordered, so anything of the room would be here by now
        await sleep(200);

        const bobEvents = bobStream.roomEvents(roomId);
        assert.equal(bobEvents.at(-1)?.type, 'membership.removed', 'membership.removed is the last event of the room bob receives');
        assert.equal(bobEvents.at(-1)?.seq, removalSeq);
        assert.ok(
          carolStream.roomEvents(roomId).some((event) => event.seq === afterRemoval.seq),
          'carol still receives the room',
        );

        const refused = await bob.raw('GET', `/api/rooms/${roomId}/messages`);
        assert.equal(refused.status, 403);
        assert.equal(errorOf(refused)?.code, 'not_a_member');
      } finally {
        await Promise.all([bobStream.close(), carolStream.close()]);
      }
    });
  }

  /** The stream is told unauthenticated and ends (WebSocket: close 4001). */
  async function assertEndedUnauthenticated(stream: RealtimeStream): Promise<void> {
    const error = await stream.waitFor((frame) => frame.type === 'error', 5_000, `${stream.transport}: error unauthenticated`);
    assert.equal(error.type === 'error' && error.code, 'unauthenticated');
    const closed = await stream.closed;
    if (stream.transport === 'websocket') assert.equal(closed.code, CLOSE_CODES.unauthenticated);
  }

  it("signing out ends that session's streams with unauthenticated (4001); another session of the same person goes on", async () => {
    const session1 = new HearthClient(hearth.url);
    await session1.signIn('member1@example.com', PASSWORD);
    const streams = [session1.connectWebSocket(), session1.connectSse()];
    const other = bob.connectWebSocket();
    try {
      await Promise.all([...streams, other].map((stream) => stream.ready));
      await session1.signOut();
      for (const stream of streams) await assertEndedUnauthenticated(stream);
      const message = await admin.post(allTalkId, "bob's other session still hears this", 'after-sign-out');
      await other.waitForSeq(allTalkId, message.seq);
    } finally {
      await Promise.all([...streams, other].map((stream) => stream.close()));
    }
  });

  it('deactivating a person ends their open streams with unauthenticated (4001)', async () => {
    const streams = [carol.connectWebSocket(), carol.connectSse()];
    try {
      await Promise.all(streams.map((stream) => stream.ready));
      const patched = await admin.raw('PATCH', `/api/users/${carol.userId}`, { active: false });
      assert.equal(patched.status, 200, patched.text);
      for (const stream of streams) await assertEndedUnauthenticated(stream);
    } finally {
      await Promise.all(streams.map((stream) => stream.close()));
    }
  });

  it('deactivation ends the session at once: no more posts, no new stream', async () => {
    // Runs right after the deactivation above.
    const before = (await admin.room(allTalkId)).lastSeq;
    const posted = await carol.raw('POST', `/api/rooms/${allTalkId}/messages`, { body: 'after my deactivation', clientMessageId: 'deactivated-1' });
    assert.equal(posted.status, 401, `a deactivated person's post: ${posted.status} ${posted.text}`);
    assert.equal(errorOf(posted)?.code, 'unauthenticated');
    for (const stream of [carol.connectWebSocket(), carol.connectSse()]) {
      const outcome = await Promise.race([
        stream.ready.then(
          () => 'ready',
          () => 'refused',
        ),
        stream.closed.then(() => 'refused'),
      ]);
      await stream.close();
      assert.equal(stream.refused?.status, 401, `a deactivated person's new ${stream.transport} stream: ${outcome}`);
    }
    assert.equal((await admin.room(allTalkId)).lastSeq, before, 'nothing was stored');
  });
});
