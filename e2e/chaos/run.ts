import { runLoadUnderFaults, type Diagnostics, type Fault, type FaultRunRecord } from '../fault-run.ts';
import { seqsOf } from '../helpers.ts';
import type { ServiceTier } from '../service-tier.ts';
import { startSingleTier, type SingleTier } from '../single-tier.ts';
import { addDelivery, countPosts, countReader, NO_ANOMALIES, nonZero, type DeliveryCounts } from './check.ts';
import { faultFor } from './faults.ts';
import { buildSchedule, countByKind, FAULT_KINDS, type FaultKind, type PlannedFault } from './schedule.ts';

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

/** What the runner needs of a tier besides its services: its name, its fault kinds, and how each planned fault is injected. */
export interface ChaosTarget {
  readonly tier: 'single' | 'clustered';
  readonly kinds: readonly FaultKind[];
  faultFor(planned: PlannedFault): Fault;
}

export interface ReaderCounts extends DeliveryCounts {
  readonly reader: string;
  readonly connections: number;
  readonly received: number;
}

export interface ChaosResults {
  readonly tier: ChaosTarget['tier'];
  readonly seed: number;
  readonly durationS: number;
  readonly rooms: number;
  readonly faults: { readonly total: number; readonly byKind: Partial<Record<FaultKind, number>> };
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
export function countRun(
  record: FaultRunRecord,
  kinds: readonly FaultKind[],
  meta: Pick<ChaosResults, 'tier' | 'seed' | 'durationS'>,
  allKinds = FAULT_KINDS,
): ChaosResults {
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
    ...meta,
    rooms: rooms.roomIds.length,
    faults: { total: kinds.length, byKind: countByKind(kinds, allKinds) },
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

/** Runs the schedule on the single tier (started by startChaosTier) and counts what it saw. */
export function runChaos(t: Diagnostics, tier: SingleTier, options: ChaosOptions): Promise<ChaosResults> {
  return runChaosOn(t, tier, { tier: 'single', kinds: FAULT_KINDS, faultFor: (planned) => faultFor(tier, planned) }, options);
}

/** Runs the schedule of `target`'s kinds on `tier` (two processes of each role) and counts what it saw. */
export async function runChaosOn(t: Diagnostics, tier: ServiceTier, target: ChaosTarget, options: ChaosOptions): Promise<ChaosResults> {
  const started = performance.now();
  const schedule = buildSchedule({ ...options, kinds: target.kinds, processes: PROCESSES_PER_ROLE, maxQuietMs: MAX_QUIET_MS });
  t.diagnostic(`chaos: ${schedule.length} faults on the ${target.tier} tier, seed ${options.seed}: ${schedule.map((f) => f.kind).join(' ')}`);
  const record = await runLoadUnderFaults(
    t,
    tier,
    schedule.map((planned) => ({ ...target.faultFor(planned), quietMs: planned.quietMs })),
    { rooms: ROOMS },
  );
  const durationS = Math.round((performance.now() - started) / 1000);
  return countRun(
    record,
    schedule.map((f) => f.kind),
    { tier: target.tier, seed: options.seed, durationS },
    target.kinds,
  );
}

/** The single tier as the chaos run needs it: two processes of each role, and toxiproxy in front of its backends. */
export function startChaosTier(): Promise<SingleTier> {
  return startSingleTier({ networkFaults: true, replicas: { messaging: PROCESSES_PER_ROLE, realtime: PROCESSES_PER_ROLE, gateway: PROCESSES_PER_ROLE } });
}
