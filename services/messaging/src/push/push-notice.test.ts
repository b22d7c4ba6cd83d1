import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@hearth/core';
import { noticeOf } from './push-notice.ts';

const message = (overrides: Partial<Message>): Message =>
  ({ id: 'm1', roomId: 'r1', authorId: 'ada', body: 'hi', mentions: [], sound: null, file: null, ...overrides }) as Message;
const names: Record<string, string> = { ada: 'Ada', bob: 'Bob' };
const nameOf = (id: string): string => names[id] ?? 'someone';
const room = { id: 'r1', kind: 'open' as const, name: 'general' };

describe('noticeOf', () => {
  it('titles a room message with its author and room, and shows mentions by name', () => {
    assert.deepEqual(noticeOf(message({ body: 'ping <@bob> and <@zed>' }), room, nameOf), {
      v: 1,
      kind: 'message',
      roomId: 'r1',
      messageId: 'm1',
      title: 'Ada in general',
      body: 'ping @Bob and @someone',
      path: '/rooms/r1',
    });
  });

  it('titles a direct message with its author alone, and words a sound, a file and a long body as a glance', () => {
    const direct = { id: 'd1', kind: 'direct' as const, name: null };
    assert.equal(noticeOf(message({}), direct, nameOf).title, 'Ada');
    assert.equal(noticeOf(message({ body: '/play tada', sound: 'tada' }), room, nameOf).body, 'played tada');
    const file = { id: 'f', name: 'plan.pdf', contentType: 'application/pdf', size: 1, alt: null, image: null } as unknown as Message['file'];
    assert.equal(noticeOf(message({ body: '', file }), room, nameOf).body, 'sent plan.pdf');
    assert.equal(noticeOf(message({ body: 'see', file }), room, nameOf).body, 'see (plan.pdf)');
    const long = noticeOf(message({ body: 'x'.repeat(500) }), room, nameOf).body;
    assert.equal(long.length, 140);
    assert.ok(long.endsWith('…'));
  });
});
