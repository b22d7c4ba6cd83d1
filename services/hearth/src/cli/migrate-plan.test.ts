import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImportMarker, ImportState } from '@hearth/core';
import { decideCopyStart, pauseReason, type CopyStart, type SourceState } from './migrate-plan.ts';

const AT = '2026-01-01T00:00:00.000Z';
const SOURCE = 'SQLite /data/hearth.db';
const TARGET = 'PostgreSQL db:5432/hearth';
const marker = (fields: Partial<ImportMarker>): ImportState => ({
  hasRecords: true,
  marker: { copiedFrom: SOURCE, finished: true, verifiedAt: null, ...fields },
});
const open: SourceState = { name: SOURCE, pause: null };
const settled: SourceState = { name: SOURCE, pause: { since: AT, reason: pauseReason(TARGET) } };
const leased: SourceState = { name: SOURCE, pause: { since: AT, reason: pauseReason(TARGET), leaseUntil: AT } };
const byAdmin: SourceState = { name: SOURCE, pause: { since: AT, reason: 'maintenance' } };

describe('decideCopyStart', () => {
  const cases: readonly (readonly [string, ImportState, SourceState, CopyStart['kind'], RegExp?])[] = [
    ['an empty target: a fresh copy', { hasRecords: false, marker: null }, open, 'fresh'],
    ['a copy stopped part way (a killed run): resume it', marker({ finished: false }), open, 'resume'],
    ['a copy stopped part way, its lease still running', marker({ finished: false }), leased, 'resume'],
    ['a copy stopped before its first rows were in', { hasRecords: false, marker: { copiedFrom: SOURCE, finished: false, verifiedAt: null } }, open, 'resume'],
    ['a verified copy, the source still paused by this migration: already done', marker({ verifiedAt: AT }), settled, 'done'],
    ['a finished copy never verified (killed, or it failed): reset', marker({}), open, 'reset', /a copy of SQLite \/data\/hearth.db that was never verified/],
    [
      'an unverified copy of another store: reset',
      marker({ copiedFrom: 'SQLite /old/hearth.db', finished: false }),
      open,
      'reset',
      /unverified copy of another store/,
    ],
    ['a verified copy whose source took writes again: refused, it may be in use', marker({ verifiedAt: AT }), open, 'refuse', /writes were opened since/],
    ['a verified copy whose source has a lease again (another run): refused', marker({ verifiedAt: AT }), leased, 'refuse', /writes were opened since/],
    ['a verified copy whose source an administrator paused: refused', marker({ verifiedAt: AT }), byAdmin, 'refuse', /writes were opened since/],
    [
      'a verified copy of another store: refused',
      marker({ copiedFrom: 'SQLite /old/hearth.db', verifiedAt: AT }),
      settled,
      'refuse',
      /verified copy of another store/,
    ],
    ['a store with data of its own: refused', { hasRecords: true, marker: null }, open, 'refuse', /already holds data that hearth migrate did not copy/],
    ['a store loaded by hearth import: refused', marker({ copiedFrom: null }), open, 'refuse', /an import of a file \(hearth import\)/],
    ['an unfinished hearth import: refused, not taken over by a copy', marker({ copiedFrom: null, finished: false }), open, 'refuse', /hearth import/],
  ];
  for (const [what, state, source, kind, why] of cases) {
    it(what, () => {
      const start = decideCopyStart(state, source, TARGET);
      assert.equal(start.kind, kind);
      if (why !== undefined) assert.match('why' in start ? start.why : '', why);
    });
  }
});
