import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, errorOf, type HearthClient } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { sleep } from './helpers.ts';
import { isRoomEvent, type Transport } from './realtime.ts';

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
        assert.ok((await bobStream.ready).rooms[roomId] !== undefined, 'the closed room is in bob\'s stream');
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
        assert.ok(carolStream.roomEvents(roomId).some((event) => event.seq === afterRemoval.seq), 'carol still receives the room');

        const refused = await bob.raw('GET', `/api/rooms/${roomId}/messages`);
        assert.equal(refused.status, 403);
        assert.equal(errorOf(refused)?.code, 'not_a_member');
      } finally {
        await Promise.all([bobStream.close(), carolStream.close()]);
      }
    });
  }
});
