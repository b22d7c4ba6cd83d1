/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createSendQueue, decideAfterFailure, HELD_RECHECK_MS, type SendQueueOptions } from './send-queue.ts';

interface Item {
  readonly lane: string;
  readonly text: string;
}

const POLICY = { attempts: 3, backoff: { firstMs: 100, maxMs: 1_000 } };
const item = (text: string, lane = 'r1'): Item => ({ lane, text });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A queue whose sends, answers, failures and waits are all written down. */
function harness(send: (item: Item) => Promise<string>, overrides: Partial<SendQueueOptions<Item, string>> = {}) {
  const log = { sent: [] as string[], failed: [] as string[], waits: [] as number[], inFlight: 0, maxInFlight: 0 };
  const queue = createSendQueue<Item, string>({
    laneOf: (i) => i.lane,
    async send(i) {
      log.inFlight += 1;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      try {
        return await send(i);
      } finally {
        log.inFlight -= 1;
      }
    },
    onSent: (_, result) => log.sent.push(result),
    onFailed: (i) => log.failed.push(i.text),
    isRetryable: (error) => error instanceof Error && error.message === 'network',
    retry: POLICY,
    wait: (ms) => {
      log.waits.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    ...overrides,
  });
  return { queue, log };
}

test('after a failure: retry with a doubling wait while tries are left and the error may pass, else give up', () => {
  const cases = [
    { tries: 1, retryable: true, want: { kind: 'retry', afterMs: 100 } },
    { tries: 2, retryable: true, want: { kind: 'retry', afterMs: 200 } },
    { tries: 3, retryable: true, want: { kind: 'give-up' } },
    { tries: 1, retryable: false, want: { kind: 'give-up' } },
    { tries: 3, retryable: true, pausedForMs: 10_000, want: { kind: 'wait', afterMs: 10_000 } },
    // Offline, however many tries were made: the item holds for the connection.
    { tries: 1, retryable: true, offline: true, want: { kind: 'hold', afterMs: HELD_RECHECK_MS } },
    { tries: 9, retryable: true, offline: true, want: { kind: 'hold', afterMs: HELD_RECHECK_MS } },
    { tries: 1, retryable: true, offline: true, pausedForMs: 5_000, want: { kind: 'wait', afterMs: 5_000 } },
  ] as const;
  for (const { tries, retryable, want, ...more } of cases)
    assert.deepEqual(
      decideAfterFailure(tries, { retryable, ...more }, POLICY, () => 0.5),
      want,
      `${tries} tries, retryable ${retryable}`,
    );
});

test('twenty items with shrinking latencies arrive at the server in the order queued, one at a time', async () => {
  const arrived: string[] = [];
  let n = 0;
  // The network holds each post back less than the one before: sent together, later ones would overtake.
  const { queue, log } = harness(async (i) => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20 - n++)));
    arrived.push(i.text);
    return i.text;
  });
  const typed = Array.from({ length: 20 }, (_, k) => `message ${k + 1}`);
  for (const text of typed) queue.enqueue(item(text));
  assert.equal(queue.size('r1'), 20);
  while (log.sent.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(arrived, typed);
  assert.deepEqual(log.sent, typed);
  assert.equal(log.maxInFlight, 1);
  assert.equal(queue.size('r1'), 0);
});

test('a post that fails on the network is retried with back-off before the next one goes', async () => {
  const calls: string[] = [];
  let failures = 2;
  const { queue, log } = harness(async (i) => {
    calls.push(i.text);
    if (i.text === 'a' && failures-- > 0) throw new Error('network');
    return i.text;
  });
  queue.enqueue(item('a'));
  queue.enqueue(item('b'));
  await tick();
  await tick();
  await tick();
  assert.deepEqual(calls, ['a', 'a', 'a', 'b']);
  assert.deepEqual(log.waits, [100, 200]);
  assert.deepEqual(log.sent, ['a', 'b']);
  assert.deepEqual(log.failed, []);
});

test('a post that fails for good is marked failed and the rest still go, in order', async () => {
  const calls: string[] = [];
  const { queue, log } = harness(async (i) => {
    calls.push(i.text);
    if (i.text === 'refused') throw new Error('forbidden');
    if (i.text === 'offline') throw new Error('network');
    return i.text;
  });
  for (const text of ['a', 'refused', 'b', 'offline', 'c']) queue.enqueue(item(text));
  for (let k = 0; k < 10; k += 1) await tick();
  assert.deepEqual(calls, ['a', 'refused', 'b', 'offline', 'offline', 'offline', 'c'], 'a refusal is not retried; the network is, up to the attempts');
  assert.deepEqual(log.failed, ['refused', 'offline']);
  assert.deepEqual(log.sent, ['a', 'b', 'c']);
});

test('lanes do not wait for each other', async () => {
  const held = Promise.withResolvers<string>();
  const { queue, log } = harness((i) => (i.lane === 'slow' ? held.promise : Promise.resolve(i.text)));
  queue.enqueue(item('stuck', 'slow'));
  queue.enqueue(item('quick', 'fast'));
  await tick();
  assert.deepEqual(log.sent, ['quick']);
  assert.equal(queue.size('slow'), 1);
  held.resolve('stuck');
  await tick();
  assert.deepEqual(log.sent, ['quick', 'stuck']);
});

test('after stop, nothing more is sent and a late answer is ignored', async () => {
  const held = Promise.withResolvers<string>();
  const calls: string[] = [];
  const { queue, log } = harness((i) => {
    calls.push(i.text);
    return held.promise;
  });
  queue.enqueue(item('a'));
  queue.enqueue(item('b'));
  await tick();
  queue.stop();
  held.resolve('a');
  await tick();
  queue.enqueue(item('c'));
  await tick();
  assert.deepEqual(calls, ['a']);
  assert.deepEqual(log.sent, []);
  assert.equal(queue.size('r1'), 0);
});

test('a post the server asks to wait for (writes paused) waits as long as the pause lasts, spending no try, and then goes', async () => {
  let paused = 7;
  const waiting: string[] = [];
  const { queue, log } = harness(
    async (i) => {
      if (paused-- > 0) throw new Error('paused');
      return i.text;
    },
    { pausedFor: (error) => (error instanceof Error && error.message === 'paused' ? 10_000 : undefined), onWaiting: (i) => waiting.push(i.text) },
  );
  queue.enqueue(item('during the move'));
  queue.enqueue(item('after it'));
  while (log.sent.length < 2) await tick();
  assert.deepEqual(log.sent, ['during the move', 'after it']);
  assert.deepEqual(log.failed, []);
  assert.deepEqual(log.waits, Array(7).fill(10_000));
  assert.equal(waiting.length, 7);
});

/** A network that is down until `up()`; the queue's waits are held until the test lets them pass. */
function offlineHarness() {
  const network = { up: false, calls: [] as string[] };
  const timers: (() => void)[] = [];
  const held: string[] = [];
  const h = harness(
    async (i) => {
      network.calls.push(i.text);
      if (!network.up) throw new Error('offline');
      return i.text;
    },
    {
      isOffline: (error) => error instanceof Error && error.message === 'offline',
      onHeld: (i) => held.push(i.text),
      wait: (ms) => {
        h.log.waits.push(ms);
        return new Promise((resolve) => timers.push(() => resolve()));
      },
    },
  );
  const passTimers = (): void => {
    for (const fire of timers.splice(0)) fire();
  };
  return { ...h, network, held, passTimers };
}

test('offline, the head holds its lane past any number of tries, the rest wait behind it, and resume sends them all in order', async () => {
  const { queue, log, network, held, passTimers } = offlineHarness();
  for (const text of ['one', 'two', 'three']) queue.enqueue(item(text));
  await tick();
  assert.ok(queue.isHeld('r1'));
  // The recheck comes round again and again while the network stays down: no try is spent, nothing fails.
  for (let k = 0; k < POLICY.attempts + 2; k += 1) {
    passTimers();
    await tick();
  }
  assert.deepEqual(network.calls, Array(POLICY.attempts + 3).fill('one'), 'only the head is tried');
  assert.deepEqual(log.waits, Array(POLICY.attempts + 3).fill(HELD_RECHECK_MS));
  assert.equal(held.length, POLICY.attempts + 3);
  assert.deepEqual(log.failed, []);
  assert.equal(queue.size('r1'), 3);

  network.up = true;
  queue.resume();
  while (log.sent.length < 3) await tick();
  assert.deepEqual(log.sent, ['one', 'two', 'three']);
  assert.deepEqual(network.calls.slice(-3), ['one', 'two', 'three']);
  assert.ok(!queue.isHeld('r1'));
  assert.equal(log.maxInFlight, 1);
});

test('a held lane is tried again when its recheck comes, without a resume', async () => {
  const { queue, log, network, passTimers } = offlineHarness();
  queue.enqueue(item('a'));
  await tick();
  network.up = true;
  passTimers();
  while (log.sent.length < 1) await tick();
  assert.deepEqual(log.sent, ['a']);
});

test('resume tries a held head again at once, and it holds again while the network is still down', async () => {
  const { queue, log, network, held } = offlineHarness();
  queue.enqueue(item('a'));
  await tick();
  queue.resume();
  await tick();
  assert.deepEqual(network.calls, ['a', 'a'], 'tried again without waiting out the recheck');
  assert.deepEqual(held, ['a', 'a']);
  assert.ok(queue.isHeld('r1'));
  assert.deepEqual(log.failed, []);
});

test('stop releases a held lane without sending it', async () => {
  const { queue, log, network } = offlineHarness();
  queue.enqueue(item('a'));
  await tick();
  queue.stop();
  network.up = true;
  queue.resume();
  await tick();
  assert.deepEqual(network.calls, ['a']);
  assert.deepEqual(log.sent, []);
  assert.ok(!queue.isHeld('r1'));
});
