import { readdir, readFile } from 'node:fs/promises';
import { startClusteredTier } from '../e2e/clustered-tier.ts';
import { ROLES, type ServiceTier } from '../e2e/service-tier.ts';
import { startSingleTier } from '../e2e/single-tier.ts';
import { round, sleep, writeResults } from './common.ts';
import {
  CpuMeter,
  LoopProbes,
  measure,
  HEARTH_HELLO,
  printColumns,
  raiseFdLimit,
  warningsIn,
  type CpuUsage,
  type FanoutLoad,
  type RunResult,
  type Target,
} from './fanout.ts';
import { latencyOf, postingTeam, saturate, type Latency, type PostingTeam } from './post-throughput.ts';

/**
 * The clustered tier against the single tier: the same load on each, one after the other, in
 * one run. Both are reached through nginx, as the Ingress routes (the clustered tier's two
 * gateways and two realtime processes are spread over by it; the single tier has one of each).
 *   1. Post throughput: POSTERS closed-loop posters (each posts again once acknowledged) for
 *      POST_SECONDS after WARM_SECONDS, into one room, then over MANY_ROOMS rooms.
 *   2. Fan-out: FANOUT_CLIENTS WebSocket clients in one room, FANOUT_RATE posts/s for
 *      FANOUT_SECONDS, with fanout.ts's client processes and measurement (post-to-delivery
 *      latency taken on arrival, from the send time in the body).
 * What the clustered tier adds to each post: a commit that waits for the PostgreSQL replica, an
 * event stream replicated to 3 NATS nodes, a forwarder in front of PostgreSQL (it runs inside
 * this driver process), and twice the processes on the same 2 cores.
 */

const POSTERS = Number(process.env['BENCH_TIERS_POSTERS'] ?? 32);
const POST_SECONDS = Number(process.env['BENCH_TIERS_POST_SECONDS'] ?? 10);
const WARM_SECONDS = 3;
const MANY_ROOMS = 8;
const FANOUT: FanoutLoad = {
  clients: Number(process.env['BENCH_TIERS_FANOUT_CLIENTS'] ?? 1_000),
  rate: Number(process.env['BENCH_TIERS_FANOUT_RATE'] ?? 20),
  seconds: Number(process.env['BENCH_TIERS_FANOUT_SECONDS'] ?? 15),
};
const FILLER = 'the quick brown fox jumps over the lazy dog while the team chats along';
/** The programs of the backends and the Ingress, children of this process (postgres under runuser when root). */
const BACKEND_PROGRAMS = new Set(['postgres', 'runuser', 'nats-server', 'redis-server', 'nginx']);

const TIERS = ['single', 'clustered'] as const;
type TierName = (typeof TIERS)[number];

export interface ThroughputRun {
  readonly rooms: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly ackMs: Latency;
  /** Cores by kind of process (all gateways together, and so on); "other" is work outside the benchmark. */
  readonly cores: Record<string, number>;
}

export interface FanoutRun {
  readonly clients: number;
  readonly ratePerSecond: number;
  readonly deliveredPerSecond: number;
  readonly latencyMs: RunResult['latencyMs'];
  readonly missing: number;
  readonly closedClients: number;
  readonly ackMs: RunResult['ackMs'];
  /** Resident memory per connection of the realtime processes together. */
  readonly perConnectionKiB: number;
  readonly realtimeCpuUsPerDelivery: number;
  readonly cores: Record<string, number>;
}

export interface TierResult {
  readonly tier: TierName;
  readonly processes: Record<string, number>;
  readonly throughput: readonly ThroughputRun[];
  readonly fanout: FanoutRun;
  /** Warnings and errors the services logged during the fan-out run, by message. */
  readonly serverLog: Record<string, number>;
}

interface TierUnderTest {
  readonly name: TierName;
  readonly tier: ServiceTier;
  readonly team: PostingTeam;
}

// ---------------------------------------------------------------------------
// The processes of a tier

interface Child {
  readonly pid: number;
  readonly program: string;
}

/** This process's children: the tier's services, backends and nginx, and any client processes. */
async function children(): Promise<Child[]> {
  const found: Child[] = [];
  for (const name of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    // pid (program) state ppid …
    const program = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid) found.push({ pid: Number(name), program });
  }
  return found;
}

function servicePids(tier: ServiceTier): Record<string, number> {
  return Object.fromEntries(ROLES.flatMap((role) => tier.services(role).map((service, i) => [`${role}${i + 1}`, service.process.pid!])));
}

/** Every process of the tier for the CPU meter: each service alone, each backend with its children, and this driver. */
async function tierProcesses(tier: ServiceTier): Promise<Record<string, { pid: number; tree: boolean }>> {
  const services = Object.entries(servicePids(tier)).map(([name, pid]) => [name, { pid, tree: false }] as const);
  const backends = (await children())
    .filter((child) => BACKEND_PROGRAMS.has(child.program))
    .map((child) => [`${child.program === 'runuser' ? 'postgres' : child.program}:${child.pid}`, { pid: child.pid, tree: true }] as const);
  return Object.fromEntries([...services, ...backends, ['driver', { pid: process.pid, tree: false }]]);
}

/** Cores by kind: `gateway2` and `gateway1` are gateway, `nats-server:123` is nats-server, client processes are clients. */
function coresByKind(cpu: CpuUsage): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const [name, cores] of Object.entries(cpu.cores)) {
    const kind = name.replace(/:\d+$/, '').replace(/\d+$/, '');
    kinds[kind] = round((kinds[kind] ?? 0) + (Number.isFinite(cores) ? cores : 0), 2);
  }
  return { ...kinds, other: cpu.otherCores };
}

function countByKind(processes: Record<string, unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of Object.keys(processes).filter((n) => n !== 'driver')) {
    const kind = name.replace(/:\d+$/, '').replace(/\d+$/, '');
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------
// The two measurements

async function measureThroughput(under: TierUnderTest, rooms: number): Promise<ThroughputRun> {
  const label = `${under.name}-${rooms}`;
  await saturate(under.team, { rooms, seconds: WARM_SECONDS, label: `warm-${label}`, posters: POSTERS });
  const cpu = new CpuMeter(await tierProcesses(under.tier));
  await cpu.start();
  const { ackMs, failed, seconds } = await saturate(under.team, { rooms, seconds: POST_SECONDS, label: `run-${label}`, posters: POSTERS });
  const usage = await cpu.stop();
  return { rooms, acknowledged: ackMs.length, failed, perSecond: round(ackMs.length / seconds, 0), ackMs: latencyOf(ackMs), cores: coresByKind(usage) };
}

let nextClientMessageId = 0;

/** The tier as fanout.ts's measure sees a server: clients through nginx, the realtime processes holding them. */
function tierTarget(under: TierUnderTest): Target {
  const { tier, team } = under;
  const realtime = (): Record<string, number> => Object.fromEntries(Object.entries(servicePids(tier)).filter(([name]) => name.startsWith('realtime')));
  return {
    name: 'hearth',
    wsUrl: `${tier.url.replace(/^http/, 'ws')}/api/realtime/ws`,
    greeting: { cookies: team.posters.slice(1).map((member) => member.cookieHeader()), hellos: [HEARTH_HELLO], ping: null },
    servers: realtime,
    cpuProcesses: () => tierProcesses(tier),
    loopPids: () => servicePids(tier),
    logged: (since) => warningsIn(tier, since),
    async post(mark, n) {
      const poster = team.posters[n % team.posters.length]!;
      await poster.post(team.roomIds[0]!, `${mark} ${FILLER}`, `tiers-fanout-${under.name}-${nextClientMessageId++}`);
    },
  };
}

async function measureFanout(under: TierUnderTest, probes: LoopProbes): Promise<{ run: FanoutRun; serverLog: Record<string, number> }> {
  const result = await measure(tierTarget(under), FANOUT, probes);
  const run: FanoutRun = {
    clients: result.clients,
    ratePerSecond: result.ratePerSecond,
    deliveredPerSecond: result.deliveredPerSecond,
    latencyMs: result.latencyMs,
    missing: result.missing,
    closedClients: result.closedClients,
    ackMs: result.ackMs,
    perConnectionKiB: result.perConnectionKiB,
    realtimeCpuUsPerDelivery: result.serverCpuUsPerDelivery,
    cores: coresByKind(result.cpu),
  };
  return { run, serverLog: result.serverLog };
}

async function measureTier(name: TierName, probes: LoopProbes): Promise<TierResult> {
  const options = { postsPerMinute: 10_000_000, env: { NODE_OPTIONS: probes.nodeOptions } };
  const tier = name === 'single' ? await startSingleTier(options) : await startClusteredTier(options);
  try {
    const under: TierUnderTest = { name, tier, team: await postingTeam(tier.url, MANY_ROOMS) };
    const processes = countByKind(await tierProcesses(tier));
    const throughput = [await measureThroughput(under, 1), await measureThroughput(under, MANY_ROOMS)];
    const { run: fanout, serverLog } = await measureFanout(under, probes);
    return { tier: name, processes, throughput, fanout, serverLog };
  } finally {
    await tier.stop();
  }
}

// ---------------------------------------------------------------------------
// The benchmark

export interface ClusteredVsSingleResults {
  readonly tiers: readonly TierResult[];
  /** Clustered ÷ single. */
  readonly ratios: { readonly throughputOneRoom: number; readonly throughputManyRooms: number; readonly fanoutP99: number | null };
}

function ratiosOf(tiers: readonly TierResult[]): ClusteredVsSingleResults['ratios'] {
  const [single, clustered] = TIERS.map((name) => tiers.find((t) => t.tier === name)!);
  const throughput = (rooms: number): number => {
    const of = (t: TierResult): number => t.throughput.find((r) => r.rooms === rooms)!.perSecond;
    return round(of(clustered!) / of(single!), 2);
  };
  const [p99Single, p99Clustered] = [single!.fanout.latencyMs.p99, clustered!.fanout.latencyMs.p99];
  return {
    throughputOneRoom: throughput(1),
    throughputManyRooms: throughput(MANY_ROOMS),
    fanoutP99: p99Single === null || p99Clustered === null ? null : round(p99Clustered / p99Single, 2),
  };
}

function printResults(file: string, results: ClusteredVsSingleResults): void {
  printColumns(
    `clustered-vs-single → ${file}: post throughput (${POSTERS} posters, ${POST_SECONDS} s, through nginx)`,
    ['tier', 'rooms', 'acked/s', 'p50 ms', 'p99 ms', 'max ms', 'failed'],
    results.tiers.flatMap((t) =>
      t.throughput.map((r) => [t.tier, `${r.rooms}`, `${r.perSecond}`, `${r.ackMs.p50}`, `${r.ackMs.p99}`, `${r.ackMs.max}`, `${r.failed}`]),
    ),
  );
  const ms = (value: number | null, max: number): string => (value === null ? `>${max}` : `${value}`);
  printColumns(
    `fan-out (${FANOUT.clients} clients through nginx, ${FANOUT.rate} posts/s, ${FANOUT.seconds} s)`,
    ['tier', 'delivered/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'KiB/conn', 'realtime µs/frame', 'missing'],
    results.tiers.map(({ tier, fanout: f }) => [
      tier,
      `${f.deliveredPerSecond}`,
      ms(f.latencyMs.p50, f.latencyMs.max),
      ms(f.latencyMs.p99, f.latencyMs.max),
      ms(f.latencyMs.p999, f.latencyMs.max),
      `${f.latencyMs.max}`,
      `${f.perConnectionKiB}`,
      `${f.realtimeCpuUsPerDelivery}`,
      `${f.missing}`,
    ]),
    1,
  );
  const { ratios } = results;
  console.log(
    `\nclustered ÷ single: throughput ${ratios.throughputOneRoom}× (1 room), ${ratios.throughputManyRooms}× (${MANY_ROOMS} rooms); fan-out p99 ${ratios.fanoutP99 ?? '–'}×`,
  );
  console.log('cores by kind of process ("other" is work outside the benchmark):');
  for (const t of results.tiers) {
    const cores = (c: Record<string, number>): string =>
      Object.entries(c)
        .map(([kind, value]) => `${kind} ${value.toFixed(2)}`)
        .join(', ');
    for (const r of t.throughput) console.log(`  ${t.tier}, ${r.rooms} room${r.rooms === 1 ? '' : 's'}: ${cores(r.cores)}`);
    console.log(`  ${t.tier}, fan-out: ${cores(t.fanout.cores)}`);
    for (const [message, count] of Object.entries(t.serverLog)) console.log(`    logged ${count}× ${message}`);
  }
}

export async function runClusteredVsSingle(): Promise<ClusteredVsSingleResults> {
  // Before the tiers start: nginx and the client processes inherit the limit (each client is two sockets through nginx).
  const fdLimit = await raiseFdLimit();
  if (fdLimit < 2 * FANOUT.clients + 1_000) throw new Error(`the open-file limit is ${fdLimit}; ${FANOUT.clients} clients need more (ulimit -n)`);
  const probes = await LoopProbes.create();
  const tiers: TierResult[] = [];
  try {
    for (const name of TIERS) {
      console.log(`${name} tier…`);
      tiers.push(await measureTier(name, probes));
      await sleep(1_000);
    }
  } finally {
    await probes.dispose();
  }
  const results: ClusteredVsSingleResults = { tiers, ratios: ratiosOf(tiers) };
  const file = await writeResults('clustered-vs-single', {
    setup: {
      path: 'through nginx (the Ingress) for both tiers',
      driver: "the load generator; for the clustered tier also the PostgreSQL pair's forwarder and its psql probes, which the harness runs in this process",
      posters: POSTERS,
      postSeconds: POST_SECONDS,
      warmSeconds: WARM_SECONDS,
      manyRooms: MANY_ROOMS,
      fanout: { clients: FANOUT.clients, ratePerSecond: FANOUT.rate, seconds: FANOUT.seconds },
    },
    ...results,
  });
  printResults(file, results);
  return results;
}

if (import.meta.main) await runClusteredVsSingle();
