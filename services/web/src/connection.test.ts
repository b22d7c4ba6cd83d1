/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { realtimeUrl, reconnectDelay } from './realtime.ts';

test('reconnect back-off doubles from 250 ms and stops at 5 s', () => {
  const middle = (): number => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 10, 50].map((a) => reconnectDelay(a, middle)),
    [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
  assert.ok(reconnectDelay(20, () => 1) <= 5000);
});

test('the stream URL follows the page scheme', () => {
  assert.equal(realtimeUrl({ protocol: 'https:', host: 'chat.example.com' }), 'wss://chat.example.com/api/realtime/ws');
  assert.equal(realtimeUrl({ protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/api/realtime/ws');
});
