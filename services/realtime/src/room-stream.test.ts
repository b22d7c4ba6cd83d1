import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_VERSION, type RoomEvent } from '@hearth/core';
import { RoomStream } from './room-stream.ts';

function event(seq: number): RoomEvent {
  return { v: EVENT_VERSION, type: 'message.deleted', messageId: `m${seq}`, roomId: 'r', seq, at: '2026-01-01T00:00:00.000Z' };
}

function setup(stored: number, afterSeq: number) {
  const log = Array.from({ length: stored }, (_, i) => event(i + 1));
  const sent: number[] = [];
  let loads = 0;
  const stream = new RoomStream('r', afterSeq, {
    load: async (after, limit) => {
      loads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return log.filter((e) => e.seq > after).slice(0, limit);
    },
    send: (e) => sent.push(e.seq),
  });
  return { log, sent, stream, loads: () => loads };
}

describe('RoomStream', () => {
  it('catches up from the store, then delivers what arrived live meanwhile, once each and in order', async () => {
    const { log, sent, stream } = setup(5, 2);
    const caughtUp = stream.catchUp();
    log.push(event(6), event(7));
    await stream.offer(event(7));
    await stream.offer(event(6));
    await stream.offer(event(5));
    await caughtUp;
    assert.deepEqual(sent, [3, 4, 5, 6, 7]);
  });

  it('drops duplicates and stale events', async () => {
    const { sent, stream } = setup(3, 3);
    await stream.catchUp();
    await stream.offer(event(2));
    await stream.offer(event(3));
    assert.deepEqual(sent, []);
  });

  it('fills a gap in live delivery from the store', async () => {
    const { log, sent, stream } = setup(2, 0);
    await stream.catchUp();
    log.push(event(3), event(4));
    await stream.offer(event(4));
    assert.deepEqual(sent, [1, 2, 3, 4]);
  });

  it('pages through a long catch-up', async () => {
    const { sent, stream, loads } = setup(1_200, 0);
    await stream.catchUp();
    assert.equal(sent.length, 1_200);
    assert.equal(sent.at(-1), 1_200);
    assert.equal(loads(), 3);
  });

  it('sends nothing once closed', async () => {
    const { sent, stream } = setup(0, 0);
    await stream.catchUp();
    stream.close();
    await stream.offer(event(1));
    assert.deepEqual(sent, []);
  });
});
