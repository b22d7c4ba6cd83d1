import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchTimeoutSeconds } from './watch-stream.ts';

describe('watchTimeoutSeconds', () => {
  const cases: { name: string; base: number; jitter: number; random: number; expected: number }[] = [
    { name: 'the middle of the spread: the base', base: 300, jitter: 0.1, random: 0.5, expected: 300 },
    { name: 'the lowest: base − 10 %', base: 300, jitter: 0.1, random: 0, expected: 270 },
    { name: 'the highest: base + 10 %', base: 300, jitter: 0.1, random: 1, expected: 330 },
    { name: 'no jitter: the base whatever the draw', base: 60, jitter: 0, random: 0.99, expected: 60 },
    { name: 'whole seconds', base: 10, jitter: 0.1, random: 0.26, expected: 10 },
    { name: 'never below 1 s', base: 0, jitter: 0.1, random: 0, expected: 1 },
  ];
  for (const { name, base, jitter, random, expected } of cases)
    it(name, () =>
      assert.equal(
        watchTimeoutSeconds(base, jitter, () => random),
        expected,
      ),
    );
});
