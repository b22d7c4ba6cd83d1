import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser, type SseEvent } from './sse-parser.ts';

const STREAM =
  ': ping\n\n' +
  'event: ready\ndata: {"type":"ready"}\n\n' +
  'id: room-1:42\r\nevent: room.event\r\ndata: {"a":\r\ndata: 1}\r\n\r\n' +
  'data: no event name\n\n' +
  'event: half';

const WANT: SseEvent[] = [
  { event: 'ready', data: '{"type":"ready"}', id: null },
  { event: 'room.event', data: '{"a":\n1}', id: 'room-1:42' },
  { event: 'message', data: 'no event name', id: 'room-1:42' },
];

describe('the SSE parser', () => {
  it('gives the same events however the text is cut into chunks, and none for comments or an unfinished event', () => {
    for (let size = 1; size <= STREAM.length; size++) {
      const parser = new SseParser();
      const events: SseEvent[] = [];
      for (let at = 0; at < STREAM.length; at += size) events.push(...parser.push(STREAM.slice(at, at + size)));
      assert.deepEqual(events, WANT, `chunks of ${size}`);
    }
  });
});
