/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { backoffDelay } from './backoff.ts';

test('the delay doubles from the first wait, stops at the cap, and jitters by ±20 %', () => {
  const policy = { firstMs: 250, maxMs: 5_000 };
  const cases: readonly (readonly [attempt: number, random: number, ms: number])[] = [
    [0, 0.5, 250],
    [1, 0.5, 500],
    [4, 0.5, 4_000],
    [5, 0.5, 5_000],
    [50, 0.5, 5_000],
    [0, 0, 200],
    [0, 1, 300],
    [20, 1, 5_000],
  ];
  for (const [attempt, random, ms] of cases)
    assert.equal(
      backoffDelay(attempt, policy, () => random),
      ms,
      `attempt ${attempt}, random ${random}`,
    );
});
