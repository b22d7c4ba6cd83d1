import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { medianRun, spreadOf } from './common.ts';

describe('spreadOf', () => {
  it('gives the lowest, the median (the lower middle of an even count) and the highest, leaving out unknowns', () => {
    assert.deepEqual(spreadOf([3, 1, 2]), { min: 1, median: 2, max: 3 });
    assert.deepEqual(spreadOf([4, 1, 3, 2]), { min: 1, median: 2, max: 4 });
    assert.deepEqual(spreadOf([5, Number.NaN, 1]), { min: 1, median: 1, max: 5 });
    assert.ok(Number.isNaN(spreadOf([]).median));
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
