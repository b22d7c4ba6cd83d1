import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@hearth/core';
import { createCoalescingRunner, type CoalescingRunner } from './coalescing-runner.ts';

/** Long enough that no tick comes during a test that does not ask for ticks. */
const NO_TICKS_MS = 60_000;

/** A round that waits at a gate the test opens, counting how often it was called. */
function gatedRounds() {
  const gate = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const state = {
    calls: 0,
    round: async (): Promise<boolean> => {
      state.calls += 1;
      started.resolve();
      await gate.promise;
      return false;
    },
    /** Resolves once a round is waiting at the gate. */
    started: () => started.promise,
    /** Lets the waiting round, and every later one, through. */
    open: () => gate.resolve(),
  };
  return state;
}

/** A promise, and whether it has settled yet, which a test can ask while it waits. */
function watched(promise: Promise<void>): { readonly done: Promise<void>; settled(): boolean } {
  let settled = false;
  const done = promise.finally(() => {
    settled = true;
  });
  return { done, settled: () => settled };
}

function warnings() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('warn', 'messaging', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('createCoalescingRunner', () => {
  const runners: CoalescingRunner[] = [];
  let stopped = false;

  function runner(round: () => Promise<boolean>, intervalMs = NO_TICKS_MS, logger = warnings().logger): CoalescingRunner {
    const created = createCoalescingRunner(round, { intervalMs, logger, what: 'test pass', stopped: () => stopped });
    runners.push(created);
    return created;
  }

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((created) => created.stop()));
    stopped = false;
  });

  it('repeats the round while it answers true, and ends the run when it answers false', async () => {
    const answers = [true, true, false];
    let calls = 0;
    await runner(async () => answers[calls++] ?? false).drain();
    assert.equal(calls, 3);
  });

  it('runs one at a time: kicks during a run ask for exactly one more run after it', async () => {
    const rounds = gatedRounds();
    const running = runner(rounds.round);
    const first = running.drain();
    await rounds.started();
    for (let i = 0; i < 5; i += 1) running.kick();
    assert.equal(rounds.calls, 1, 'no second run beside the first');
    rounds.open();
    await first;
    assert.equal(rounds.calls, 2, 'five kicks, one more run');
  });

  it('has a drain during a run join it: it resolves when the run, and the one more it asked for, have ended', async () => {
    const rounds = gatedRounds();
    const running = runner(rounds.round);
    const first = running.drain();
    await rounds.started();
    const joined = watched(running.drain());
    await sleep(10);
    assert.equal(joined.settled(), false, 'still waiting for the run going on');
    rounds.open();
    await Promise.all([first, joined.done]);
    assert.equal(rounds.calls, 2);
  });

  it('loses no kick that lands as a run ends, however many microtasks after its last round', async () => {
    for (let hops = 0; hops < 12; hops++) {
      let calls = 0;
      const round = (): Promise<boolean> => {
        calls += 1;
        if (calls === 1) {
          let step: Promise<void> = Promise.resolve();
          for (let i = 0; i < hops; i++) step = step.then(() => undefined);
          void step.then(() => tested.kick());
        }
        return Promise.resolve(false);
      };
      const tested = createCoalescingRunner(round, { intervalMs: NO_TICKS_MS, logger: createLogger('silent', 'test'), what: 'test', stopped: () => false });
      await tested.drain();
      await sleep(5);
      await tested.stop();
      assert.equal(calls, 2, `a kick ${hops} microtasks after the round ran no round`);
    }
  });

  it('starts a fresh run when asked after the last one has ended', async () => {
    let calls = 0;
    const running = runner(async () => {
      calls += 1;
      return false;
    });
    await running.drain();
    await running.drain();
    assert.equal(calls, 2);
  });

  it('logs a failed run, resolves its drain, and runs again on the next kick', async () => {
    const { lines, logger } = warnings();
    let calls = 0;
    const running = runner(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('database gone');
        return false;
      },
      NO_TICKS_MS,
      logger,
    );
    await running.drain();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, 'test pass failed; will retry');
    assert.equal((lines[0]?.err as { message?: string } | undefined)?.message, 'database gone');
    await running.drain();
    assert.equal(calls, 2, 'the failure did not wedge it');
    assert.equal(lines.length, 1);
  });

  it('does not start another round once stopped() answers true, and a run asked for then does nothing', async () => {
    let calls = 0;
    const running = runner(async () => {
      calls += 1;
      stopped = true;
      return true;
    });
    await running.drain();
    assert.equal(calls, 1, 'more to do, but stopped');
    await running.drain();
    assert.equal(calls, 1);
  });

  it('runs on its own every intervalMs', async () => {
    let calls = 0;
    runner(async () => {
      calls += 1;
      return false;
    }, 10);
    const deadline = Date.now() + 2_000;
    while (calls < 2 && Date.now() < deadline) await sleep(10);
    assert.ok(calls >= 2, `${calls} runs without a kick`);
  });

  it('stop waits for the run going on to end, and no tick comes after it', async () => {
    const rounds = gatedRounds();
    const running = runner(rounds.round, 10);
    await rounds.started();
    const stopping = watched(running.stop());
    await sleep(30);
    assert.equal(stopping.settled(), false, 'the run has not ended yet');
    rounds.open();
    await stopping.done;
    const calls = rounds.calls;
    await sleep(50);
    assert.equal(rounds.calls, calls, 'no tick after stop');
  });

  it('resolves stop at once when no run is going on', async () => {
    await runner(async () => false).stop();
  });
});
