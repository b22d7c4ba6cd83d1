import { runLoadUnderFaults, type Diagnostics, type FaultRunRecord } from '../fault-run.ts';
import { seqsOf } from '../helpers.ts';
import { startSingleTier, type SingleTier } from '../single-tier.ts';
import { addDelivery, countPosts, countReader, NO_ANOMALIES, nonZero, type DeliveryCounts } from './check.ts';
import { faultFor } from './faults.ts';
import { buildSchedule, countByKind, type FaultKind } from './schedule.ts';

/**
 * The chaos run (`make chaos`, and its short form in the single tier's e2e suite): the fault run's
 * load (e2e/fault-run.ts: posters retrying with the same clientMessageId until acknowledged,
 * readers on WebSocket and SSE resuming after every disconnect) over ROOMS rooms of the single
 * tier, through a seeded schedule of faults of every kind (schedule.ts, faults.ts), counted in
 * Jepsen's terms afterwards (check.ts).
 */

/** Processes per role: one of a role is killed or stopped while the other serves. */
export const PROCESSES_PER_ROLE = 2;
const ROOMS = 6;
const MAX_QUIET_MS = 1_500;

export interface ChaosOptions {
  readonly perKind: number;
  readonly seed: number;
}

export interface ReaderCounts extends DeliveryCounts {
  readonly reader: string;
  readonly connections: number;
  readonly received: number;
}

export interface ChaosResults {
  readonly tier: 'single';
  readonly seed: number;
  readonly durationS: number;
  readonly rooms: number;
  readonly faults: { readonly total: number; readonly byKind: Record<FaultKind, number> };
  readonly posts: { readonly attempted: number; readonly acknowledged: number; readonly stored: number; readonly retriedAttempts: number };
  readonly lost: number;
  readonly unexpected: number;
  /** Reader duplicates plus messages stored twice. */
  readonly duplicates: number;
  readonly storedDuplicates: number;
  readonly gaps: number;
  readonly reorderings: number;
  readonly readers: readonly ReaderCounts[];
  /** Each fault in the order injected, with the longest time clients had no acknowledgement after it. */
  readonly outages: readonly { readonly fault: string; readonly ms: number }[];
}

/** The counts of a recorded run, with what the run was. */
export function countRun(record: FaultRunRecord, kinds: readonly FaultKind[], meta: Pick<ChaosResults, 'seed' | 'durationS'>): ChaosResults {
  const { posters, followers, stored, rooms } = record;
  const posts = countPosts(
    posters.flatMap((poster) => poster.attempted),
    posters.flatMap((poster) => poster.acknowledged),
    [...stored.values()].flat(),
  );
  const storedSeqs = new Map([...stored].map(([roomId, messages]) => [roomId, seqsOf(messages)]));
  const readers = followers.map((follower): ReaderCounts => {
    const received = new Map([...follower.received].map(([roomId, events]) => [roomId, seqsOf(events)]));
    const counts = countReader(received, storedSeqs);
    return { reader: follower.name, connections: follower.connections, received: [...received.values()].flat().length, ...counts };
  });
  const delivery = readers.reduce<DeliveryCounts>((sum, reader) => addDelivery(sum, reader), NO_ANOMALIES);
  return {
    tier: 'single',
    ...meta,
    rooms: rooms.roomIds.length,
    faults: { total: kinds.length, byKind: countByKind(kinds) },
    posts: { attempted: posts.attempted, acknowledged: posts.acknowledged, stored: posts.stored, retriedAttempts: record.report.retriedAttempts },
    lost: posts.lost,
    unexpected: posts.unexpected,
    duplicates: delivery.duplicates + posts.storedDuplicates,
    storedDuplicates: posts.storedDuplicates,
    gaps: delivery.gaps,
    reorderings: delivery.reorderings,
    readers,
    outages: record.outages.map(({ fault, ms }) => ({ fault, ms })),
  };
}

/** The counts that must all be zero, named, for those that are not. */
export function anomaliesOf(results: ChaosResults): string[] {
  const { lost, unexpected, duplicates, gaps, reorderings } = results;
  return nonZero({ lost, unexpected, duplicates, gaps, reorderings });
}

/** Runs the schedule on `tier` (started by startChaosTier) and counts what it saw. */
export async function runChaos(t: Diagnostics, tier: SingleTier, options: ChaosOptions): Promise<ChaosResults> {
  const started = performance.now();
  const schedule = buildSchedule({ ...options, processes: PROCESSES_PER_ROLE, maxQuietMs: MAX_QUIET_MS });
  t.diagnostic(`chaos: ${schedule.length} faults, seed ${options.seed}: ${schedule.map((f) => f.kind).join(' ')}`);
  const record = await runLoadUnderFaults(
    t,
    tier,
    schedule.map((planned) => faultFor(tier, planned)),
    { rooms: ROOMS },
  );
  const durationS = Math.round((performance.now() - started) / 1000);
  return countRun(
    record,
    schedule.map((f) => f.kind),
    { seed: options.seed, durationS },
  );
}

/** The single tier as the chaos run needs it: two processes of each role, and toxiproxy in front of its backends. */
export function startChaosTier(): Promise<SingleTier> {
  return startSingleTier({ networkFaults: true, replicas: { messaging: PROCESSES_PER_ROLE, realtime: PROCESSES_PER_ROLE, gateway: PROCESSES_PER_ROLE } });
}
