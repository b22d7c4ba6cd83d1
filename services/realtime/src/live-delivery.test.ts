import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EVENT_VERSION, type RoomEvent } from '@hearth/core';
import { LiveDelivery, type DeliveredBatch, type LiveTarget } from './live-delivery.ts';

function event(roomId: string, seq: number): RoomEvent {
  return { v: EVENT_VERSION, type: 'message.deleted', messageId: `m${seq}`, roomId, seq, at: '2026-01-01T00:00:00.000Z' };
}

/** Records each offerAll call as the seqs it carried; `busyMs` makes each call take that long. */
class Target implements LiveTarget {
  readonly calls: number[][] = [];
  readonly busyMs: number;
  /** How many of each call's events this target says it dropped. */
  readonly drops: number;
  constructor(busyMs = 0, drops = 0) {
    this.busyMs = busyMs;
    this.drops = drops;
  }
  offerAll(events: readonly RoomEvent[]): number {
    this.calls.push(events.map((e) => e.seq));
    const until = performance.now() + this.busyMs;
    while (performance.now() < until);
    return Math.min(this.drops, events.length);
  }
  get seqs(): number[] {
    return this.calls.flat();
  }
}

function setup(rooms: Record<string, Target[]>, delivered: (batch: DeliveredBatch) => void = () => undefined): LiveDelivery {
  return new LiveDelivery({ connectionsIn: (roomId) => rooms[roomId] ?? [], onCatchUp: () => undefined, delivered });
}

/** Lets the delivery run until every target has `count` events, or gives up after many turns. */
async function settle(targets: readonly Target[], count: number): Promise<void> {
  for (let turn = 0; turn < 1_000 && targets.some((t) => t.seqs.length < count); turn++) await nextTurn();
}

describe('LiveDelivery', () => {
  it('sends nothing before the bus has finished handing over, then what arrived together in one call per connection', async () => {
    const a = new Target();
    const b = new Target();
    const delivery = setup({ r: [a, b] });
    delivery.push(event('r', 1));
    delivery.push(event('r', 2));
    delivery.push(event('other', 9));
    assert.deepEqual(a.calls, []);
    await nextTurn();
    assert.deepEqual(a.calls, [[1, 2]]);
    assert.deepEqual(b.calls, [[1, 2]]);
  });

  it('keeps each connection in order when events arrive while a big room is served a slice at a time', async () => {
    const targets = Array.from({ length: 200 }, () => new Target(0.5));
    const delivery = setup({ r: targets });
    delivery.push(event('r', 1));
    await nextTurn(); // one slice has run: some connections have seq 1, the rest wait
    assert.ok(
      targets.some((t) => t.seqs.length === 0),
      'the first batch was cut into slices',
    );
    delivery.push(event('r', 2));
    delivery.push(event('r', 3));
    await settle(targets, 3);
    for (const target of targets) assert.deepEqual(target.seqs, [1, 2, 3]);
  });

  it('reports each room batch once it has reached every connection, with the frames its connections dropped', async () => {
    const reported: DeliveredBatch[] = [];
    const delivery = setup({ r: [new Target(), new Target(0, 1), new Target(0, 2)], empty: [] }, (batch) => reported.push(batch));
    delivery.push(event('r', 1));
    delivery.push(event('r', 2));
    delivery.push(event('empty', 1));
    await nextTurn();
    const summary = reported.map(({ events, connections, dropped }) => ({ room: events[0]?.roomId, events: events.length, connections, dropped }));
    assert.deepEqual(summary, [
      { room: 'r', events: 2, connections: 3, dropped: 3 },
      { room: 'empty', events: 1, connections: 0, dropped: 0 },
    ]);
  });

  it('knows how far a room went out only while it has connections, and only once a batch has taken them', async () => {
    const rooms: Record<string, Target[]> = { r: [new Target()] };
    const delivery = setup(rooms);
    assert.equal(delivery.passedSeq('r'), undefined);
    delivery.push(event('r', 4));
    delivery.push(event('r', 5));
    // Waiting events have not taken their connections yet: one that joins now still gets them.
    assert.equal(delivery.passedSeq('r'), undefined);
    await nextTurn();
    assert.equal(delivery.passedSeq('r'), 5);
    rooms['r'] = [];
    delivery.push(event('r', 6));
    await nextTurn();
    // Seq 6 went to nobody: a room without connections answers nothing rather than an old seq.
    assert.equal(delivery.passedSeq('r'), undefined);
  });

  it('sends nothing once closed', async () => {
    const a = new Target();
    const delivery = setup({ r: [a] });
    delivery.push(event('r', 1));
    delivery.close();
    delivery.push(event('r', 2));
    await nextTurn();
    await nextTurn();
    assert.deepEqual(a.calls, []);
  });
});
