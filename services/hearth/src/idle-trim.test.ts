import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { afterWindow, IDLE_UTILIZATION, startIdleTrim, type TrimLog } from './idle-trim.ts';

const quietLog: TrimLog = { debug: () => undefined };

/** Keeps the event loop busy for `ms`, as a burst of requests would. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const youngGenerationBytes = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;

describe('idle trim', () => {
  it('trims after the first quiet window, and again only after a busy one', () => {
    const busy = IDLE_UTILIZATION * 5;
    const quiet = IDLE_UTILIZATION / 5;
    let state = { trimmedSinceBusy: false };
    const trims: boolean[] = [];
    for (const utilization of [busy, quiet, quiet, quiet, busy, busy, quiet, quiet]) {
      const next = afterWindow(state, utilization);
      trims.push(next.trim);
      state = next.state;
    }
    assert.deepEqual(trims, [false, true, false, false, false, false, true, false]);
  });

  it('counts a window at the threshold as busy', () => {
    assert.equal(afterWindow({ trimmedSinceBusy: false }, IDLE_UTILIZATION).trim, false);
  });

  it('runs the collection once per quiet spell of a running process', async () => {
    let collections = 0;
    // Windows of a second: 5% of one is 50 ms, which a loaded machine's timer callbacks stay under.
    const trim = startIdleTrim(1, quietLog, () => collections++);
    try {
      await sleep(2_500);
      assert.equal(collections, 1, 'a quiet process is trimmed once');
      spin(1_200);
      await sleep(2_500);
      assert.equal(collections, 2, 'a busy window re-arms it');
    } finally {
      trim.stop();
    }
  });

  it('gives back the young generation a burst of garbage grew, without exposing gc to the application', async () => {
    let keep: object[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      keep.push({ i });
      if (keep.length > 10_000) keep = [];
    }
    const grown = youngGenerationBytes();
    const logged: Record<string, unknown>[] = [];
    const trim = startIdleTrim(1, { debug: (details) => logged.push(details) });
    try {
      // Two windows: the first may still hold the burst's own collection work.
      await sleep(2_500);
    } finally {
      trim.stop();
    }
    assert.equal(logged.length, 1);
    assert.ok(youngGenerationBytes() < grown / 2, `young generation ${youngGenerationBytes()} bytes after the trim, ${grown} before`);
    assert.equal('gc' in globalThis, false);
  });

  it('does nothing when turned off', async () => {
    let collections = 0;
    startIdleTrim(0, quietLog, () => collections++).stop();
    await sleep(100);
    assert.equal(collections, 0);
  });
});
