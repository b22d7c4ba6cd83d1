import { runDelivery } from './delivery.ts';
import { runFanout } from './fanout.ts';
import { runOperatorScale } from './operator-scale.ts';
import { runPostThroughput } from './post-throughput.ts';
import { runStartup } from './startup.ts';

/** Runs every benchmark in sequence (`make bench`); each also runs alone: node bench/<name>.ts. */

const benchmarks: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
  ['startup', runStartup],
  ['delivery', runDelivery],
  ['post-throughput', runPostThroughput],
  ['fanout', runFanout],
  ['operator-scale', runOperatorScale],
];

for (const [name, run] of benchmarks) {
  const started = performance.now();
  console.log(`\n== ${name} ==`);
  await run();
  console.log(`(${name} took ${Math.round((performance.now() - started) / 1000)} s)`);
}
