import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from './clock.ts';
import { createKeyQueue } from './key-queue.ts';
import { createWorkQueue, Failure, settleReconcile, type ReconcileOutcome, type ReconcileResult, type Settlement } from './work-queue.ts';

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
/** Lets every pending microtask and I/O callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('work queue', () => {
  it('processes a key queued several times once', async () => {
    const processed: string[] = [];
    const queue = createWorkQueue({ reconcile: async (key) => void processed.push(key), clock: createManualClock() });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    assert.equal(queue.depth(), 2);
    await queue.whenIdle();
    assert.deepEqual(processed, ['ns/a', 'ns/b']);
  });

  it('never reconciles one key twice at once, and re-runs a key added while in flight', async () => {
    const active = new Map<string, number>();
    let most = 0;
    let mostOverall = 0;
    let overall = 0;
    const runs = new Map<string, number>();
    const queue = createWorkQueue({
      workers: 4,
      clock: createManualClock(),
      reconcile: async (key) => {
        const now = (active.get(key) ?? 0) + 1;
        active.set(key, now);
        overall += 1;
        most = Math.max(most, now);
        mostOverall = Math.max(mostOverall, overall);
        runs.set(key, (runs.get(key) ?? 0) + 1);
        for (let i = 0; i < 1 + Math.floor(Math.random() * 3); i++) await settle();
        active.set(key, (active.get(key) ?? 1) - 1);
        overall -= 1;
      },
    });
    const keys = ['a', 'b', 'c'];
    for (let round = 0; round < 200; round++) {
      queue.add(keys[round % keys.length] as string);
      if (round % 7 === 0) await settle();
    }
    await queue.whenIdle();
    assert.equal(most, 1, 'no key ran concurrently with itself');
    assert.ok(mostOverall > 1, 'different keys ran side by side');
    for (const key of keys) assert.ok((runs.get(key) ?? 0) >= 2);

    // In flight, then added twice: exactly one more run, after the first.
    const release = gate();
    const order: string[] = [];
    const single = createWorkQueue({
      clock: createManualClock(),
      reconcile: async (key) => {
        order.push(`start ${key}`);
        if (order.length === 1) await release.promise;
        order.push(`end ${key}`);
      },
    });
    single.add('x');
    await settle();
    single.add('x');
    single.add('x');
    assert.equal(single.inFlight(), 1);
    assert.equal(single.depth(), 0, 'the key waits for its own reconcile, not in the ready queue');
    release.open();
    await single.whenIdle();
    assert.deepEqual(order, ['start x', 'end x', 'start x', 'end x']);
  });

  it('backs off exponentially with jitter on failure, caps, and resets on success', async () => {
    const clock = createManualClock();
    let failuresLeft = 3;
    const delays: number[] = [];
    const queue = createWorkQueue({
      clock,
      random: () => 0.5, // the middle of the jitter band: delays are exact
      backoff: { baseMs: 100, capMs: 1_000, jitter: 0.2 },
      metrics: { retried: (_key, delay) => delays.push(delay) },
      reconcile: async () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('not yet');
        }
      },
    });
    queue.add('k');
    await queue.whenIdle();
    assert.equal(queue.failures('k'), 1);
    assert.equal(queue.delayed(), 1);
    clock.advance(99);
    await settle();
    assert.equal(queue.failures('k'), 1, 'not retried before its delay');
    clock.advance(1);
    await queue.whenIdle();
    assert.equal(queue.failures('k'), 2);
    clock.advance(200);
    await queue.whenIdle();
    assert.equal(queue.failures('k'), 3);
    clock.advance(400);
    await queue.whenIdle();
    assert.equal(queue.failures('k'), 0, 'a success resets the count');
    assert.deepEqual(delays, [100, 200, 400]);

    failuresLeft = 8;
    queue.add('k');
    for (let i = 0; i < 8; i++) {
      await queue.whenIdle();
      clock.advance(1_000);
    }
    await queue.whenIdle();
    assert.deepEqual(delays.slice(3), [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000], 'starts over at the base, then caps');

    // Jitter spreads the delay around its nominal value.
    const spread = new Set<number>();
    for (const random of [0, 0.25, 0.75, 0.999]) {
      const jittered: number[] = [];
      const q = createWorkQueue({
        clock: createManualClock(),
        random: () => random,
        backoff: { baseMs: 1_000, capMs: 60_000, jitter: 0.2 },
        metrics: { retried: (_key, delay) => jittered.push(delay) },
        reconcile: () => Promise.reject(new Error('no')),
      });
      q.add('j');
      await q.whenIdle();
      spread.add(jittered[0] as number);
      assert.ok((jittered[0] as number) >= 800 && (jittered[0] as number) <= 1_200);
      await q.shutdown();
    }
    assert.equal(spread.size, 4);
  });

  it('adds after a delay, keeps the earliest of several, and honours requeueAfterMs', async () => {
    const clock = createManualClock();
    const processed: Array<[string, number]> = [];
    let answer: ReconcileResult = undefined;
    const queue = createWorkQueue({
      clock,
      reconcile: async (key) => {
        processed.push([key, clock.now()]);
        return answer;
      },
    });
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 300);
    queue.addAfter('a', 2_000);
    queue.addAfter('b', 0); // no delay: at once
    await queue.whenIdle();
    assert.deepEqual(processed, [['b', 0]]);
    clock.advance(299);
    await queue.whenIdle();
    assert.equal(processed.length, 1);
    clock.advance(1);
    await queue.whenIdle();
    assert.deepEqual(processed, [
      ['b', 0],
      ['a', 300],
    ]);
    clock.advance(5_000);
    await queue.whenIdle();
    assert.equal(processed.length, 2, 'the later delays were folded into the earliest');

    answer = { requeueAfterMs: 250 };
    queue.add('c');
    await queue.whenIdle();
    answer = undefined;
    assert.equal(queue.delayed(), 1);
    clock.advance(250);
    await queue.whenIdle();
    assert.deepEqual(processed.slice(-2), [
      ['c', 5_300],
      ['c', 5_550],
    ]);
    assert.equal(queue.delayed(), 0);
  });

  it('shutdown waits for in-flight reconciles, drops waiting keys and refuses new ones', async () => {
    const clock = createManualClock();
    const release = gate();
    const processed: string[] = [];
    const queue = createWorkQueue({
      clock,
      workers: 1,
      reconcile: async (key) => {
        processed.push(key);
        if (key === 'slow') await release.promise;
      },
    });
    queue.add('slow');
    queue.add('waiting');
    queue.addAfter('later', 10);
    await settle();
    let result: unknown = null;
    const done = queue.shutdown({ deadlineMs: 1_000 }).then((value) => (result = value));
    queue.add('refused');
    await settle();
    assert.equal(result, null, 'still waiting for the in-flight reconcile');
    release.open();
    await done;
    assert.deepEqual(result, { drained: true, abandoned: 0 });
    clock.advance(100);
    await settle();
    assert.deepEqual(processed, ['slow']);
    assert.equal(queue.isShuttingDown(), true);
  });

  it('shutdown gives up at its deadline and aborts the reconciles still running', async () => {
    const clock = createManualClock();
    let aborted = false;
    const queue = createWorkQueue({
      clock,
      reconcile: (_key, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    queue.add('stuck');
    await settle();
    const done = queue.shutdown({ deadlineMs: 500 });
    clock.advance(500);
    assert.deepEqual(await done, { drained: false, abandoned: 1 });
    assert.equal(aborted, true);
  });

  it('reports depth, adds, time queued, retries and reconcile durations by outcome', async () => {
    const clock = createManualClock();
    const depths: number[] = [];
    const added: string[] = [];
    const started: Array<[string, number]> = [];
    const reconciled: Array<[string, number, ReconcileOutcome]> = [];
    const errors: unknown[] = [];
    const queue = createWorkQueue({
      clock,
      workers: 1,
      random: () => 0.5,
      backoff: { baseMs: 100_000, capMs: 100_000 },
      metrics: {
        depth: (depth) => depths.push(depth),
        added: (key) => added.push(key),
        started: (key, queuedSeconds) => started.push([key, queuedSeconds]),
        reconciled: (key, seconds, outcome) => reconciled.push([key, seconds, outcome]),
      },
      onError: (_key, error) => errors.push(error),
      reconcile: async (key) => {
        clock.advance(1_500); // the reconcile "takes" 1.5 s
        if (key === 'bad') throw 'a string, not an Error';
        return key === 'again' ? { requeueAfterMs: 60_000 } : undefined;
      },
    });
    queue.add('good');
    queue.add('bad');
    queue.add('again');
    assert.equal(Math.max(...depths), 3);
    await queue.whenIdle();
    assert.equal(depths.at(-1), 0);
    assert.deepEqual(added, ['good', 'bad', 'again']);
    // One worker: each key waits for the reconciles before it (1.5 s each).
    assert.deepEqual(started, [
      ['good', 0],
      ['bad', 1.5],
      ['again', 3],
    ]);
    assert.deepEqual(reconciled, [
      ['good', 1.5, 'success'],
      ['bad', 1.5, 'error'],
      ['again', 1.5, 'requeue'],
    ]);
    assert.deepEqual(errors, ['a string, not an Error']);
    await queue.shutdown();
  });
});

describe('work queue in-flight times', () => {
  it('reports how long each running reconcile has run, and nothing once they finish', async () => {
    const clock = createManualClock();
    const gates = new Map<string, Gate>();
    const queue = createWorkQueue({
      clock,
      workers: 2,
      reconcile: async (key) => {
        const opened = gate();
        gates.set(key, opened);
        await opened.promise;
      },
    });
    assert.deepEqual(queue.inFlightMs(), []);
    queue.add('a');
    await settle();
    clock.advance(1_000);
    queue.add('b');
    await settle();
    clock.advance(500);
    assert.deepEqual(queue.inFlightMs(), [1_500, 500]);
    gates.get('a')?.open();
    await settle();
    assert.deepEqual(queue.inFlightMs(), [500]);
    gates.get('b')?.open();
    await queue.whenIdle();
    assert.deepEqual(queue.inFlightMs(), []);
    await queue.shutdown();
  });
});

describe('settleReconcile', () => {
  const policy = { baseMs: 100, capMs: 1_000, jitter: 0 };
  const random = (): number => 0.5;
  const cases: { name: string; result: ReconcileResult | Failure; failures: number; expected: Settlement }[] = [
    { name: 'a success resets the failures', result: undefined, failures: 3, expected: { outcome: 'success', failures: 0, retryAfterMs: undefined } },
    {
      name: 'requeue-after runs it again after that long',
      result: { requeueAfterMs: 250 },
      failures: 0,
      expected: { outcome: 'requeue', failures: 0, retryAfterMs: 250 },
    },
    {
      name: 'requeue-after 0 is a plain success',
      result: { requeueAfterMs: 0 },
      failures: 0,
      expected: { outcome: 'success', failures: 0, retryAfterMs: undefined },
    },
    {
      name: 'the first failure backs off the base',
      result: new Failure(new Error('x')),
      failures: 0,
      expected: { outcome: 'error', failures: 1, retryAfterMs: 100 },
    },
    {
      name: 'the third failure in a row backs off four times that',
      result: new Failure('thrown text'),
      failures: 2,
      expected: { outcome: 'error', failures: 3, retryAfterMs: 400 },
    },
    { name: 'many failures stay at the cap', result: new Failure(undefined), failures: 40, expected: { outcome: 'error', failures: 41, retryAfterMs: 1_000 } },
  ];
  for (const { name, result, failures, expected } of cases) {
    it(name, () => assert.deepEqual(settleReconcile(result, { failures, policy, random }), expected));
  }
});

describe('key queue', () => {
  it('takes a key added twice once, and a key added while in flight again after it is done', () => {
    const keys = createKeyQueue();
    assert.deepEqual([keys.add('a', 0), keys.add('a', 5), keys.add('b', 10)], ['ready', 'already', 'ready']);
    assert.deepEqual(keys.take(20), { key: 'a', queuedMs: 20, startedAt: 20 });
    assert.equal(keys.add('a', 30), 'after', 'in flight: it waits for its reconcile to end');
    assert.deepEqual([keys.depth(), keys.inFlight(), keys.inFlightSince()], [1, 1, [20]]);
    assert.equal(keys.done('a'), true, 'added meanwhile: ready again');
    assert.deepEqual([keys.take(40)?.key, keys.take(40)], ['b', { key: 'a', queuedMs: 10, startedAt: 40 }]);
    assert.equal(keys.done('b'), false);
    keys.add('c', 50);
    keys.clear();
    assert.deepEqual([keys.depth(), keys.take(60), keys.inFlight()], [0, undefined, 1]);
  });
});
