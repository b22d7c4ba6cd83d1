import { anomaliesOf, runChaos, runChaosOn, startChaosTier, type ChaosOptions, type ChaosResults } from '../e2e/chaos/run.ts';
import { startClusteredTier } from '../e2e/clustered-tier.ts';
import type { ServiceTier } from '../e2e/service-tier.ts';
import { clusteredChaosTarget } from './chaos-clustered.ts';
import { writeResults } from './common.ts';
import { printColumns } from './fanout.ts';

/**
 * `make chaos`: the chaos run (e2e/chaos/run.ts) on each tier of CHAOS_TIERS (default
 * single,clustered) with CHAOS_FAULTS_PER_KIND faults of each kind (default 10) in the order
 * CHAOS_SEED (default 14) draws, the counts in bench/results/chaos.json (`runs`, one per tier).
 * Exits non-zero when any of lost, unexpected, duplicates, gaps and reorderings is not zero; the
 * results are written either way, to be read.
 */

const DEFAULT_FAULTS_PER_KIND = 10;
const DEFAULT_SEED = 14;
const TIERS = ['single', 'clustered'] as const;
type TierName = (typeof TIERS)[number];

/** A whole number from the environment, or the default; anything else is refused with a line naming the variable. */
export function wholeNumberFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < minimum) throw new Error(`${name}=${raw} is not a whole number of at least ${minimum}`);
  return value;
}

/** CHAOS_TIERS: a comma-separated list of single and clustered. */
export function tiersFromEnv(raw = process.env['CHAOS_TIERS'] ?? ''): TierName[] {
  if (raw.trim() === '') return [...TIERS];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(TIERS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(`CHAOS_TIERS=${raw} names ${unknown.join(', ')}: give single, clustered or both, comma-separated`);
  return [...new Set(names)] as TierName[];
}

function printResults(results: ChaosResults): void {
  printColumns(
    `chaos on the ${results.tier} tier: ${results.faults.total} faults in ${results.durationS} s (seed ${results.seed})`,
    ['fault kind', 'faults'],
    Object.entries(results.faults.byKind).map(([kind, count]) => [kind, String(count)]),
    1,
  );
  const { posts } = results;
  console.log(
    `posts attempted ${posts.attempted}, acknowledged ${posts.acknowledged}, stored ${posts.stored} (${posts.retriedAttempts} failed attempts retried)`,
  );
  console.log(
    `lost ${results.lost}, unexpected ${results.unexpected}, duplicates ${results.duplicates}, gaps ${results.gaps}, reorderings ${results.reorderings} over ${results.readers.length} readers`,
  );
}

/** Runs `run` on `tier`, printing the tier's output if it fails, and stops the tier. */
async function onTier(tier: ServiceTier, run: (tier: ServiceTier) => Promise<ChaosResults>): Promise<ChaosResults> {
  try {
    return await run(tier);
  } catch (error) {
    console.error(tier.output().slice(-20_000));
    throw error;
  } finally {
    await tier.stop().catch((stopError: unknown) => console.error(`stopping the tier: ${String(stopError)}`));
  }
}

const log = { diagnostic: (message: string) => console.log(message) };

async function runTier(name: TierName, options: ChaosOptions): Promise<ChaosResults> {
  if (name === 'single') {
    const tier = await startChaosTier();
    return onTier(tier, () => runChaos(log, tier, options));
  }
  const tier = await startClusteredTier();
  return onTier(tier, async () => runChaosOn(log, tier, await clusteredChaosTarget(tier), options));
}

export async function runChaosBenchmark(): Promise<readonly ChaosResults[]> {
  const options = { perKind: wholeNumberFromEnv('CHAOS_FAULTS_PER_KIND', DEFAULT_FAULTS_PER_KIND, 1), seed: wholeNumberFromEnv('CHAOS_SEED', DEFAULT_SEED, 0) };
  const runs: ChaosResults[] = [];
  let file = '';
  // Written after each tier: a tier whose run stops leaves the other's counts to read.
  for (const name of tiersFromEnv()) {
    runs.push(await runTier(name, options));
    file = await writeResults('chaos', { runs });
  }
  console.log(`\nchaos → ${file}`);
  runs.forEach(printResults);
  const anomalies = runs.flatMap((run) => anomaliesOf(run).map((anomaly) => `${run.tier}: ${anomaly}`));
  if (anomalies.length > 0) throw new Error(`chaos: ${anomalies.join(', ')} (details in ${file})`);
  return runs;
}

if (import.meta.main) await runChaosBenchmark();
