import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { done, proceed, requeue, runSteps, toReconcileResult, type ReconcileStep, type StepResult } from './reconcile-step.ts';

/** A step that notes its name in the state and answers `result`. */
const step =
  (name: string, result: StepResult): ReconcileStep<string[]> =>
  async (ran) => {
    ran.push(name);
    return result;
  };

describe('runSteps', () => {
  const cases: { name: string; steps: [string, StepResult][]; ran: string[]; result: StepResult }[] = [
    { name: 'no steps: done', steps: [], ran: [], result: done },
    {
      name: 'every step continues: done at the end',
      steps: [
        ['a', proceed],
        ['b', proceed],
      ],
      ran: ['a', 'b'],
      result: done,
    },
    {
      name: 'a requeue stops the chain there',
      steps: [
        ['a', proceed],
        ['b', requeue(500, 'waiting')],
        ['c', proceed],
      ],
      ran: ['a', 'b'],
      result: requeue(500, 'waiting'),
    },
    {
      name: 'done stops the chain there',
      steps: [
        ['a', done],
        ['b', proceed],
      ],
      ran: ['a'],
      result: done,
    },
    {
      name: 'the first of two waits wins',
      steps: [
        ['a', requeue(1, 'first')],
        ['b', requeue(2, 'second')],
      ],
      ran: ['a'],
      result: requeue(1, 'first'),
    },
  ];
  for (const { name, steps, ran, result } of cases) {
    it(name, async () => {
      const state: string[] = [];
      assert.deepEqual(
        await runSteps(
          state,
          steps.map(([stepName, stepResult]) => step(stepName, stepResult)),
        ),
        result,
      );
      assert.deepEqual(state, ran);
    });
  }

  it('stops on a thrown error, running nothing after it', async () => {
    const state: string[] = [];
    const failing: ReconcileStep<string[]> = () => Promise.reject(new Error('boom'));
    await assert.rejects(runSteps(state, [step('a', proceed), failing, step('c', proceed)]), /boom/);
    assert.deepEqual(state, ['a']);
  });

  it('stops between steps once the signal aborts', async () => {
    const abort = new AbortController();
    const state: string[] = [];
    const aborting: ReconcileStep<string[]> = async (ran) => {
      ran.push('b');
      abort.abort(new Error('deadline'));
      return proceed;
    };
    await assert.rejects(runSteps(state, [step('a', proceed), aborting, step('c', proceed)], abort.signal), /deadline/);
    assert.deepEqual(state, ['a', 'b']);
  });
});

describe('toReconcileResult', () => {
  it('turns a requeue into requeue-after and done into nothing', () => {
    assert.deepEqual(toReconcileResult(requeue(250, 'conflict')), { requeueAfterMs: 250 });
    assert.equal(toReconcileResult(done), undefined);
  });
});
