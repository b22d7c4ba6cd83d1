/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Involvement } from '@hearth/core';
import type { RoomEvent, RoomForMember } from './api-types.ts';
import { FRESH_MS } from './freshness.ts';
import { alertFor, type AlertContext } from './notifications.ts';

const ME = 'me';
const ADA = 'ada';
const NOW = 5_000_000;

const room = (id: string, kind: RoomForMember['kind'], involvement: Involvement): RoomForMember =>
  ({ id, kind, name: kind === 'direct' ? null : `#${id}`, involvement, memberIds: [ME, ADA] }) as unknown as RoomForMember;

const ctx: AlertContext = {
  meId: ME,
  rooms: [room('ops', 'open', 'mentions'), room('all', 'open', 'everything'), room('quiet', 'open', 'nothing'), room('dm', 'direct', 'mentions')],
  readingRoomId: null,
  now: NOW,
  nameOf: (id) => (id === ADA ? 'Ada' : id === ME ? 'Me' : 'Someone'),
  roomName: (r) => r.name ?? 'Ada',
};

interface Extra {
  authorId?: string;
  mentions?: string[];
  sound?: string | null;
  file?: { name: string } | null;
  at?: number;
}

function posted(roomId: string, body: string, extra: Extra = {}): RoomEvent {
  const message = {
    id: `m-${roomId}-${body.length}`,
    roomId,
    authorId: extra.authorId ?? ADA,
    body,
    mentions: extra.mentions ?? [],
    sound: extra.sound ?? null,
    file: extra.file ?? null,
  };
  return { v: 1, type: 'message.created', roomId, seq: 3, at: new Date(extra.at ?? NOW - 100).toISOString(), message } as unknown as RoomEvent;
}

test('a mention tells in a room on "mentions"; a plain message there does not', () => {
  assert.deepEqual(alertFor(posted('ops', `deploy? <@${ME}>`, { mentions: [ME] }), ctx), {
    id: 'm-ops-13',
    roomId: 'ops',
    title: 'Ada in #ops',
    body: 'deploy? @Me',
    mention: true,
  });
  assert.equal(alertFor(posted('ops', 'deploying'), ctx), null);
});

test('a direct room tells of every message, titled by the person; "everything" tells of every message', () => {
  assert.equal(alertFor(posted('dm', 'hi'), ctx)?.title, 'Ada');
  assert.equal(alertFor(posted('dm', 'hi'), ctx)?.mention, true);
  assert.deepEqual(alertFor(posted('all', 'lunch'), ctx)?.mention, false);
});

test('nothing from "nothing", nor one’s own, nor the room being read, nor history, nor other events', () => {
  assert.equal(alertFor(posted('quiet', `<@${ME}>`, { mentions: [ME] }), ctx), null);
  assert.equal(alertFor(posted('dm', 'mine', { authorId: ME }), ctx), null);
  assert.equal(alertFor(posted('dm', 'hi'), { ...ctx, readingRoomId: 'dm' }), null);
  assert.equal(alertFor(posted('dm', 'hi', { at: NOW - FRESH_MS - 1 }), ctx), null);
  assert.equal(alertFor(posted('elsewhere', 'hi'), ctx), null, 'a room not in the list');
  assert.equal(alertFor({ ...posted('dm', 'hi'), type: 'message.updated' } as RoomEvent, ctx), null);
});

test('a sound says what was played; a long body is cut', () => {
  assert.equal(alertFor(posted('dm', '/play tada', { sound: 'tada' }), ctx)?.body, 'played tada');
  const body = alertFor(posted('dm', 'x'.repeat(500)), ctx)?.body ?? '';
  assert.equal(body.length, 140);
  assert.ok(body.endsWith('…'));
});

test('a file is named: alone, or after its caption', () => {
  assert.equal(alertFor(posted('dm', '', { file: { name: 'report.pdf' } }), ctx)?.body, 'sent report.pdf');
  assert.equal(alertFor(posted('dm', 'the numbers', { file: { name: 'report.pdf' } }), ctx)?.body, 'the numbers (report.pdf)');
});
