import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, type HearthClient, type Team } from '../client.ts';
import { commandsHandledPerConnection } from '../chaos-helpers.ts';
import { createdMessages, postConcurrently, range, seqsOf } from '../helpers.ts';
import { connectSse, connectWebSocket, type RealtimeStream } from '../realtime.ts';
import { startSingleTier, type SingleTier } from '../single-tier.ts';

/**
 * The single tier with two messaging and two realtime processes: commands spread over
 * the `messaging` queue group without breaking the room's sequence, and a client gets
 * the same events in the same order whichever realtime process it is connected to.
 */

const POSTERS = 4;

describe('single tier: two replicas of messaging and of realtime', () => {
  let tier: SingleTier;
  let team: Team;
  let clients: HearthClient[];

  before(async () => {
    tier = await startSingleTier({ replicas: { messaging: 2, realtime: 2, gateway: 1 } });
    team = await createTeam(tier.url, POSTERS - 1);
    clients = [team.admin, ...team.members];
  });
  after(async () => {
    await tier?.stop();
  });

  /** A new open room (every user is a member) and its sequence before anything is posted. */
  async function freshRoom(name: string): Promise<{ roomId: string; base: number }> {
    const room = await team.admin.createRoom('open', name);
    return { roomId: room.id, base: (await team.admin.room(room.id)).lastSeq };
  }

  it('both messaging processes take commands; 4 × 100 concurrent posts get exactly seqs base+1…base+400, once each', async (t) => {
    const PER_POSTER = 100;
    const total = POSTERS * PER_POSTER;
    const { roomId, base } = await freshRoom('Scale out');
    const handledBefore = await commandsHandledPerConnection(tier.nats.monitorUrl);
    assert.equal(handledBefore.size, 2, `two connections in the messaging queue group: ${JSON.stringify([...handledBefore])}`);

    const posters = clients.map((client, i) => ({ client, count: PER_POSTER, prefix: `scale${i}` }));
    const acknowledged = await postConcurrently(roomId, posters);
    assert.equal(acknowledged.length, total);

    const handledAfter = await commandsHandledPerConnection(tier.nats.monitorUrl);
    assert.deepEqual([...handledAfter.keys()].sort(), [...handledBefore.keys()].sort(), 'the same two messaging connections');
    const handled = [...handledAfter].map(([connection, count]) => count - (handledBefore.get(connection) ?? 0));
    assert.equal(
      handled.reduce((sum, count) => sum + count, 0),
      total,
      `every post was one command to one messaging process: ${handled.join(' + ')}`,
    );
    for (const count of handled) assert.ok(count > 0, `each messaging process handled some of the posts: ${handled.join(' + ')}`);
    t.diagnostic(`posts handled per messaging process: ${handled.join(' + ')}`);

    const stored = (await team.admin.allMessages(roomId)).filter((message) => message.seq > base);
    assert.deepEqual(seqsOf(stored), range(base + 1, base + total), 'contiguous seqs, no gap, no duplicate');
    assert.equal(new Set(stored.map((message) => message.clientMessageId)).size, total, 'each clientMessageId stored once');
    assert.deepEqual(
      stored.map((message) => [message.id, message.seq, message.clientMessageId]),
      acknowledged.map((message) => [message.id, message.seq, message.clientMessageId]),
      'what was stored is what was acknowledged',
    );
    assert.equal((await team.admin.room(roomId)).lastSeq, base + total, 'nothing else took a seq');
    for (const [i] of posters.entries()) {
      const own = stored.filter((message) => message.clientMessageId.startsWith(`scale${i}-`)).map((message) => message.clientMessageId);
      assert.deepEqual(
        own,
        range(1, PER_POSTER).map((k) => `scale${i}-${k}`),
        `poster ${i}'s messages in the order posted`,
      );
    }
  });

  it('clients connected to either realtime process (WebSocket and SSE) receive every event of the room in order, exactly once', async () => {
    const PER_POSTER = 50;
    const total = POSTERS * PER_POSTER;
    const { roomId, base } = await freshRoom('Fan out');
    const realtimes = tier.services('realtime');
    assert.equal(realtimes.length, 2);
    // Straight to each process, bypassing nginx; no Origin header, as a non-browser client.
    const streams: { name: string; stream: RealtimeStream }[] = realtimes.flatMap((realtime, r) =>
      clients.flatMap((client, c) => [
        { name: `realtime ${r} websocket client ${c}`, stream: connectWebSocket(realtime.url, { cookie: client.cookieHeader() }) },
        { name: `realtime ${r} sse client ${c}`, stream: connectSse(realtime.url, { cookie: client.cookieHeader() }) },
      ]),
    );
    try {
      for (const { name, stream } of streams) assert.equal((await stream.ready).rooms[roomId], base, `${name} starts from the room's seq`);

      const acknowledged = await postConcurrently(
        roomId,
        clients.map((client, i) => ({ client, count: PER_POSTER, prefix: `fan${i}` })),
      );
      const stored = (await team.admin.allMessages(roomId)).filter((message) => message.seq > base);
      assert.deepEqual(seqsOf(stored), range(base + 1, base + total));
      assert.deepEqual(seqsOf(acknowledged), seqsOf(stored));

      await Promise.all(streams.map(({ stream }) => stream.waitForSeq(roomId, base + total, 30_000)));
      for (const { name, stream } of streams) {
        const events = stream.roomEvents(roomId);
        assert.deepEqual(seqsOf(events), range(base + 1, base + total), `${name}: every seq once, in order`);
        assert.deepEqual(
          createdMessages(events).map((message) => [message.id, message.clientMessageId]),
          stored.map((message) => [message.id, message.clientMessageId]),
          `${name}: the stored messages`,
        );
      }
    } finally {
      await Promise.all(streams.map(({ stream }) => stream.close()));
    }
  });
});
