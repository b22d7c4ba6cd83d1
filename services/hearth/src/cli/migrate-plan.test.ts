import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImportMarker, ImportState } from '@hearth/core';
import { decideCopyStart, needsComparison, type CopyStart } from './migrate-plan.ts';

const AT = '2026-01-01T00:00:00.000Z';
const SOURCE = 'SQLite /data/hearth.db';
const marker = (fields: Partial<ImportMarker>): ImportState => ({
  hasRecords: true,
  marker: { copiedFrom: SOURCE, finished: true, verifiedAt: null, ...fields },
});

describe('decideCopyStart', () => {
  const cases: readonly (readonly [string, ImportState, boolean, CopyStart['kind'], RegExp?])[] = [
    ['an empty target: a fresh copy', { hasRecords: false, marker: null }, false, 'fresh'],
    ['a copy stopped part way (a killed run): resume it', marker({ finished: false }), false, 'resume'],
    [
      'a copy stopped before its first batch committed rows',
      { hasRecords: false, marker: { copiedFrom: SOURCE, finished: false, verifiedAt: null } },
      false,
      'resume',
    ],
    ['a verified copy that matches the source: already done', marker({ verifiedAt: AT }), true, 'done'],
    ['a finished copy never verified (killed, or it failed): reset', marker({}), false, 'reset', /a copy of SQLite \/data\/hearth.db that was never verified/],
    ['an unverified copy, even if it matches', marker({}), true, 'reset'],
    [
      'a verified copy that differs from the source: refused, it may be in use',
      marker({ verifiedAt: AT }),
      false,
      'refuse',
      /verified at .* differs from the source now/,
    ],
    ['a store with data of its own: refused', { hasRecords: true, marker: null }, false, 'refuse', /already holds data that hearth migrate did not copy/],
    ['a store loaded by hearth import: refused', marker({ copiedFrom: null }), false, 'refuse', /an import of a file \(hearth import\)/],
    ['an unfinished hearth import: refused, not resumed by a copy', marker({ copiedFrom: null, finished: false }), false, 'refuse', /hearth import/],
  ];
  for (const [what, state, same, kind, why] of cases) {
    it(what, () => {
      const start = decideCopyStart(state, same);
      assert.equal(start.kind, kind);
      if (why !== undefined) assert.match('why' in start ? start.why : '', why);
    });
  }

  it('compares with the source only for a verified copy', () => {
    assert.equal(needsComparison(marker({ verifiedAt: AT })), true);
    assert.equal(needsComparison(marker({})), false);
    assert.equal(needsComparison(marker({ copiedFrom: null, verifiedAt: AT })), false);
    assert.equal(needsComparison({ hasRecords: false, marker: null }), false);
  });
});
