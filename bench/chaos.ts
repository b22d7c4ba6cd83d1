import { anomaliesOf, runChaos, startChaosTier, type ChaosResults } from '../e2e/chaos/run.ts';
import type { SingleTier } from '../e2e/single-tier.ts';
import { writeResults } from './common.ts';
import { printColumns } from './fanout.ts';

/**
 * `make chaos`: the chaos run (e2e/chaos/run.ts) on the single tier with CHAOS_FAULTS_PER_KIND
 * faults of each kind (default 10) in the order CHAOS_SEED (default 14) draws, its counts in
 * bench/results/chaos.json. Exits non-zero when any of lost, unexpected, duplicates, gaps and
 * reorderings is not zero; the results are written either way, to be read.
 */

const DEFAULT_FAULTS_PER_KIND = 10;
const DEFAULT_SEED = 14;

/** A whole number from the environment, or the default; anything else is refused with a line naming the variable. */
export function wholeNumberFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < minimum) throw new Error(`${name}=${raw} is not a whole number of at least ${minimum}`);
  return value;
}

function printResults(file: string, results: ChaosResults): void {
  printColumns(
    `chaos → ${file}: ${results.faults.total} faults in ${results.durationS} s (seed ${results.seed})`,
    ['fault kind', 'faults'],
    Object.entries(results.faults.byKind).map(([kind, count]) => [kind, String(count)]),
    1,
  );
  const { posts } = results;
  console.log(`posts attempted ${posts.attempted}, acknowledged ${posts.acknowledged}, stored ${posts.stored} (${posts.retriedAttempts} failed attempts retried)`);
  console.log(
    `lost ${results.lost}, unexpected ${results.unexpected}, duplicates ${results.duplicates}, gaps ${results.gaps}, reorderings ${results.reorderings} over ${results.readers.length} readers`,
  );
}

async function runTier(tier: SingleTier, perKind: number, seed: number): Promise<ChaosResults> {
  try {
    return await runChaos({ diagnostic: (message) => console.log(message) }, tier, { perKind, seed });
  } catch (error) {
    console.error(tier.output().slice(-20_000));
    throw error;
  } finally {
    await tier.stop().catch((stopError: unknown) => console.error(`stopping the tier: ${String(stopError)}`));
  }
}

export async function runChaosBenchmark(): Promise<ChaosResults> {
  const perKind = wholeNumberFromEnv('CHAOS_FAULTS_PER_KIND', DEFAULT_FAULTS_PER_KIND, 1);
  const seed = wholeNumberFromEnv('CHAOS_SEED', DEFAULT_SEED, 0);
  const results = await runTier(await startChaosTier(), perKind, seed);
  const file = await writeResults('chaos', results);
  printResults(file, results);
  const anomalies = anomaliesOf(results);
  if (anomalies.length > 0) throw new Error(`chaos: ${anomalies.join(', ')} (details in ${file})`);
  return results;
}

if (import.meta.main) await runChaosBenchmark();
