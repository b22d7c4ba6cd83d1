import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { medianRun, spreadOf } from './common.ts';

describe('spreadOf', () => {
  it('gives the lowest, the median (the lower middle of an even count) and the highest', () => {
    assert.deepEqual(spreadOf([3, 1, 2]), { min: 1, median: 2, max: 3 });
    assert.deepEqual(spreadOf([4, 1, 3, 2]), { min: 1, median: 2, max: 4 });
    assert.ok(Number.isNaN(spreadOf([]).median));
  });

  it('ranks unknowns last for the median, as medianRun does, and leaves them out of the lowest and highest', () => {
    assert.deepEqual(spreadOf([0.95, Number.NaN, 2.43]), { min: 0.95, median: 2.43, max: 2.43 });
    assert.deepEqual(spreadOf([5, Number.NaN, 1, 3]), { min: 1, median: 3, max: 5 });
    const mostlyUnknown = spreadOf([Number.NaN, 1, Number.NaN]);
    assert.deepEqual([mostlyUnknown.min, mostlyUnknown.max], [1, 1]);
    assert.ok(Number.isNaN(mostlyUnknown.median), 'the middle round measured nothing');
    const rounds = [{ p99: 0.95 }, { p99: null }, { p99: 2.43 }];
    assert.equal(medianRun(rounds, (r) => r.p99).p99, spreadOf(rounds.map((r) => r.p99 ?? Number.NaN)).median);
  });
});

describe('medianRun', () => {
  it('returns the run whose key is the median, ranking unknown keys last', () => {
    const runs = [
      { name: 'slow', p99: 9 },
      { name: 'unknown', p99: null },
      { name: 'fast', p99: 1 },
    ];
    assert.equal(medianRun(runs, (r) => r.p99).name, 'slow');
    assert.equal(medianRun(runs.slice(0, 1), (r) => r.p99).name, 'slow');
    assert.throws(() => medianRun([], () => 1), /no runs/);
  });
});
