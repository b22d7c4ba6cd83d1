import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.ts';

describe('retryDelayMs', () => {
  const cases: [attempts: number, random: number, expected: number | null][] = [
    [1, 0, 1_000],
    [1, 0.5, 1_500],
    [1, 0.999, 1_999],
    [2, 0, 2_000],
    [3, 0.5, 6_000],
    [4, 0, 8_000],
    [7, 0, 64_000],
    [7, 0.999, 127_936],
    [8, 0, null],
    [9, 0.5, null],
  ];
  for (const [attempts, random, expected] of cases) {
    it(`after ${attempts} failed attempt(s) with jitter ${random}: ${expected === null ? 'gives up' : `${expected} ms`}`, () => {
      assert.equal(retryDelayMs(attempts, random), expected);
    });
  }

  it('never waits longer than the cap, however many attempts are allowed', () => {
    const long: RetrySchedule = { ...DEFAULT_RETRY_SCHEDULE, maxAttempts: 100, maxDelayMs: 60_000 };
    assert.equal(retryDelayMs(20, 0, long), 30_000);
    assert.equal(retryDelayMs(50, 0.999_999, long), 60_000);
  });

  it('grows with every failure whatever the jitter, until it gives up after maxAttempts', () => {
    let previousMax = 0;
    for (let attempts = 1; attempts < DEFAULT_RETRY_SCHEDULE.maxAttempts; attempts++) {
      const low = retryDelayMs(attempts, 0) ?? Number.NaN;
      const high = retryDelayMs(attempts, 0.999_999) ?? Number.NaN;
      assert.ok(low >= previousMax, `attempt ${attempts}: ${low} ≥ ${previousMax}`);
      previousMax = high;
    }
    assert.equal(retryDelayMs(DEFAULT_RETRY_SCHEDULE.maxAttempts, 0), null);
  });

  it('refuses a count of attempts that cannot be', () => {
    assert.throws(() => retryDelayMs(0, 0), RangeError);
    assert.throws(() => retryDelayMs(1.5, 0), RangeError);
  });
});
