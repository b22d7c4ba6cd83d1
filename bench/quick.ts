import { mkdir } from 'node:fs/promises';
import { runFanout } from './fanout.ts';
import { floorsTable, SOURCES, summarize } from './floors.ts';
import { runOperatorScale } from './operator-scale.ts';
import { runPostThroughput } from './post-throughput.ts';
import { loadSome } from './readme.ts';
import { RESULTS_DIR } from './common.ts';
import { runStartup } from './startup.ts';

/**
 * `make bench-quick`: the benchmarks behind bench/results/summary.json at a small load, one round
 * each, into BENCH_RESULTS_DIR (bench/results/quick, not committed), then the summary and its
 * table: a before/after check of a change in about a minute. The loads come from the Makefile's
 * BENCH_* variables; figures at these loads are only comparable with each other.
 */

if (!process.env['BENCH_RESULTS_DIR']) throw new Error('bench/quick.ts writes into BENCH_RESULTS_DIR: run it with make bench-quick');
await mkdir(RESULTS_DIR, { recursive: true });
for (const [name, run] of [
  ['startup', runStartup],
  ['post-throughput', runPostThroughput],
  ['fanout', runFanout],
  ['operator-scale', runOperatorScale],
] as const) {
  const started = performance.now();
  console.log(`\n== ${name} (quick) ==`);
  await run();
  console.log(`(${name} took ${Math.round((performance.now() - started) / 1000)} s)`);
}
const results = await loadSome(SOURCES);
console.log(`\nsummary (${RESULTS_DIR}):\n${JSON.stringify(summarize(results), null, 2)}\n\n${floorsTable(results)}`);
