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

/** Runs every benchmark in sequence (`make bench`, which then renders README.md's figures); each also runs alone: node bench/<name>.ts. */

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
];

for (const [name, run] of benchmarks) {
  const started = performance.now();
  console.log(`\n== ${name} ==`);
  await run();
  console.log(`(${name} took ${Math.round((performance.now() - started) / 1000)} s)`);
}
