import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_VERSION, type EphemeralSignal, type RoomEvent } from '../domain/events.ts';
import { HearthError } from '../errors.ts';
import { runBusContract } from './bus-contract.ts';
import { BusLocal } from './bus-local.ts';
import { createBus } from './create-bus.ts';

runBusContract('BusLocal', async () => new BusLocal({ replayLimit: 1_000 }));
runBusContract('createBus({ type: local })', () => createBus({ type: 'local', replayLimit: 1_000 }));

describe('BusLocal', () => {
  describe('replayRoom', () => {
    it('returns null once the log has trimmed past afterSeq + 1', async () => {
      const bus = await publishedBus({ replayLimit: 5 }, 'r', 10);
      assert.equal(await bus.replayRoom('r', 4, 100), null);
      assert.deepEqual(seqsOf(await bus.replayRoom('r', 5, 100)), [6, 7, 8, 9, 10]);
      assert.deepEqual(await bus.replayRoom('r', 10, 100), []);
    });

    it('returns null for a room with nothing published since start, as after a restart', async () => {
      const bus = new BusLocal({ replayLimit: 5 });
      assert.equal(await bus.replayRoom('r', 0, 100), null);
      assert.equal(await bus.replayRoom('r', 40, 100), null);
    });

    it('with replayLimit 0 vouches only for "nothing after the latest"', async () => {
      const bus = await publishedBus({ replayLimit: 0 }, 'r', 3);
      assert.deepEqual(await bus.replayRoom('r', 3, 100), []);
      assert.equal(await bus.replayRoom('r', 2, 100), null);
    });

    it('returns null rather than a run with a gap in it', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      for (const seq of [1, 2, 4]) await bus.publishRoomEvent(roomEvent('r', seq));
      assert.equal(await bus.replayRoom('r', 1, 100), null);
      assert.deepEqual(seqsOf(await bus.replayRoom('r', 3, 100)), [4]);
    });

    it('keeps answering correctly across many trims', async () => {
      const bus = await publishedBus({ replayLimit: 7 }, 'r', 1_000);
      assert.equal(await bus.replayRoom('r', 992, 100), null);
      assert.deepEqual(seqsOf(await bus.replayRoom('r', 993, 3)), [994, 995, 996]);
    });
  });

  describe('room events', () => {
    it('drops a seq below the room latest, so listeners only see seqs rise', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      const seen: number[] = [];
      bus.subscribeRoomEvents((event) => seen.push(event.seq));
      for (const seq of [1, 3, 2, 3, 4]) await bus.publishRoomEvent(roomEvent('r', seq));
      assert.deepEqual(seen, [1, 3, 4]);
    });

    it('keeps order for every listener when a listener publishes during delivery', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      const first: number[] = [];
      const second: number[] = [];
      bus.subscribeRoomEvents((event) => {
        first.push(event.seq);
        if (event.seq === 1) void bus.publishRoomEvent(roomEvent('r', 2));
      });
      bus.subscribeRoomEvents((event) => second.push(event.seq));
      await bus.publishRoomEvent(roomEvent('r', 1));
      assert.deepEqual(first, [1, 2]);
      assert.deepEqual(second, [1, 2]);
    });

    it('a throwing listener does not stop the others, and onError hears of it', async () => {
      const errors: unknown[] = [];
      const bus = new BusLocal({ replayLimit: 10, onError: (error) => errors.push(error) });
      const events: number[] = [];
      const signals: EphemeralSignal[] = [];
      bus.subscribeRoomEvents(() => {
        throw new Error('room listener broke');
      });
      bus.subscribeRoomEvents((event) => events.push(event.seq));
      bus.subscribeSignals(() => {
        throw new Error('signal listener broke');
      });
      bus.subscribeSignals((signal) => signals.push(signal));
      await bus.publishRoomEvent(roomEvent('r', 1));
      await bus.publishRoomEvent(roomEvent('r', 2));
      await bus.publishSignal({ type: 'presence', userId: 'u', online: true, at: '2025-01-01T00:00:00.000Z' });
      assert.deepEqual(events, [1, 2]);
      assert.equal(signals.length, 1);
      assert.deepEqual(
        errors.map((error) => (error as Error).message),
        ['room listener broke', 'room listener broke', 'signal listener broke'],
      );
    });
  });

  describe('request', () => {
    it('never runs the handler inside the caller stack', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      let callerReturned = false;
      bus.handleCommands(async () => ({ ok: true, result: callerReturned }));
      const reply = bus.request({ name: 'x', payload: null });
      callerReturned = true;
      assert.deepEqual(await reply, { ok: true, result: true });
    });

    it('waits for a handler that registers late', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      const reply = bus.request({ name: 'x', payload: 1 }, 1_000);
      setTimeout(() => bus.handleCommands(async (request) => ({ ok: true, result: request.payload })), 20);
      assert.deepEqual(await reply, { ok: true, result: 1 });
    });

    it('rejects with unavailable when the handler does not answer in time', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      bus.handleCommands(() => new Promise(() => {}));
      await assert.rejects(bus.request({ name: 'x', payload: null }, 30), { code: 'unavailable', message: 'no messaging handler answered' });
    });

    it('rejects a request still waiting for a handler when the bus closes', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      const reply = bus.request({ name: 'x', payload: null }, 5_000);
      await bus.close();
      await assert.rejects(reply, { code: 'unavailable' });
    });

    it('turns a thrown error into an error reply', async () => {
      const errors: unknown[] = [];
      const bus = new BusLocal({ replayLimit: 10, onError: (error) => errors.push(error) });
      bus.handleCommands(async (request) => {
        if (request.name === 'known') throw new HearthError('forbidden', 'not yours', { field: 'roomId' });
        throw new Error('boom');
      });
      const known = await bus.request({ name: 'known', payload: null });
      assert.deepEqual(known, { ok: false, error: { code: 'forbidden', message: 'not yours', field: 'roomId' } });
      const unknown = await bus.request({ name: 'other', payload: null });
      assert.equal(unknown.ok ? null : unknown.error.code, 'internal');
      assert.equal(errors.length, 1);
    });

    it('allows one handler at a time, and another after unsubscribe', async () => {
      const bus = new BusLocal({ replayLimit: 10 });
      const first = bus.handleCommands(async () => ({ ok: true, result: 1 }));
      assert.throws(() => bus.handleCommands(async () => ({ ok: true, result: 2 })));
      first.unsubscribe();
      bus.handleCommands(async () => ({ ok: true, result: 3 }));
      first.unsubscribe();
      assert.deepEqual(await bus.request({ name: 'x', payload: null }), { ok: true, result: 3 });
    });
  });

  it('rejects ping, replay and signals once closed', async () => {
    const bus = await publishedBus({ replayLimit: 10 }, 'r', 1);
    await bus.close();
    await assert.rejects(bus.ping(), { code: 'unavailable' });
    await assert.rejects(bus.replayRoom('r', 0, 10), { code: 'unavailable' });
    await assert.rejects(bus.publishSignal({ type: 'user.updated', userId: 'u', at: '2025-01-01T00:00:00.000Z' }), {
      code: 'unavailable',
    });
  });
});

async function publishedBus(options: { replayLimit: number }, roomId: string, count: number): Promise<BusLocal> {
  const bus = new BusLocal(options);
  for (let seq = 1; seq <= count; seq += 1) await bus.publishRoomEvent(roomEvent(roomId, seq));
  return bus;
}

function roomEvent(roomId: string, seq: number): RoomEvent {
  return { v: EVENT_VERSION, type: 'message.deleted', messageId: `m${seq}`, roomId, seq, at: '2025-01-01T00:00:00.000Z' };
}

function seqsOf(events: readonly RoomEvent[] | null): number[] | null {
  return events === null ? null : events.map((event) => event.seq);
}
