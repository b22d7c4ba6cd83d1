import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterAttempt, afterList, initialLoopState, listDelayAttempt, type AttemptOutcome, type LoopState } from './list-watch-loop.ts';

const state = (needList: boolean, failures: number, goneStreak: number): LoopState => ({ needList, failures, goneStreak });

describe('afterAttempt', () => {
  const cases: { name: string; from: LoopState; outcome: AttemptOutcome; to: LoopState; backOff: number | undefined }[] = [
    { name: 'a healthy watch forgets everything', from: state(false, 3, 2), outcome: 'healthy', to: state(false, 0, 0), backOff: undefined },
    { name: 'a failure backs off for the first time', from: state(false, 0, 0), outcome: 'failed', to: state(false, 1, 0), backOff: 1 },
    { name: 'failures in a row back off longer', from: state(false, 2, 0), outcome: 'failed', to: state(false, 3, 0), backOff: 3 },
    { name: 'a failed LIST still needs a LIST', from: state(true, 0, 1), outcome: 'failed', to: state(true, 1, 1), backOff: 1 },
    { name: 'a watch that ended at once counts as a failure', from: state(false, 1, 0), outcome: 'ended-at-once', to: state(false, 2, 0), backOff: 2 },
    { name: 'Gone: LIST again at once', from: state(false, 0, 0), outcome: 'gone', to: state(true, 0, 1), backOff: undefined },
    { name: 'Gone again: the streak grows', from: state(true, 1, 1), outcome: 'gone', to: state(true, 1, 2), backOff: undefined },
  ];
  for (const { name, from, outcome, to, backOff } of cases) it(name, () => assert.deepEqual(afterAttempt(from, outcome), { state: to, backOff }));
});

describe('listDelayAttempt and afterList', () => {
  const cases: [number, number | undefined][] = [
    [0, undefined],
    [1, undefined],
    [2, 1],
    [5, 4],
  ];
  for (const [goneStreak, expected] of cases)
    it(`after ${goneStreak} Gone in a row: ${String(expected)}`, () => assert.equal(listDelayAttempt(state(true, 0, goneStreak)), expected));

  it('starts by listing, and a LIST forgets the failures but not the Gone streak', () => {
    assert.equal(initialLoopState.needList, true);
    assert.deepEqual(afterList(state(true, 4, 2)), state(false, 0, 2));
  });
});
