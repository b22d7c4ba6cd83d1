import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SummaryBuilder, summaryDifferences, type RecordSummary } from './record-summary.ts';

const lines = [
  ['users', '{"table":"users","row":{"id":"u1"}}', { id: 'u1' }],
  ['rooms', '{"table":"rooms","row":{"id":"r1","last_seq":7}}', { id: 'r1', last_seq: 7 }],
  ['rooms', '{"table":"rooms","row":{"id":"r2","last_seq":0}}', { id: 'r2', last_seq: 0 }],
] as const;

function summaryOf(entries: readonly (readonly [string, string, Record<string, unknown>])[]): RecordSummary {
  const builder = new SummaryBuilder();
  for (const [table, line, row] of entries) builder.add(table, line, row);
  return builder.result(['users', 'rooms', 'messages']);
}

describe('SummaryBuilder', () => {
  it('counts rows per table, reports empty tables, and keeps each room’s last sequence', () => {
    const summary = summaryOf(lines);
    assert.equal(summary.tables['users']?.rows, 1);
    assert.equal(summary.tables['rooms']?.rows, 2);
    assert.equal(summary.tables['messages']?.rows, 0);
    assert.deepEqual(summary.lastSeq, { r1: 7, r2: 0 });
  });

  it('gives the same checksum for the same lines, and another for other lines or another order', () => {
    const again = summaryOf(lines);
    assert.deepEqual(summaryOf(lines), again);
    const changed = summaryOf([lines[0], lines[1], ['rooms', lines[2][1].replace('r2', 'r3'), { id: 'r3', last_seq: 0 }]]);
    assert.notEqual(changed.tables['rooms']?.sha256, again.tables['rooms']?.sha256);
    const reordered = summaryOf([lines[0], lines[2], lines[1]]);
    assert.notEqual(reordered.tables['rooms']?.sha256, again.tables['rooms']?.sha256);
    assert.equal(reordered.tables['users']?.sha256, again.tables['users']?.sha256);
  });
});

describe('summaryDifferences', () => {
  const expected = summaryOf(lines);
  const cases: readonly (readonly [string, RecordSummary, readonly string[]])[] = [
    ['nothing when equal', summaryOf(lines), []],
    ['a missing row', summaryOf(lines.slice(0, 2)), ['rooms: 1 rows, expected 2', 'room r2: last sequence missing, expected 0']],
    [
      'changed content with the same count',
      summaryOf([lines[0], lines[1], ['rooms', lines[2][1].replace('"last_seq":0', '"last_seq":1'), { id: 'r2', last_seq: 1 }]]),
      ['rooms: the same 2 rows, but their content differs', 'room r2: last sequence 1, expected 0'],
    ],
  ];
  for (const [what, actual, differences] of cases) {
    it(what, () => assert.deepEqual(summaryDifferences(expected, actual), differences));
  }
  it('a table only one side has', () => {
    const extra: RecordSummary = { ...expected, tables: { ...expected.tables, files: { rows: 0, sha256: 'x' } } };
    assert.deepEqual(summaryDifferences(expected, extra), ['files: in the target only']);
  });
});
