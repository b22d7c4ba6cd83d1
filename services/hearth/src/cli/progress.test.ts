import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, progressBar, progressLine } from './progress.ts';

describe('progress texts', () => {
  const half = { label: 'export', done: 50_000, total: 100_000, unit: 'records', elapsedMs: 4_000 };
  it('a log line gives the count, the share and the rate', () => {
    assert.equal(progressLine(half), 'export: 50,000 of 100,000 records (50%), 12,500 records/s');
    assert.equal(progressLine({ ...half, total: undefined }), 'export: 50,000 records, 12,500 records/s');
  });
  it('a bar fills with the share done, and is a line when the total is unknown', () => {
    assert.equal(progressBar(half, 10), 'export [#####-----]  50% 50,000/100,000 records 12,500 records/s');
    assert.equal(progressBar({ ...half, done: 100_000 }, 10), 'export [##########] 100% 100,000/100,000 records 25,000 records/s');
    assert.equal(progressBar({ ...half, total: undefined }, 10), progressLine({ ...half, total: undefined }));
  });
});

describe('createProgress', () => {
  function run(isTTY: boolean): string[] {
    let clock = 0;
    const written: string[] = [];
    const progress = createProgress({
      label: 'import',
      unit: 'bytes',
      total: 100,
      output: { isTTY, write: (text: string) => written.push(text) },
      logIntervalMs: 1_000,
      now: () => clock,
    });
    for (const step of [1, 2, 3, 4, 5]) {
      clock = step * 400;
      progress.update(step * 20);
    }
    progress.finish();
    return written;
  }
  it('writes a log line at each interval and at the end', () => {
    assert.deepEqual(run(false), ['import: 60 of 100 bytes (60%), 50 bytes/s\n', 'import: 100 of 100 bytes (100%), 50 bytes/s\n']);
  });
  it('redraws a bar in place on a terminal, and ends it with a newline', () => {
    const written = run(true);
    assert.equal(written.length, 7);
    assert.ok(written.slice(0, 6).every((text) => text.startsWith('\rimport [')));
    assert.equal(written.at(-1), '\n');
  });
});
