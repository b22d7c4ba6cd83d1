import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countDelivery, countPosts, countReader, nonZero, type Attempt, type Recorded } from './check.ts';

const attempt = (n: number): Attempt => ({ clientMessageId: `c-${n}`, body: `says ${n}` });
const message = (n: number, seq = n, changes: Partial<Recorded> = {}): Recorded => ({ ...attempt(n), id: `m-${n}`, roomId: 'r', seq, ...changes });

describe('countPosts: lost = acknowledged − stored, unexpected = stored − attempted', () => {
  const cases: readonly {
    readonly name: string;
    readonly attempted: readonly Attempt[];
    readonly acknowledged: readonly Recorded[];
    readonly stored: readonly Recorded[];
    readonly expected: { lost: number; unexpected: number; storedDuplicates: number };
  }[] = [
    {
      name: 'all acknowledged and stored',
      attempted: [attempt(1), attempt(2)],
      acknowledged: [message(1), message(2)],
      stored: [message(1), message(2)],
      expected: { lost: 0, unexpected: 0, storedDuplicates: 0 },
    },
    {
      name: 'attempted, never answered, stored: fine',
      attempted: [attempt(1), attempt(2)],
      acknowledged: [message(1)],
      stored: [message(1), message(2)],
      expected: { lost: 0, unexpected: 0, storedDuplicates: 0 },
    },
    {
      name: 'attempted, never answered, not stored: fine',
      attempted: [attempt(1), attempt(2)],
      acknowledged: [message(1)],
      stored: [message(1)],
      expected: { lost: 0, unexpected: 0, storedDuplicates: 0 },
    },
    {
      name: 'acknowledged, not stored: lost',
      attempted: [attempt(1), attempt(2)],
      acknowledged: [message(1), message(2)],
      stored: [message(1)],
      expected: { lost: 1, unexpected: 0, storedDuplicates: 0 },
    },
    {
      name: 'stored at another seq than acknowledged: lost',
      attempted: [attempt(1)],
      acknowledged: [message(1)],
      stored: [message(1, 7)],
      expected: { lost: 1, unexpected: 0, storedDuplicates: 0 },
    },
    {
      name: 'stored with another body: lost and unexpected',
      attempted: [attempt(1)],
      acknowledged: [message(1)],
      stored: [message(1, 1, { body: 'tampered' })],
      expected: { lost: 1, unexpected: 1, storedDuplicates: 0 },
    },
    {
      name: 'stored, never attempted: unexpected',
      attempted: [attempt(1)],
      acknowledged: [message(1)],
      stored: [message(1), message(9)],
      expected: { lost: 0, unexpected: 1, storedDuplicates: 0 },
    },
    {
      name: 'a retry stored twice: a stored duplicate',
      attempted: [attempt(1)],
      acknowledged: [message(1)],
      stored: [message(1), message(1, 2, { id: 'm-1b' })],
      expected: { lost: 0, unexpected: 0, storedDuplicates: 1 },
    },
    { name: 'nothing at all', attempted: [], acknowledged: [], stored: [], expected: { lost: 0, unexpected: 0, storedDuplicates: 0 } },
  ];
  for (const { name, attempted, acknowledged, stored, expected } of cases) {
    it(name, () => {
      const counts = countPosts(attempted, acknowledged, stored);
      assert.deepEqual({ lost: counts.lost, unexpected: counts.unexpected, storedDuplicates: counts.storedDuplicates }, expected);
      assert.deepEqual([counts.attempted, counts.acknowledged, counts.stored], [attempted.length, acknowledged.length, stored.length]);
    });
  }
});

describe('countDelivery: a reader’s gaps, duplicates and reorderings of a room against the stored seqs', () => {
  const cases: readonly { readonly name: string; readonly received: number[]; readonly stored: number[]; readonly expected: [number, number, number] }[] = [
    { name: 'every seq once, in order', received: [1, 2, 3], stored: [1, 2, 3], expected: [0, 0, 0] },
    { name: 'one missing in the middle', received: [1, 3], stored: [1, 2, 3], expected: [1, 0, 0] },
    { name: 'the tail missing', received: [1], stored: [1, 2, 3], expected: [2, 0, 0] },
    { name: 'one received twice in a row', received: [1, 2, 2, 3], stored: [1, 2, 3], expected: [0, 1, 0] },
    { name: 'a resume that replays', received: [1, 2, 3, 2, 3], stored: [1, 2, 3], expected: [0, 2, 0] },
    { name: 'two swapped', received: [1, 3, 2], stored: [1, 2, 3], expected: [0, 0, 1] },
    { name: 'swapped, then a duplicate of the later', received: [2, 1, 2], stored: [1, 2], expected: [0, 1, 1] },
    { name: 'nothing stored, nothing received', received: [], stored: [], expected: [0, 0, 0] },
    { name: 'nothing received', received: [], stored: [5, 6], expected: [2, 0, 0] },
  ];
  for (const { name, received, stored, expected } of cases) {
    it(name, () => {
      const { gaps, duplicates, reorderings } = countDelivery(received, stored);
      assert.deepEqual([gaps, duplicates, reorderings], expected);
    });
  }

  it('sums over rooms, a room not received at all counting as all gaps', () => {
    const stored = new Map([
      ['a', [1, 2]],
      ['b', [1, 2, 3]],
    ]);
    assert.deepEqual(countReader(new Map([['a', [2, 1, 1]]]), stored), { gaps: 3, duplicates: 1, reorderings: 1 });
  });
});

describe('nonZero', () => {
  it('names the counts that are not zero', () => {
    assert.deepEqual(nonZero({ lost: 0, unexpected: 2, gaps: 0, duplicates: 1 }), ['unexpected 2', 'duplicates 1']);
    assert.deepEqual(nonZero({ lost: 0 }), []);
  });
});
