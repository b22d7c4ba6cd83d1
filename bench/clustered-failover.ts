import { eventually } from '../e2e/chaos-helpers.ts';
import { startClusteredTier, type ClusteredTier } from '../e2e/clustered-tier.ts';
import { runDeliveryUnderFaults, type Fault, type FaultRunReport, type Outage } from '../e2e/fault-run.ts';
import { median, round, writeResults } from './common.ts';
import { printColumns } from './fanout.ts';
import { restorePostgresPair } from './restore-postgres-pair.ts';

/**
 * Failover of the clustered tier (e2e/clustered-tier.ts: a PostgreSQL pair, 3 NATS nodes, Redis
 * with 3 Sentinels, two of each service behind nginx) as its clients see it. The load and the
 * checks are the clustered chaos suite's (e2e/fault-run.ts): several people post steadily and
 * retry until acknowledged, others follow over WebSocket and SSE, and afterwards acknowledged ==
 * stored == delivered. Into that load go FAULTS_PER_KIND faults of each kind, in rounds of one of
 * each, each recovered from before the next:
 *   - kill -9 of a NATS node (the next one each time), brought back, JetStream quorum awaited;
 *   - kill -9 of the PostgreSQL primary, its replica promoted at once (no failure detection in
 *     the figure: CloudNativePG's would add its probe period), then the pair rebuilt as it started;
 *   - kill -9 of the Redis master: the Sentinels notice (1 s) and promote the replica; the old
 *     master comes back as a replica.
 * Per fault, the failover as clients see it: from the injection to the first acknowledged post
 * sent after it, and until every poster had one (their retries back off to 1 s, which bounds how
 * finely that is seen); also the longest time without any acknowledgement.
 */

type RedisServer = ClusteredTier['redis']['nodes'][number];

const FAULTS_PER_KIND = Number(process.env['BENCH_FAILOVER_FAULTS'] ?? 5);

const KINDS = {
  'nats-node': 'kill -9 of a NATS node',
  'postgres-primary': 'kill -9 of the PostgreSQL primary, replica promoted',
  'redis-master': 'kill -9 of the Redis master, Sentinel failover',
} as const;
type FaultKind = keyof typeof KINDS;

interface Summary {
  readonly median: number;
  readonly max: number;
  /** Each fault's figure, in the order injected. */
  readonly runs: readonly number[];
}

export interface FailoverByKind {
  readonly kind: FaultKind;
  readonly fault: string;
  readonly faults: number;
  /** From the injection to the first acknowledged post sent after it. */
  readonly failoverMs: Summary;
  /** From the injection until every poster had a post sent after it acknowledged. */
  readonly everyPosterMs: Summary;
  /** The longest time without any acknowledgement, from the injection until the load went on. */
  readonly longestSilenceMs: Summary;
}

export interface ClusteredFailoverResults {
  readonly kinds: readonly FailoverByKind[];
  readonly acknowledged: number;
  /** Acknowledged posts not stored as acknowledged: must be 0 (the run fails otherwise). */
  readonly lostAcknowledged: number;
  readonly retriedAttempts: number;
  readonly reconnects: number;
}

export function natsNode(tier: ClusteredTier, index: number): Fault {
  return {
    name: `kill -9 of NATS node ${index}`,
    inject: () => tier.nats.nodes[index]!.kill9(),
    async recover() {
      await tier.nats.nodes[index]!.start();
      await tier.nats.waitForQuorum();
    },
  };
}

export function postgresPrimary(tier: ClusteredTier): Fault {
  return {
    name: 'kill -9 of the PostgreSQL primary, its replica promoted',
    async inject() {
      const [primary, replica] = tier.postgres.nodes;
      await primary!.kill9();
      await tier.postgres.promote(replica!);
    },
    recover: () => restorePostgresPair(tier.postgres),
  };
}

/** The Redis master as the last recovery left it: asking the Sentinels takes a while, which must not count as failover. */
export interface RedisState {
  master: RedisServer;
}

export function redisMaster(tier: ClusteredTier, redis: RedisState): Fault {
  return {
    name: 'kill -9 of the Redis master (Sentinel failover)',
    inject: () => redis.master.kill9(),
    async recover() {
      const killed = redis.master;
      // The old master comes back only once the Sentinels have promoted the other, so that it rejoins as a replica.
      await eventually('the Sentinels to promote the replica', async () => (await tier.redis.master().catch(() => killed)) !== killed, 60_000);
      const master = await tier.redis.master();
      await killed.start();
      await tier.redis.waitForMaster(master);
      redis.master = master;
    },
  };
}

/** Rounds of one fault of each kind, the NATS node changing each round. */
async function faultsFor(tier: ClusteredTier): Promise<{ readonly kind: FaultKind; readonly fault: Fault }[]> {
  const redis: RedisState = { master: await tier.redis.master() };
  return Array.from({ length: FAULTS_PER_KIND }, (_, round) => [
    { kind: 'nats-node' as const, fault: natsNode(tier, round % tier.nats.nodes.length) },
    { kind: 'postgres-primary' as const, fault: postgresPrimary(tier) },
    { kind: 'redis-master' as const, fault: redisMaster(tier, redis) },
  ]).flat();
}

function summary(runs: readonly number[]): Summary {
  return { median: round(median(runs), 0), max: round(Math.max(...runs), 0), runs: runs.map((ms) => round(ms, 0)) };
}

function byKind(kinds: readonly FaultKind[], outages: readonly Outage[]): FailoverByKind[] {
  return (Object.keys(KINDS) as FaultKind[]).map((kind) => {
    const mine = outages.filter((_, i) => kinds[i] === kind);
    return {
      kind,
      fault: KINDS[kind],
      faults: mine.length,
      failoverMs: summary(mine.map((o) => o.firstAckMs)),
      // A poster that never got through again would have failed the run; Infinity keeps the type honest.
      everyPosterMs: summary(mine.map((o) => o.everyPosterMs ?? Number.POSITIVE_INFINITY)),
      longestSilenceMs: summary(mine.map((o) => o.ms)),
    };
  });
}

function printResults(file: string, results: ClusteredFailoverResults): void {
  const cell = (s: Summary): string => `${s.median} / ${s.max}`;
  printColumns(
    `clustered-failover → ${file} (ms, median / max)`,
    ['fault', 'faults', 'first ack after', 'every poster', 'longest silence'],
    results.kinds.map((k) => [k.fault, `${k.faults}`, cell(k.failoverMs), cell(k.everyPosterMs), cell(k.longestSilenceMs)]),
    1,
  );
  for (const k of results.kinds)
    console.log(`  ${k.kind}: first ack after ${k.failoverMs.runs.join(', ')} ms; every poster ${k.everyPosterMs.runs.join(', ')} ms`);
  console.log(
    `${results.acknowledged} posts acknowledged, ${results.lostAcknowledged} lost; ${results.retriedAttempts} failed attempts retried; ${results.reconnects} stream reconnects`,
  );
}

export async function runClusteredFailover(): Promise<ClusteredFailoverResults> {
  const started = performance.now();
  const tier = await startClusteredTier();
  let report: FaultRunReport;
  let faults: Awaited<ReturnType<typeof faultsFor>> = [];
  try {
    faults = await faultsFor(tier);
    report = await runDeliveryUnderFaults(
      { diagnostic: (message) => console.log(message) },
      tier,
      faults.map((f) => f.fault),
    );
  } catch (error) {
    console.error(tier.output().slice(-20_000));
    await tier.stop().catch((stopError: unknown) => console.error(`stopping the tier: ${String(stopError)}`));
    throw error;
  }
  await tier.stop();
  const results: ClusteredFailoverResults = {
    kinds: byKind(
      faults.map((f) => f.kind),
      report.outages,
    ),
    acknowledged: report.acknowledged,
    lostAcknowledged: report.lostAcknowledged,
    retriedAttempts: report.retriedAttempts,
    reconnects: report.reconnects,
  };
  const file = await writeResults('clustered-failover', {
    setup: {
      tier: 'clustered: PostgreSQL primary + synchronous replica behind a forwarder, 3 NATS nodes (stream R3), Redis master + replica + 3 Sentinels, 2 of each service behind nginx',
      faultsPerKind: FAULTS_PER_KIND,
      ...report.load,
      seconds: round((performance.now() - started) / 1000, 0),
    },
    ...results,
  });
  printResults(file, results);
  return results;
}

if (import.meta.main) await runClusteredFailover();
