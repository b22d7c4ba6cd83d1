import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '@hearth/harness';
import { RESULTS_DIR } from './common.ts';
import { keptUp, ratiosOf, spreads, withCause, type RunResult, type ScenarioResult } from './fanout.ts';

/** A run of 2,000 clients at 50 posts/s with the figures the ratios read; the rest as a run has them. */
function run(server: RunResult['server'], deliveredPerSecond: number, p99: number): RunResult {
  return {
    server,
    clients: 2000,
    ratePerSecond: 50,
    deliveredPerSecond,
    latencyMs: { p50: p99 / 2, p99, p999: p99, max: p99 },
    perConnectionKiB: 10,
    serverCpuUsPerDelivery: 5,
  } as RunResult;
}

describe('fan-out ratios', () => {
  it('compare Hearth’s p99 with a floor that kept up with its load', () => {
    assert.equal(keptUp(run('floor', 99_000, 20)), true);
    assert.equal(ratiosOf(run('hearth', 99_700, 30), run('floor', 99_000, 20), null).p99Latency, 1.5);
  });

  it('know no p99 ratio when the floor fell behind: its p99 is its backlog', () => {
    // The 2026-12-06 run: the bare server delivered 89,685 of 100,000 frames a second, p99 14.5 s.
    const behind = run('floor', 89_685, 14_451.6);
    assert.equal(keptUp(behind), false);
    const ratios = ratiosOf(run('hearth', 99_746, 152.9), behind, null);
    assert.equal(ratios.p99Latency, null);
    // Memory and CPU per delivery stay comparable.
    assert.equal(ratios.memoryPerConnection, 1);
  });
});

describe('the committed fan-out results', () => {
  it('hold each scenario’s spread as its rounds give it', async () => {
    const { scenarios } = JSON.parse(await readFile(path.join(RESULTS_DIR, 'fanout.json'), 'utf8')) as { scenarios: ScenarioResult[] };
    for (const scenario of scenarios) {
      // Through JSON as the file was written: an unknown (NaN) is null there.
      const expected: unknown = JSON.parse(JSON.stringify(spreads(scenario.rounds)));
      assert.deepEqual(scenario.spread, expected, `scenario ${scenario.scenario}: the spread is stale`);
    }
  });
});

describe('withCause', () => {
  it('says what caused a failed fetch', async () => {
    // A port nothing listens on: fetch rejects with "fetch failed", the refusal only in its cause.
    const port = await freePort();
    const error = await fetch(`http://127.0.0.1:${port}/`).then(
      () => assert.fail(`nothing listens on port ${port}`),
      (failed: unknown) => failed,
    );
    assert.match(withCause(error), /^TypeError: fetch failed \(.*ECONNREFUSED/);
    assert.equal(withCause(new Error('plain')), 'Error: plain');
  });
});
