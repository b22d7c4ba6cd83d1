import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.ts';

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { baseMs: 100, capMs: 1_000, jitter: 0.2 };
  const middle = (): number => 0.5;
  const low = (): number => 0;
  const high = (): number => 1;
  const cases: { name: string; attempt: number; random: () => number; policy?: BackoffPolicy; expected: number }[] = [
    { name: 'the first failure waits the base', attempt: 1, random: middle, expected: 100 },
    { name: 'each failure doubles it', attempt: 2, random: middle, expected: 200 },
    { name: 'the fourth failure', attempt: 4, random: middle, expected: 800 },
    { name: 'never above the cap', attempt: 5, random: middle, expected: 1_000 },
    { name: 'a huge attempt stays at the cap (no Infinity, no NaN)', attempt: 10_000, random: middle, expected: 1_000 },
    { name: 'attempt 0 counts as the first', attempt: 0, random: middle, expected: 100 },
    { name: 'a negative attempt counts as the first', attempt: -3, random: middle, expected: 100 },
    { name: 'jitter at its lowest: 0.8 × the delay', attempt: 2, random: low, expected: 160 },
    { name: 'jitter at its highest: 1.2 × the delay', attempt: 2, random: high, expected: 240 },
    { name: 'jitter never pushes past the cap', attempt: 5, random: high, expected: 1_000 },
    { name: 'jitter may pull below the cap', attempt: 5, random: low, expected: 800 },
    { name: 'no jitter: exact', attempt: 3, random: high, policy: { baseMs: 100, capMs: 1_000, jitter: 0 }, expected: 400 },
    { name: 'a fractional delay is rounded', attempt: 1, random: middle, policy: { baseMs: 0.6, capMs: 10, jitter: 0 }, expected: 1 },
    { name: 'jitter above 1 never goes below 0', attempt: 1, random: low, policy: { baseMs: 100, capMs: 1_000, jitter: 2 }, expected: 0 },
  ];
  for (const { name, attempt, random, expected, ...rest } of cases) {
    it(name, () => assert.equal(backoffDelay(attempt, rest.policy ?? policy, random), expected));
  }
});

describe('sleep', () => {
  it('resolves at once for an aborted signal, and on abort before its time', async () => {
    const started = performance.now();
    await sleep(10_000, AbortSignal.abort());
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 10);
    await sleep(10_000, abort.signal);
    assert.ok(performance.now() - started < 5_000);
  });
});
