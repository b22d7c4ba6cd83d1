import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, type HearthClient } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { range } from './helpers.ts';
import { CLOSE_CODES } from './protocol.ts';
import type { RoomEvent } from './protocol.ts';
import type { SseStream, Transport, WebSocketStream } from './realtime.ts';

/**
 * A client that stops reading is cut off with too_slow (WebSocket: close 4429)
 * once the server's buffer for it passes the limit; reconnecting with resume
 * loses nothing.
 */

const BUFFER_BYTES = 1024 * 1024;
const BODY_CHARS = 200_000;
/** Enough to fill the kernel's socket buffers on both ends and then the server's buffer. */
const POSTS = 100;
const MAX_RESUMES = 20;
/** About 6 MB of catch-up: several times the buffer limit, as after a long disconnect in a busy room. */
const CATCH_UP_POSTS = 600;

describe('a slow consumer', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let roomId: string;

  before(async () => {
    hearth = await startHearth({
      env: {
        HEARTH_CONNECTION_BUFFER_BYTES: String(BUFFER_BYTES),
        HEARTH_MAX_MESSAGE_CHARS: String(BODY_CHARS),
        HEARTH_MAX_BODY_BYTES: String(2 * BODY_CHARS),
      },
    });
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    bob = team.members[0]!;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
  });
  after(async () => {
    await hearth?.stop();
  });

  /** Reconnects with resume until the room reaches lastSeq; returns every room event received, in order. */
  async function catchUp(transport: Transport, fromSeq: number, lastSeq: number): Promise<{ received: RoomEvent[]; rounds: number }> {
    const received: RoomEvent[] = [];
    let applied = fromSeq;
    let round = 0;
    while (applied < lastSeq) {
      round++;
      assert.ok(round <= MAX_RESUMES, `caught up only to ${applied} of ${lastSeq} after ${MAX_RESUMES} resumes`);
      const stream = bob.connect(transport, { resume: { [roomId]: applied } });
      await stream.ready;
      await Promise.race([stream.waitForSeq(roomId, lastSeq, 30_000), stream.closed]);
      await stream.close();
      const events = stream.roomEvents(roomId);
      assert.ok(events.length > 0, `resume round ${round} made progress`);
      received.push(...events);
      applied = events.at(-1)!.seq;
    }
    return { received, rounds: round };
  }

  function connectPausable(transport: Transport): { stream: WebSocketStream | SseStream; pause(): void; resume(): void } {
    if (transport === 'websocket') {
      const stream = bob.connectWebSocket();
      return { stream, pause: () => stream.socket.pause(), resume: () => stream.socket.resume() };
    }
    const stream = bob.connectSse();
    return { stream, pause: () => stream.pause(), resume: () => stream.resume() };
  }

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    let cutOff: { readonly code: number | null; readonly errorCode: string | null } | null = null;

    it(`over ${transport}: a client that stops reading is cut off; a resume from its last applied sequence loses nothing`, { timeout: 90_000 }, async (t) => {
      const { stream, pause, resume } = connectPausable(transport);
      const start = (await stream.ready).rooms[roomId]!;
      pause(); // stop reading: the server's writes pile up
      const body = 'x'.repeat(BODY_CHARS - 20);
      const posted = [];
      for (let i = 1; i <= POSTS; i++) posted.push(await admin.post(roomId, `${i} ${body}`, `slow-${transport}-${i}`));
      const lastSeq = posted.at(-1)!.seq;
      assert.equal(lastSeq, start + POSTS);

      resume(); // read again at once: what the server sent before closing arrives now
      const closed = await stream.closed;
      const error = stream.frames.find((frame) => frame.type === 'error');
      cutOff = { code: closed.code, errorCode: error?.type === 'error' ? error.code : null };
      const applied = stream.lastSeq(roomId)!;
      assert.ok(applied < lastSeq, 'it was cut off before the end');
      assert.deepEqual(
        stream.roomEvents(roomId).map((event) => event.seq),
        range(start + 1, applied),
        'in order up to the cut',
      );

      const { received: rest, rounds } = await catchUp(transport, applied, lastSeq);
      t.diagnostic(`cut off after seq ${applied} of ${lastSeq}; caught up in ${rounds} resume(s)`);
      assert.deepEqual(
        rest.map((event) => event.seq),
        range(applied + 1, lastSeq),
        'the resume brings the rest, in order, none twice',
      );
    });

    it(`over ${transport}: the cut-off is announced as protocol §4.4 says: an error frame too_slow${transport === 'websocket' ? ', then close code 4429' : ', then the end of the response'}`, () => {
      assert.ok(cutOff !== null, 'the previous test ran');
      const expectedCode = transport === 'websocket' ? CLOSE_CODES.too_slow : null;
      assert.deepEqual(cutOff, { code: expectedCode, errorCode: 'too_slow' });
    });
  }

  for (const transport of ['websocket', 'sse'] as const satisfies readonly Transport[]) {
    it(
      `over ${transport}: a client reading at full speed catches up on ${CATCH_UP_POSTS} long messages in one connection, without too_slow`,
      { timeout: 60_000 },
      async () => {
        const from = (await bob.room(roomId)).lastSeq;
        const body = 'y'.repeat(9_990); // near the default 10,000-character limit
        let lastSeq = from;
        for (let i = 1; i <= CATCH_UP_POSTS; i++) lastSeq = (await admin.post(roomId, `${i} ${body}`, `catch-up-${transport}-${i}`)).seq;

        const stream = bob.connect(transport, { resume: { [roomId]: from } });
        try {
          await stream.ready;
          await Promise.race([stream.waitForSeq(roomId, lastSeq, 30_000), stream.closed]);
          const error = stream.frames.find((frame) => frame.type === 'error');
          assert.equal(error, undefined, `cut off after seq ${stream.lastSeq(roomId)} of ${lastSeq}: ${JSON.stringify(error)}`);
          assert.deepEqual(
            stream.roomEvents(roomId).map((event) => event.seq),
            range(from + 1, lastSeq),
          );
        } finally {
          await stream.close();
        }
      },
    );
  }
});
