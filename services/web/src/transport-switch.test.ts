/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { ServerFrame } from './api-types.ts';
import { createConnection, type ConnectionStatus } from './connection.ts';
import { FakeEventSource, FakeSocket } from './socket-fakes.ts';
import { openSseSocket } from './sse-socket.ts';
import { createdEvent, messageFixture } from './test-fixtures.ts';
import type { Transport } from './transport-choice.ts';
import { createTransportSwitch } from './transport-switch.ts';

/**
 * The connection with the transport switch, a fake WebSocket and the real SSE socket on a fake
 * EventSource, against a fake server that keeps room r1's events and, as Hearth does, sends a
 * (re)connecting client every event after its resume map, then live ones.
 */

const READY: ServerFrame = { type: 'ready', connectionId: 'c1', userId: 'u1', rooms: { r1: 0 }, online: [] };

function fakeServer() {
  let lastSeq = 0;
  let deliver: ((frame: ServerFrame) => void) | null = null;
  const frameOf = (seq: number): ServerFrame => ({ type: 'room.event', event: createdEvent(messageFixture(seq)) });
  function serve(resume: { r1?: number }, send: (frame: ServerFrame) => void): void {
    send(READY);
    for (let seq = (resume.r1 ?? lastSeq) + 1; seq <= lastSeq; seq += 1) send(frameOf(seq));
    deliver = send;
  }
  return {
    /** A message posted: live to the connected client, if any. */
    post(): void {
      lastSeq += 1;
      deliver?.(frameOf(lastSeq));
    },
    acceptWebSocket(socket: FakeSocket): void {
      socket.serverOpens();
      const hello = socket.sent[0] as { resume: { r1?: number } };
      serve(hello.resume, (frame) => socket.serverSends(frame));
    },
    acceptSse(source: FakeEventSource): void {
      serve(source.resume() as { r1?: number }, (frame) => source.serverSends(frame));
    },
    /** The connection is cut: nothing more reaches it. */
    cut(): void {
      deliver = null;
    },
  };
}

function harness() {
  const sockets: FakeSocket[] = [];
  const sources: FakeEventSource[] = [];
  const typed: string[] = [];
  const transports: Transport[] = [];
  const statuses: ConnectionStatus[] = [];
  /** Every r1 event the page was handed, duplicates included: the page keeps what it applied last. */
  const received: number[] = [];
  const calls = { unauthenticated: 0 };
  const openSocket = createTransportSwitch({
    openWebSocket(events) {
      const socket = new FakeSocket(events);
      sockets.push(socket);
      return socket;
    },
    openSse: (events) =>
      openSseSocket(events, {
        openEventSource(url) {
          const source = new FakeEventSource(url);
          sources.push(source);
          return source;
        },
        postTyping: (roomId) => void typed.push(roomId),
        defer: queueMicrotask,
      }),
    now: Date.now,
    onTransport: (transport) => void transports.push(transport),
  });
  const connection = createConnection(
    {
      resume: () => ({ r1: Math.max(0, ...received) }),
      onFrame: (frame) => (frame.type === 'room.event' ? received.push(frame.event.seq) : undefined),
      onStatus: (status) => void statuses.push(status),
      onUnauthenticated: () => (calls.unauthenticated += 1),
    },
    { openSocket, watchOnline: () => () => undefined, random: () => 0.5 },
  );
  return { connection, sockets, sources, typed, transports, statuses, received, calls, server: fakeServer() };
}

/** Lets the SSE socket open: it says it is open in a microtask, once the connection holds it. */
const opened = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] }));
afterEach(() => mock.timers.reset());

test('upgrades refused twice: SSE, resuming from where the page is; messages posted meanwhile arrive once, in order', async () => {
  const h = harness();
  h.connection.start();
  h.sockets[0]!.serverCloses(1006);
  mock.timers.tick(250);
  h.server.post();
  h.sockets[1]!.serverCloses(1006);
  h.server.post();
  mock.timers.tick(500);
  await opened();
  assert.equal(h.sockets.length, 2, 'no third WebSocket');
  assert.deepEqual(h.transports, ['websocket', 'websocket', 'sse']);
  assert.deepEqual(h.sources[0]!.resume(), { r1: 0 });
  h.server.acceptSse(h.sources[0]!);
  h.server.post();
  assert.deepEqual(h.received, [1, 2, 3]);
  assert.equal(h.statuses.at(-1), 'open');

  assert.equal(h.connection.send({ type: 'typing', roomId: 'r1' }), true);
  assert.deepEqual(h.typed, ['r1'], 'typing is the POST');
  mock.timers.tick(50_000);
  assert.equal(h.sources.length, 1, 'the ping means nothing on SSE');

  h.server.cut();
  h.sources[0]!.fails();
  assert.equal(h.sources[0]!.closed, true, 'closed, not left to reconnect with Last-Event-ID');
  h.server.post();
  h.server.post();
  mock.timers.tick(250);
  await opened();
  assert.deepEqual(h.transports, ['websocket', 'websocket', 'sse', 'sse'], 'a dropped SSE stream stays on SSE');
  assert.deepEqual(h.sources[1]!.resume(), { r1: 3 });
  h.server.acceptSse(h.sources[1]!);
  h.server.post();
  assert.deepEqual(h.received, [1, 2, 3, 4, 5, 6]);
});

test('a WebSocket dropped three times within a minute: SSE, carrying the resume map across the switch', async () => {
  const h = harness();
  h.connection.start();
  for (let i = 0; i < 3; i += 1) {
    h.server.acceptWebSocket(h.sockets[i]!);
    h.server.post();
    h.server.cut();
    h.sockets[i]!.serverCloses(1006);
    mock.timers.tick(250);
  }
  h.server.post();
  await opened();
  assert.equal(h.sockets.length, 3);
  assert.deepEqual(h.transports, ['websocket', 'websocket', 'websocket', 'sse']);
  assert.deepEqual(h.sources[0]!.resume(), { r1: 3 });
  h.server.acceptSse(h.sources[0]!);
  assert.deepEqual(h.received, [1, 2, 3, 4]);
});

test('a server that closes deliberately (restart) does not push the page off WebSocket', () => {
  const h = harness();
  h.connection.start();
  for (let i = 0; i < 4; i += 1) {
    h.server.acceptWebSocket(h.sockets[i]!);
    h.sockets[i]!.serverCloses(1001);
    mock.timers.tick(250);
  }
  assert.deepEqual(h.transports, ['websocket', 'websocket', 'websocket', 'websocket', 'websocket']);
});

test('SSE refused as well: the server is down, so WebSocket again, and it is used when it comes back', async () => {
  const h = harness();
  h.connection.start();
  h.sockets[0]!.serverCloses(1006);
  mock.timers.tick(250);
  h.sockets[1]!.serverCloses(1006);
  mock.timers.tick(500);
  await opened();
  h.sources[0]!.fails();
  mock.timers.tick(1_000);
  await opened();
  h.sources[1]!.fails();
  mock.timers.tick(2_000);
  assert.deepEqual(h.transports, ['websocket', 'websocket', 'sse', 'sse', 'websocket']);
  h.server.acceptWebSocket(h.sockets[2]!);
  assert.equal(h.statuses.at(-1), 'open');
});

test("SSE's unauthenticated error frame signs the page out, as close code 4001 does", async () => {
  const h = harness();
  h.connection.start();
  h.sockets[0]!.serverCloses(1006);
  mock.timers.tick(250);
  h.sockets[1]!.serverCloses(1006);
  mock.timers.tick(500);
  await opened();
  h.server.acceptSse(h.sources[0]!);
  h.sources[0]!.serverSends({ type: 'error', code: 'unauthenticated', message: 'sign in first' });
  assert.equal(h.calls.unauthenticated, 1);
  assert.equal(h.statuses.at(-1), 'stopped');
  mock.timers.tick(10_000);
  await opened();
  assert.equal(h.sources.length, 1);
});
