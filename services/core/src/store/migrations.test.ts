import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pendingMigrations, type Migration } from './migrations.ts';

const steps: readonly Migration[] = [
  { id: '0001-a', sql: 'A' },
  { id: '0002-b', sql: 'B' },
  { id: '0003-c', sql: 'C' },
];

describe('pendingMigrations', () => {
  const cases: { name: string; applied: string[]; pending: string[] }[] = [
    { name: 'a new database gets every step, in list order', applied: [], pending: ['0001-a', '0002-b', '0003-c'] },
    { name: 'steps already applied are skipped', applied: ['0001-a'], pending: ['0002-b', '0003-c'] },
    { name: 'a gap is filled, order kept', applied: ['0001-a', '0003-c'], pending: ['0002-b'] },
    { name: 'an up-to-date database gets none', applied: ['0001-a', '0002-b', '0003-c'], pending: [] },
  ];
  for (const { name, applied, pending } of cases) {
    it(name, () => {
      assert.deepEqual(
        pendingMigrations(new Set(applied), steps).map((step) => step.id),
        pending,
      );
    });
  }

  it('refuses a database with a step this build does not know, naming it', () => {
    assert.throws(() => pendingMigrations(new Set(['0001-a', '0009-newer']), steps), /does not know \(0009-newer\); it was written by a newer Hearth/);
  });
});
