/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { ServerFrame } from './api-types.ts';
import { createConnection, realtimeUrl, reconnectDelay, type ConnectionStatus } from './connection.ts';
import { FakeSocket } from './socket-fakes.ts';

const READY: ServerFrame = { type: 'ready', connectionId: 'c1', userId: 'u1', rooms: {}, online: [] };

function harness() {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const frames: ServerFrame[] = [];
  const calls = { unauthenticated: 0, abnormal: 0, unwatched: 0 };
  let online: (() => void) | null = null;
  let resume: Record<string, number> = { r1: 3 };
  const connection = createConnection(
    {
      resume: () => resume,
      onFrame: (frame) => frames.push(frame),
      onStatus: (status) => statuses.push(status),
      onUnauthenticated: () => (calls.unauthenticated += 1),
      onAbnormalClose: () => (calls.abnormal += 1),
    },
    {
      openSocket(events) {
        const socket = new FakeSocket(events);
        sockets.push(socket);
        return socket;
      },
      watchOnline(listener) {
        online = listener;
        return () => (calls.unwatched += 1);
      },
      random: () => 0.5,
    },
  );
  const last = (): FakeSocket => sockets.at(-1)!;
  return { connection, sockets, statuses, frames, calls, last, goOnline: () => online?.(), setResume: (r: Record<string, number>) => (resume = r) };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
afterEach(() => mock.timers.reset());

test('reconnect back-off doubles from 250 ms and stops at 5 s', () => {
  const middle = (): number => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 10, 50].map((a) => reconnectDelay(a, middle)),
    [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
});

test('the stream URL follows the page scheme', () => {
  assert.equal(realtimeUrl({ protocol: 'https:', host: 'chat.example.com' }), 'wss://chat.example.com/api/realtime/ws');
  assert.equal(realtimeUrl({ protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/api/realtime/ws');
});

test('it says hello with the resume map, is open once ready, hands frames on and pings', () => {
  const h = harness();
  h.connection.start();
  assert.deepEqual(h.statuses, ['connecting']);
  assert.equal(h.connection.send({ type: 'ping' }), false, 'nothing is sent before the socket opens');
  h.last().serverOpens();
  h.last().serverSends(READY);
  h.last().serverSends({ type: 'presence', userId: 'u2', online: true });
  h.last().serverSends({ type: 'pong' });
  assert.deepEqual(h.last().sent, [{ type: 'hello', resume: { r1: 3 } }]);
  assert.deepEqual(h.statuses, ['connecting', 'open']);
  assert.deepEqual(
    h.frames.map((f) => f.type),
    ['ready', 'presence', 'pong'],
  );
  mock.timers.tick(50_000);
  assert.deepEqual(h.last().sent.at(-1), { type: 'ping' });
});

test('after a dropped connection it reconnects with back-off, resuming from what it has now', () => {
  const h = harness();
  h.connection.start();
  h.last().serverCloses(1006);
  assert.equal(h.calls.abnormal, 1, 'a 1006 may be a refused upgrade: the caller checks the session');
  assert.deepEqual(h.statuses, ['connecting', 'reconnecting']);
  mock.timers.tick(249);
  assert.equal(h.sockets.length, 1);
  mock.timers.tick(1);
  assert.equal(h.sockets.length, 2);
  h.last().serverCloses(1011);
  mock.timers.tick(499);
  assert.equal(h.sockets.length, 2, 'the second wait is twice the first');
  mock.timers.tick(1);
  h.setResume({ r1: 9 });
  h.last().serverOpens();
  assert.deepEqual(h.last().sent, [{ type: 'hello', resume: { r1: 9 } }]);
  h.last().serverSends(READY);
  h.last().serverCloses(1011);
  mock.timers.tick(250);
  assert.equal(h.sockets.length, 4, 'a ready connection starts the back-off over');
});

test('close code 4001 means signed out: it stops and does not come back', () => {
  const h = harness();
  h.connection.start();
  h.last().serverCloses(4001);
  mock.timers.tick(10_000);
  assert.equal(h.sockets.length, 1);
  assert.equal(h.calls.unauthenticated, 1);
  assert.equal(h.statuses.at(-1), 'stopped');
});

test('resync drops the socket at once, ignores its late frames and reconnects', () => {
  const h = harness();
  h.connection.start();
  const first = h.last();
  first.serverOpens();
  h.connection.resync();
  assert.equal(first.closedWith, 4000);
  first.serverSends(READY);
  assert.deepEqual(h.frames, []);
  mock.timers.tick(0);
  assert.equal(h.sockets.length, 2);
});

test('coming back online reconnects without waiting; stop closes and unsubscribes', () => {
  const h = harness();
  h.connection.start();
  h.last().serverCloses(1011);
  h.goOnline();
  assert.equal(h.sockets.length, 2);
  h.connection.stop();
  assert.equal(h.last().closedWith, 1000);
  assert.equal(h.calls.unwatched, 1);
  assert.equal(h.statuses.at(-1), 'stopped');
  mock.timers.tick(10_000);
  assert.equal(h.sockets.length, 2);
});
