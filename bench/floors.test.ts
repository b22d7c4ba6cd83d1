import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { floorsTable, GOALS, meetsGoal, summarize, summaryJson, SUMMARY_FILE, type Summary } from './floors.ts';
import { loadResults } from './readme.ts';

describe('bench/results/summary.json', () => {
  it('is what bench/floors.ts makes of the committed bench/results/*.json', async () => {
    assert.equal(await readFile(SUMMARY_FILE, 'utf8'), summaryJson(summarize(await loadResults())), 'summary.json is stale: run node bench/summary.ts');
  });

  it('has every key the issue names, each a number (a p99 ratio or the round at scale may be unknown)', async () => {
    const summary = JSON.parse(await readFile(SUMMARY_FILE, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(summary).sort(), Object.keys(GOALS).sort());
    for (const [key, value] of Object.entries(summary)) {
      const mayBeUnknown = value === null && (key.endsWith('_p99_vs_floor') || key === 'operator_rss_mib_at_scale');
      assert.ok(mayBeUnknown || (typeof value === 'number' && Number.isFinite(value)), `${key} is ${String(value)}`);
    }
  });
});

describe('a quick run (make bench-quick)', () => {
  it('gives the same summary and table with only the peer each fan-out figure is taken from measured', async () => {
    const full = await loadResults();
    const peerOf: Record<string, 'floor' | 'centrifugo'> = { A: 'floor', B: 'floor', S: 'centrifugo' };
    const quick = {
      ...full,
      fanout: {
        ...full.fanout,
        scenarios: full.fanout.scenarios.map((s) => ({
          ...s,
          floor: peerOf[s.scenario] === 'floor' ? s.floor : null,
          centrifugo: peerOf[s.scenario] === 'centrifugo' ? s.centrifugo : null,
        })),
      },
    };
    assert.ok(
      full.fanout.scenarios.every((s) => s.floor !== null && s.centrifugo !== null),
      'the committed fan-out run measured every peer',
    );
    assert.deepEqual(summarize(quick), summarize(full));
    assert.equal(floorsTable(quick), floorsTable(full));
  });
});

describe('meetsGoal', () => {
  it('holds a ceiling, a floor and an unknown figure to the goal', () => {
    const cases: [keyof Summary, number | null, boolean][] = [
      ['fanout_a_p99_vs_floor', 1.5, true],
      ['fanout_a_p99_vs_floor', 1.51, false],
      ['fanout_a_p99_vs_floor', null, false],
      ['deliveries_vs_centrifugo', 1, true],
      ['deliveries_vs_centrifugo', 0.99, false],
      ['startup_ms', 299, true],
      ['startup_ms', 301, false],
      ['posts_single_many_rooms_vs_one_room', 3, true],
      ['posts_single_many_rooms_vs_one_room', 1.27, false],
    ];
    for (const [key, value, met] of cases) assert.equal(meetsGoal(key, value), met, `${key} ${value}`);
  });
});
