import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EphemeralSignal, RoomEvent } from '../domain/events.ts';
import { newId } from '../ids.ts';
import type { Bus, CommandRequest } from './bus.ts';
import { eventually, roomEvent, seqsOf } from './bus-test-support.ts';

/**
 * How long to wait for delivery that may cross a network: a replicated stream on a loaded machine
 * (the whole unit suite at once on 2 cores) may be slow to serve a new consumer's first pull.
 */
const DELIVERY_MS = 15_000;
/** How long to give a delivery that must not happen the chance to show up. */
const SETTLE_MS = 100;

/**
 * The behaviour every Bus must show, through the interface only. `open` returns a
 * fresh bus per test; room ids are unique per test, so a shared durable stream is fine.
 */
export function runBusContract(label: string, open: () => Promise<Bus>): void {
  describe(`Bus contract: ${label}`, () => {
    let bus: Bus;

    beforeEach(async () => {
      bus = await open();
    });

    afterEach(async () => {
      await bus.close();
    });

    describeCommands(() => bus);
    describeRoomEvents(() => bus);
    describeReplay(() => bus);
    describeSignalsAndLifecycle(() => bus);
  });
}

function describeCommands(bus: () => Bus): void {
  it('round-trips a request with its payload, traceparent and origin', async () => {
    const seen: CommandRequest[] = [];
    bus().handleCommands(async (request) => {
      seen.push(request);
      return { ok: true, result: { echoed: request.payload } };
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const origin = { ip: '203.0.113.7', userAgent: 'Firefox/140' };
    const reply = await bus().request({ name: 'message.post', payload: { body: 'hi', n: 1 }, traceparent, origin });
    assert.deepEqual(reply, { ok: true, result: { echoed: { body: 'hi', n: 1 } } });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.name, 'message.post');
    assert.deepEqual(seen[0]?.payload, { body: 'hi', n: 1 });
    assert.equal(seen[0]?.traceparent, traceparent);
    // The audit log records where a command came from, so the origin must survive the bus.
    assert.deepEqual(seen[0]?.origin, origin);
    await bus().request({ name: 'message.post', payload: {} });
    assert.equal(seen[1]?.origin, undefined, 'no origin sent, none received');
  });

  it('passes an error reply through as ok: false', async () => {
    const error = { code: 'room_not_found', message: 'no such room', field: 'roomId' };
    bus().handleCommands(async () => ({ ok: false, error }));
    const reply = await bus().request({ name: 'message.post', payload: {} });
    assert.deepEqual(reply, { ok: false, error });
  });

  it('rejects with unavailable when no handler answers', async () => {
    const started = Date.now();
    await assert.rejects(bus().request({ name: 'message.post', payload: {} }, 200), { name: 'HearthError', code: 'unavailable' });
    assert.ok(Date.now() - started < DELIVERY_MS, 'the request outlived its timeout');
  });
}

function describeRoomEvents(bus: () => Bus): void {
  it('delivers every room event to every subscriber, in order per room', async () => {
    const rooms = [newId(), newId(), newId()];
    const subscribers = [collectRoomEvents(bus()), collectRoomEvents(bus())];
    const published: RoomEvent[] = [];
    for (let i = 0; i < 500; i += 1) {
      const event = roomEvent(rooms[i % 3] ?? '', Math.floor(i / 3) + 1);
      published.push(event);
      await bus().publishRoomEvent(event);
    }
    for (const received of subscribers) {
      await eventually(() => ofRooms(received, rooms).length === 500, DELIVERY_MS);
      for (const roomId of rooms) {
        assert.deepEqual(ofRooms(received, [roomId]), ofRooms(published, [roomId]));
      }
    }
  });

  it('delivers a duplicate (roomId, seq) once', async () => {
    const roomId = newId();
    const received = collectRoomEvents(bus());
    await bus().publishRoomEvent(roomEvent(roomId, 1));
    await bus().publishRoomEvent(roomEvent(roomId, 1));
    await bus().publishRoomEvent(roomEvent(roomId, 2));
    // Per-room order means a duplicate of 1 would arrive before 2.
    await eventually(() => ofRooms(received, [roomId]).length >= 2, DELIVERY_MS);
    assert.deepEqual(seqsOf(ofRooms(received, [roomId])), [1, 2]);
    assert.deepEqual(seqsOf((await bus().replayRoom(roomId, 0, 10)) ?? []), [1, 2]);
  });

  it('delivers an announced event that follows one seen before the stream has it, and once when it does', async () => {
    const roomId = newId();
    const received = collectRoomEvents(bus());
    await bus().publishRoomEvent(roomEvent(roomId, 1));
    await eventually(() => ofRooms(received, [roomId]).length === 1, DELIVERY_MS);
    bus().announceRoomEvent(roomEvent(roomId, 2));
    await eventually(() => ofRooms(received, [roomId]).length === 2, DELIVERY_MS);
    await bus().publishRoomEvent(roomEvent(roomId, 2));
    await bus().publishRoomEvent(roomEvent(roomId, 3));
    await eventually(() => ofRooms(received, [roomId]).length >= 3, DELIVERY_MS);
    await sleep(SETTLE_MS);
    assert.deepEqual(seqsOf(ofRooms(received, [roomId])), [1, 2, 3]);
  });

  it('leaves an announcement out of turn, or of a room not yet seen, to the stream, which delivers in order', async () => {
    const [roomId, unseenRoomId] = [newId(), newId()];
    const received = collectRoomEvents(bus());
    await bus().publishRoomEvent(roomEvent(roomId, 1));
    await eventually(() => ofRooms(received, [roomId]).length === 1, DELIVERY_MS);
    bus().announceRoomEvent(roomEvent(roomId, 3));
    bus().announceRoomEvent(roomEvent(unseenRoomId, 1));
    // A later announcement of the room shows the earlier ones have been handled.
    bus().announceRoomEvent(roomEvent(roomId, 2));
    await eventually(() => ofRooms(received, [roomId]).length === 2, DELIVERY_MS);
    await sleep(SETTLE_MS);
    assert.deepEqual(seqsOf(ofRooms(received, [roomId])), [1, 2], 'seq 3 was announced before 2 followed on');
    assert.deepEqual(ofRooms(received, [unseenRoomId]), []);
    for (const seq of [2, 3]) await bus().publishRoomEvent(roomEvent(roomId, seq));
    await bus().publishRoomEvent(roomEvent(unseenRoomId, 1));
    await eventually(() => ofRooms(received, [roomId]).length >= 3 && ofRooms(received, [unseenRoomId]).length >= 1, DELIVERY_MS);
    await sleep(SETTLE_MS);
    assert.deepEqual(seqsOf(ofRooms(received, [roomId])), [1, 2, 3]);
    assert.deepEqual(seqsOf(ofRooms(received, [unseenRoomId])), [1]);
  });

  it('stops delivering after unsubscribe', async () => {
    const roomId = newId();
    const stays: RoomEvent[] = [];
    const leaves: RoomEvent[] = [];
    bus().subscribeRoomEvents((event) => stays.push(event));
    const subscription = bus().subscribeRoomEvents((event) => leaves.push(event));
    await bus().publishRoomEvent(roomEvent(roomId, 1));
    await eventually(() => ofRooms(leaves, [roomId]).length === 1 && ofRooms(stays, [roomId]).length === 1, DELIVERY_MS);
    subscription.unsubscribe();
    await bus().publishRoomEvent(roomEvent(roomId, 2));
    await eventually(() => ofRooms(stays, [roomId]).length === 2, DELIVERY_MS);
    await sleep(SETTLE_MS);
    assert.deepEqual(seqsOf(ofRooms(leaves, [roomId])), [1]);
  });
}

function describeReplay(bus: () => Bus): void {
  it('replays exactly the events after a seq, in order, up to limit', async () => {
    const roomId = newId();
    const otherRoomId = newId();
    const published = Array.from({ length: 10 }, (_, i) => roomEvent(roomId, i + 1));
    for (const event of published) {
      await bus().publishRoomEvent(event);
      await bus().publishRoomEvent(roomEvent(otherRoomId, event.seq));
    }
    assert.deepEqual(await bus().replayRoom(roomId, 4, 100), published.slice(4));
    assert.deepEqual(await bus().replayRoom(roomId, 0, 3), published.slice(0, 3));
    assert.deepEqual(await bus().replayRoom(roomId, 6, 2), published.slice(6, 8));
    assert.deepEqual(await bus().replayRoom(roomId, 10, 100), []);
  });
}

function describeSignalsAndLifecycle(bus: () => Bus): void {
  it('delivers signals to every subscriber', async () => {
    const userId = newId();
    const first: EphemeralSignal[] = [];
    const second: EphemeralSignal[] = [];
    bus().subscribeSignals((signal) => first.push(signal));
    bus().subscribeSignals((signal) => second.push(signal));
    const signal: EphemeralSignal = { type: 'typing', roomId: newId(), userId, at: new Date().toISOString() };
    await bus().publishSignal(signal);
    await eventually(() => first.length > 0 && second.length > 0, DELIVERY_MS);
    assert.deepEqual(first, [signal]);
    assert.deepEqual(second, [signal]);
  });

  it('answers ping while open', async () => {
    await bus().ping();
  });

  it('rejects requests and publishes once closed; closing twice is fine', async () => {
    bus().handleCommands(async () => ({ ok: true, result: null }));
    await bus().close();
    await bus().close();
    const unavailable = { name: 'HearthError', code: 'unavailable' };
    await assert.rejects(bus().request({ name: 'message.post', payload: {} }, 200), unavailable);
    await assert.rejects(bus().publishRoomEvent(roomEvent(newId(), 1)), unavailable);
  });
}

function collectRoomEvents(bus: Bus): RoomEvent[] {
  const received: RoomEvent[] = [];
  bus.subscribeRoomEvents((event) => received.push(event));
  return received;
}

/** A shared durable stream may carry other tests' rooms; each test looks only at its own. */
function ofRooms(events: readonly RoomEvent[], roomIds: readonly string[]): RoomEvent[] {
  return events.filter((event) => roomIds.includes(event.roomId));
}
