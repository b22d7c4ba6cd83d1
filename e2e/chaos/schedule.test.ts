import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKENDS, buildSchedule, countByKind, FAULT_KINDS, seededRandom } from './schedule.ts';

const options = { perKind: 10, seed: 14, processes: 2, maxQuietMs: 1_500 };

describe('buildSchedule', () => {
  it('holds perKind faults of every kind', () => {
    const counts = countByKind(buildSchedule(options).map((fault) => fault.kind));
    assert.deepEqual(Object.keys(counts), [...FAULT_KINDS]);
    for (const kind of FAULT_KINDS) assert.equal(counts[kind], 10, kind);
  });

  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(buildSchedule(options), buildSchedule(options));
    assert.notDeepEqual(
      buildSchedule(options).map((fault) => fault.kind),
      buildSchedule({ ...options, seed: 15 }).map((fault) => fault.kind),
    );
  });

  it('spreads each kind over the run: every kind has a fault in each half', () => {
    const schedule = buildSchedule(options);
    const half = schedule.length / 2;
    for (const kind of FAULT_KINDS) {
      const at = schedule.flatMap((fault, i) => (fault.kind === kind ? [i] : []));
      assert.ok(at[0]! < half && at.at(-1)! >= half, `${kind} at ${at.join(', ')}`);
    }
  });

  it('sends the network faults of each kind to every backend, and service faults to a process that exists', () => {
    const schedule = buildSchedule(options);
    for (const kind of ['latency', 'reset', 'blackhole'] as const) {
      const targets = new Set(schedule.filter((fault) => fault.kind === kind).map((fault) => fault.target));
      assert.deepEqual([...targets].sort(), [...BACKENDS].sort(), kind);
    }
    for (const fault of schedule.filter((f) => f.kind.startsWith('kill9-') || f.kind.startsWith('pause-'))) assert.ok(fault.target === 0 || fault.target === 1);
    for (const fault of schedule.filter((f) => f.kind.startsWith('restart-'))) assert.equal(`restart-${String(fault.target)}`, fault.kind);
    for (const fault of schedule) assert.ok(fault.quietMs >= 0 && fault.quietMs <= 1_500);
  });

  it('sends even one network fault of each kind to a different backend', () => {
    const schedule = buildSchedule({ ...options, perKind: 1 });
    const targets = schedule.filter((fault) => ['latency', 'reset', 'blackhole'].includes(fault.kind)).map((fault) => fault.target);
    assert.deepEqual([...targets].sort(), [...BACKENDS].sort());
  });

  it('refuses a count of faults that is not a whole number of at least 1, naming it', () => {
    assert.throws(() => buildSchedule({ ...options, perKind: 0 }), /faults per kind must be a whole number of at least 1, not 0/);
    assert.throws(() => buildSchedule({ ...options, processes: 1.5 }), /processes per role .* not 1.5/);
  });
});

describe('seededRandom', () => {
  it('gives floats in [0, 1), the same for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 100; i += 1) {
      const value = a();
      assert.equal(value, b());
      assert.ok(value >= 0 && value < 1);
    }
  });
});
