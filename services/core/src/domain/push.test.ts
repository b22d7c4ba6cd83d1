import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushRecipients, type PushTarget } from './push.ts';
import type { Involvement, RoomKind } from './types.ts';

const target = (userId: string, involvement: Involvement, roomKind: RoomKind = 'open'): PushTarget => ({
  userId,
  endpoint: `https://push.example/${userId}`,
  p256dh: 'k',
  auth: 'a',
  involvement,
  roomKind,
});

describe('pushRecipients', () => {
  it('tells "everything" of every message, "mentions" of a mention only, and never the author', () => {
    const targets = [target('author', 'everything'), target('all', 'everything'), target('named', 'mentions'), target('other', 'mentions')];
    const ids = (mentions: string[]) => pushRecipients(targets, { authorId: 'author', mentions }).map((t) => t.userId);
    assert.deepEqual(ids([]), ['all']);
    assert.deepEqual(ids(['named', 'author']), ['all', 'named']);
  });

  it('takes every message of a direct room as addressed to its members, unless they asked for nothing', () => {
    const targets = [target('a', 'mentions', 'direct'), target('b', 'nothing', 'direct'), target('c', 'invisible', 'direct')];
    assert.deepEqual(
      pushRecipients(targets, { authorId: 'x', mentions: [] }).map((t) => t.userId),
      ['a'],
    );
  });
});
