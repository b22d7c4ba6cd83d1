import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { createdMessages, range, seqsOf, sleep } from './helpers.ts';
import type { Message } from './protocol.ts';
import type { RealtimeStream, Transport } from './realtime.ts';

/** A client that reconnects with the last sequence it applied gets exactly what it missed, in order, then live events. */

const MISSED = 50;

describe('resume after a disconnect', () => {
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

  async function postMany(prefix: string, count: number): Promise<Message[]> {
    const posted: Message[] = [];
    for (let i = 1; i <= count; i++) posted.push(await admin.post(roomId, `${prefix} ${i}`, `${prefix}-${i}`));
    return posted;
  }

  /** Connected, sees one message, disconnects: returns the last sequence applied. */
  async function connectSeeOneAndLeave(transport: Transport, prefix: string): Promise<number> {
    const stream = bob.connect(transport);
    try {
      await stream.ready;
      const first = await admin.post(roomId, `${prefix} before the gap`, `${prefix}-before`);
      await stream.waitForSeq(roomId, first.seq);
      const lastSeq = stream.lastSeq(roomId);
      assert.equal(lastSeq, first.seq);
      return first.seq;
    } finally {
      await stream.close();
    }
  }

  async function assertCatchUpThenLive(stream: RealtimeStream, lastSeq: number, missed: readonly Message[], prefix: string): Promise<void> {
    const ready = await stream.ready;
    assert.equal(stream.frames[0]?.type, 'ready', 'ready comes first');
    assert.equal(ready.rooms[roomId], lastSeq, 'a resumed room continues from the sequence given');
    await stream.waitForSeq(roomId, missed.at(-1)!.seq, 10_000);
    const caughtUp = stream.roomEvents(roomId);
    assert.deepEqual(seqsOf(caughtUp), range(lastSeq + 1, lastSeq + missed.length), 'exactly the missed sequences, in order');
    assert.deepEqual(
      createdMessages(caughtUp).map((m) => m.clientMessageId),
      missed.map((m) => m.clientMessageId),
      'exactly the missed messages',
    );

    const live = await admin.post(roomId, `${prefix} live`, `${prefix}-live`);
    await stream.waitForSeq(roomId, live.seq);
    await sleep(200); // a duplicate would arrive by now
    const all = stream.roomEvents(roomId);
    assert.deepEqual(seqsOf(all), range(lastSeq + 1, live.seq), 'live events continue after the catch-up, none twice');
    assert.equal(createdMessages(all).at(-1)?.clientMessageId, `${prefix}-live`);
  }

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    it(`over ${transport}: reconnecting with resume {room: lastSeq} replays the ${MISSED} missed messages, then live ones`, async () => {
      const lastSeq = await connectSeeOneAndLeave(transport, transport);
      const missed = await postMany(`${transport}-missed`, MISSED);
      assert.deepEqual(seqsOf(missed), range(lastSeq + 1, lastSeq + MISSED));

      const stream = bob.connect(transport, { resume: { [roomId]: lastSeq } });
      try {
        await assertCatchUpThenLive(stream, lastSeq, missed, `${transport}-resumed`);
      } finally {
        await stream.close();
      }
    });
  }

  it('over SSE: Last-Event-ID (as EventSource sends on reconnect) resumes that room from its sequence', async () => {
    const lastSeq = await connectSeeOneAndLeave('sse', 'last-event-id');
    const missed = await postMany('last-event-id-missed', 10);
    const stream = bob.connectSse({ lastEventId: `${roomId}:${lastSeq}` });
    try {
      await assertCatchUpThenLive(stream, lastSeq, missed, 'last-event-id');
    } finally {
      await stream.close();
    }
  });

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    it(`over ${transport}: several rooms resume each from its own sequence; a room not listed starts live`, async () => {
      const second = (await admin.createRoom('closed', `Second ${transport}`, [bob.userId])).id;
      const third = (await admin.createRoom('closed', `Third ${transport}`, [bob.userId])).id;
      const from = { [roomId]: (await bob.room(roomId)).lastSeq, [second]: (await bob.room(second)).lastSeq };
      const missed = new Map<string, Message[]>([
        [roomId, []],
        [second, []],
        [third, []],
      ]);
      for (let i = 1; i <= 5; i++) {
        for (const [id, list] of missed) list.push(await admin.post(id, `${transport} ${i}`, `${transport}-multi-${id}-${i}`));
      }
      const thirdLast = missed.get(third)!.at(-1)!.seq;

      const stream = bob.connect(transport, { resume: from });
      try {
        const ready = await stream.ready;
        assert.equal(ready.rooms[third], thirdLast, 'a room not listed continues from its current sequence');
        for (const id of [roomId, second]) {
          await stream.waitForSeq(id, missed.get(id)!.at(-1)!.seq);
          assert.deepEqual(seqsOf(stream.roomEvents(id)), range(from[id]! + 1, from[id]! + 5), `room ${id}: its missed events, in order`);
        }
        const live = await admin.post(third, 'live in the third room', `${transport}-multi-live`);
        await stream.waitForSeq(third, live.seq);
        assert.deepEqual(seqsOf(stream.roomEvents(third)), [live.seq], 'the unlisted room had no catch-up, then live events');
      } finally {
        await stream.close();
      }
    });
  }
});
