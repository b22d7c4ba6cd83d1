import { runBackup } from './backup.ts';
import { runClusteredFailover } from './clustered-failover.ts';
import { runClusteredVsSingle } from './clustered-vs-single.ts';
import { runDelivery } from './delivery.ts';
import { runFanout } from './fanout.ts';
import { runMigration } from './migration.ts';
import { runOperatorScale } from './operator-scale.ts';
import { runPostThroughput } from './post-throughput.ts';
import { runRecords } from './records.ts';
import { runSecretRotation } from './secret-rotation.ts';
import { runStartup } from './startup.ts';
import { runThumbnail } from './thumbnail.ts';
import { awaitQuiet } from './common.ts';

/**
 * Runs every benchmark in sequence (`make bench`, which then renders README.md's figures), or
 * those named on the command line (node bench/run.ts fanout startup); each also runs alone:
 * node bench/<name>.ts.
 */

const benchmarks: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
  ['startup', runStartup],
  ['delivery', runDelivery],
  ['post-throughput', runPostThroughput],
  ['fanout', runFanout],
  ['clustered-vs-single', runClusteredVsSingle],
  ['clustered-failover', runClusteredFailover],
  ['operator-scale', runOperatorScale],
  ['records', runRecords],
  ['backup', runBackup],
  ['migration', runMigration],
  ['secret-rotation', runSecretRotation],
  ['thumbnail', runThumbnail],
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchmarks.some(([known]) => known === name));
if (unknown.length > 0) {
  console.error(`bench/run.ts: no benchmark ${unknown.join(', ')}; there are ${benchmarks.map(([name]) => name).join(', ')}`);
  process.exit(2);
}

for (const [name, run] of benchmarks.filter(([name]) => wanted.length === 0 || wanted.includes(name))) {
  const started = performance.now();
  console.log(`\n== ${name} ==`);
  await awaitQuiet(name);
  await run();
  console.log(`(${name} took ${Math.round((performance.now() - started) / 1000)} s)`);
}
