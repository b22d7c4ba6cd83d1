import { ROLES, type Role } from '../service-tier.ts';

/**
 * The chaos run's schedule of faults, a pure function of a seed: `perKind` faults of every kind,
 * shuffled so that each kind is spread over the whole run, each after a random quiet time. The
 * same seed gives the same schedule, so that a run that found something can be run again.
 */

export const BACKENDS = ['postgres', 'nats', 'redis'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The network faults toxiproxy puts between the services and a backend. */
export const NETWORK_FAULTS = ['latency', 'reset', 'blackhole'] as const;
export type NetworkFault = (typeof NETWORK_FAULTS)[number];

/** The clustered tier's faults of its backends: a NATS node killed, or killed and its JetStream store lost; the PostgreSQL primary or the Redis master killed and failed over. */
export const CLUSTER_FAULTS = ['kill9-nats-node', 'wipe-nats-node', 'failover-postgres', 'failover-redis'] as const;
export type ClusterFault = (typeof CLUSTER_FAULTS)[number];

export type FaultKind = `kill9-${Role}` | `pause-${Role}` | `restart-${Backend}` | NetworkFault | ClusterFault;

const SERVICE_FAULTS: readonly FaultKind[] = [...ROLES.map((role) => `kill9-${role}` as const), ...ROLES.map((role) => `pause-${role}` as const)];

/** The single tier's kinds: every service killed and stopped, every backend restarted, every network fault. */
export const FAULT_KINDS: readonly FaultKind[] = [...SERVICE_FAULTS, ...BACKENDS.map((backend) => `restart-${backend}` as const), ...NETWORK_FAULTS];

/** The clustered tier's kinds: every service killed and stopped, and each backend's failover. */
export const CLUSTERED_FAULT_KINDS: readonly FaultKind[] = [...SERVICE_FAULTS, ...CLUSTER_FAULTS];

/** NATS nodes of the clustered tier, which its node faults go round. */
const NATS_NODES = 3;

/** One fault of the schedule. */
export interface PlannedFault {
  readonly kind: FaultKind;
  /** For a service fault, which of the role's processes (an index below `processes`); for a NATS node fault, the node; for a restart or a network fault, the backend. */
  readonly target: number | Backend;
  /** The quiet time before the fault, under load. */
  readonly quietMs: number;
}

export interface ScheduleOptions {
  /** The kinds (default FAULT_KINDS, the single tier's). */
  readonly kinds?: readonly FaultKind[];
  readonly perKind: number;
  readonly seed: number;
  /** Processes per role, from which a service fault picks one. */
  readonly processes: number;
  /** The longest quiet time before a fault. */
  readonly maxQuietMs: number;
}

/** mulberry32: a small seeded generator of floats in [0, 1); good enough to shuffle a schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export const isNetworkFault = (kind: FaultKind): kind is NetworkFault => (NETWORK_FAULTS as readonly string[]).includes(kind);

/** perKind faults of each kind, in a seeded random order; a network fault's backend goes round, so that each gets its share. */
export function buildSchedule({ kinds: allKinds = FAULT_KINDS, perKind, seed, processes, maxQuietMs }: ScheduleOptions): PlannedFault[] {
  if (!Number.isInteger(perKind) || perKind < 1) throw new Error(`faults per kind must be a whole number of at least 1, not ${perKind}`);
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`processes per role must be a whole number of at least 1, not ${processes}`);
  const random = seededRandom(seed);
  const kinds = shuffle(
    allKinds.flatMap((kind) => Array.from({ length: perKind }, () => kind)),
    random,
  );
  const rounds = new Map<FaultKind, number>();
  return kinds.map((kind) => {
    const round = rounds.get(kind) ?? 0;
    rounds.set(kind, round + 1);
    const turn = round + seed + Math.max(NETWORK_FAULTS.indexOf(kind as NetworkFault), CLUSTER_FAULTS.indexOf(kind as ClusterFault));
    return { kind, target: targetOf(kind, turn, () => Math.floor(random() * processes)), quietMs: Math.round(random() * maxQuietMs) };
  });
}

/** A network fault's backend goes round (from `turn`, which starts elsewhere for each kind so that even one of each reaches every backend); a restart's is in its kind; a service fault's process is drawn. */
function targetOf(kind: FaultKind, turn: number, drawProcess: () => number): number | Backend {
  if (isNetworkFault(kind)) return BACKENDS[Math.abs(Math.floor(turn)) % BACKENDS.length]!;
  if (kind.endsWith('-nats-node')) return Math.abs(Math.floor(turn)) % NATS_NODES;
  if (kind.startsWith('failover-')) return 0;
  const [action, subject] = kind.split('-');
  return action === 'restart' ? (subject as Backend) : drawProcess();
}

/** How many faults of each kind a schedule (or a run) holds, every kind of `all` named. */
export function countByKind(kinds: readonly FaultKind[], all: readonly FaultKind[] = FAULT_KINDS): Partial<Record<FaultKind, number>> {
  const counts: Partial<Record<FaultKind, number>> = Object.fromEntries(all.map((kind) => [kind, 0]));
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
