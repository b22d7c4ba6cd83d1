/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ServerFrame } from './api-types.ts';
import type { SocketEvents } from './connection.ts';
import { FakeEventSource } from './socket-fakes.ts';
import { openSseSocket, sseUrl, type SseSocketDeps } from './sse-socket.ts';

function harness() {
  const sources: FakeEventSource[] = [];
  const typed: string[] = [];
  const deferred: (() => void)[] = [];
  const heard = { opened: 0, messages: [] as unknown[], closes: [] as number[] };
  const deps: SseSocketDeps = {
    openEventSource(url) {
      const source = new FakeEventSource(url);
      sources.push(source);
      return source;
    },
    postTyping: (roomId) => void typed.push(roomId),
    defer: (task) => void deferred.push(task),
  };
  const events: SocketEvents = {
    onOpen: () => (heard.opened += 1),
    onMessage: (data) => heard.messages.push(JSON.parse(data as string)),
    onClose: (code) => void heard.closes.push(code),
  };
  const socket = openSseSocket(events, deps);
  const runDeferred = (): void => deferred.splice(0).forEach((task) => task());
  return { socket, sources, typed, heard, runDeferred, source: (): FakeEventSource => sources.at(-1)! };
}

const READY: ServerFrame = { type: 'ready', connectionId: 'c1', userId: 'u1', rooms: { r1: 4 }, online: [] };

test('the stream URL carries the resume map as URL-encoded JSON, and nothing when it is empty', () => {
  assert.equal(sseUrl({}), '/api/realtime/sse');
  assert.equal(sseUrl({ r1: 41, 'r/2': 7 }), `/api/realtime/sse?resume=${encodeURIComponent('{"r1":41,"r/2":7}')}`);
});

test('it opens once the caller holds it; hello opens the stream with the resume map, once', () => {
  const h = harness();
  assert.equal(h.socket.isOpen(), false);
  assert.equal(h.heard.opened, 0, 'not before the caller has the socket');
  h.runDeferred();
  assert.equal(h.heard.opened, 1);
  assert.equal(h.socket.isOpen(), true);
  assert.equal(h.sources.length, 0, 'the stream waits for the resume map');
  h.socket.send(JSON.stringify({ type: 'hello', resume: { r1: 3 } }));
  h.socket.send(JSON.stringify({ type: 'hello', resume: { r1: 9 } }));
  assert.deepEqual(
    h.sources.map((s) => s.url),
    [sseUrl({ r1: 3 })],
  );
});

test('its frames reach the caller as WebSocket messages would: the same JSON', () => {
  const h = harness();
  h.runDeferred();
  h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
  const typing: ServerFrame = { type: 'typing', roomId: 'r1', userId: 'u2' };
  h.source().serverSends(READY);
  h.source().serverSends(typing);
  assert.deepEqual(h.heard.messages, [READY, typing]);
});

test('typing becomes the POST; ping means nothing on SSE', () => {
  const h = harness();
  h.runDeferred();
  h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
  h.socket.send(JSON.stringify({ type: 'typing', roomId: 'r1' }));
  h.socket.send(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(h.typed, ['r1']);
  assert.equal(h.sources.length, 1);
});

test('a failed stream is closed, not left to reconnect by itself, and reported as an abnormal close', () => {
  const h = harness();
  h.runDeferred();
  h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
  h.source().serverSends(READY);
  h.source().fails();
  assert.equal(h.source().closed, true);
  assert.deepEqual(h.heard.closes, [1006]);
  assert.equal(h.socket.isOpen(), false);
});

test("an error frame is handed on, then ends the socket with the WebSocket's close code for it", () => {
  for (const [code, close] of [
    ['unauthenticated', 4001],
    ['too_slow', 4429],
    ['shutting_down', 1001],
    ['unavailable', 1013],
  ] as const) {
    const h = harness();
    h.runDeferred();
    h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
    h.source().serverSends({ type: 'error', code, message: '…' });
    assert.deepEqual(h.heard.messages, [{ type: 'error', code, message: '…' }]);
    assert.deepEqual(h.heard.closes, [close], code);
    assert.equal(h.source().closed, true);
  }
});

test('closed by the caller: the stream closes and nothing more is heard, not even a close', () => {
  const h = harness();
  h.runDeferred();
  h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
  const source = h.source();
  h.socket.close(4000, 'resync');
  assert.equal(source.closed, true);
  source.lateEvent(READY);
  assert.deepEqual(h.heard.messages, []);
  assert.deepEqual(h.heard.closes, []);
});

test('closed before it opened: it never opens, and hello opens no stream', () => {
  const h = harness();
  h.socket.close(1000, 'signed out');
  h.runDeferred();
  assert.equal(h.heard.opened, 0);
  h.socket.send(JSON.stringify({ type: 'hello', resume: {} }));
  assert.equal(h.sources.length, 0);
});
