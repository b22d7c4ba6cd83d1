import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './common.ts';
import type { Ratios } from './fanout.ts';
import { floorsTable, postingRun } from './floors.ts';
import type { AtScale } from './operator-scale.ts';
import { describeMachine, frames, integer, ms, msOrMore, plural, ratio, roundsText, sources, table, type Written } from './markdown.ts';

/**
 * README.md's performance figures, rendered from bench/results/*.json so that they are never
 * typed by hand: everything between BEGIN and END is this file's output. `node bench/readme.ts`
 * rewrites it in place (`make bench` does after the benchmarks); readme.test.ts fails when
 * README.md says something else than the committed results.
 */

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';
export const README = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

// ---------------------------------------------------------------------------
// The parts of each results file the README quotes

interface Startup extends Written {
  readonly startupMs: { readonly runs: readonly number[]; readonly median: number };
  readonly rssMiB: { readonly fresh: number; readonly idle: number; readonly with1000WebSockets: number };
  readonly perConnectionKiB: number;
  /** Absent from results written before memory was measured in rounds. */
  readonly memoryRounds?: readonly unknown[];
  readonly idleRssMiB?: RoundSpread;
}

interface Saturation {
  readonly postsPerSecond: number;
  readonly ackMs: { readonly p99: number };
  readonly deliveredPerSecond: number | null;
}

interface Delivery extends Written {
  readonly setup: { readonly receivers: number; readonly ratePerSecond: number; readonly saturationPosters: number };
  readonly latency: {
    readonly deliveries: number;
    readonly expectedDeliveries: number;
    readonly outOfOrder: number;
    readonly latencyMs: { readonly p50: number; readonly p99: number };
  };
  readonly saturation: Saturation;
  readonly saturationWithoutClients: Saturation;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/** The lowest, median and highest of a figure over a benchmark's rounds. */
interface RoundSpread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

interface PostingRun {
  readonly system: string;
  readonly rooms: number;
  readonly perSecond: number;
  readonly latencyMs: Latency;
}

interface PostThroughput extends Written {
  readonly setup: { readonly posters: number; readonly manyRooms: number; readonly repeats: number };
  readonly runs: readonly PostingRun[];
  readonly ratios: readonly { readonly rooms: number; readonly throughput: number }[];
  readonly embeddedFloor: PostingRun;
  readonly embeddedVsFloor: { readonly throughput: number };
  readonly spread: { readonly singleOneRoom: RoundSpread; readonly singleManyRooms: RoundSpread; readonly embeddedVsFloor: RoundSpread };
}

interface FanoutRun {
  readonly clients: number;
  readonly ratePerSecond: number;
  readonly deliveredPerSecond: number;
  readonly latencyMs: { readonly p99: number | null; readonly max: number };
  readonly perConnectionKiB: number;
  readonly serverCpuUsPerDelivery: number;
}

interface Fanout extends Written {
  readonly setup: { readonly repeats: number; readonly centrifugo: { readonly version: string } };
  readonly reference: { readonly aim: { readonly p99Ratio: number; readonly memoryRatio: number } };
  readonly scenarios: readonly {
    readonly scenario: string;
    readonly clients: number;
    readonly ratePerSecond: number;
    readonly hearth: FanoutRun;
    /** null when not measured (make bench-quick measures only the peer summary.json takes). */
    readonly floor: FanoutRun | null;
    readonly centrifugo: FanoutRun | null;
    readonly ratios: Ratios;
    readonly spread: Readonly<Record<keyof Ratios, RoundSpread>>;
  }[];
}

interface OperatorScale extends Written {
  readonly hearths: number;
  readonly kubernetesVersion: string;
  readonly operator: {
    readonly doneMs: number;
    readonly requests: { readonly perHearth: number };
    readonly rssMiB: number;
  };
  readonly floor: { readonly ms: number; readonly requests: { readonly perHearth: number } };
  readonly operatorOverFloor: { readonly time: number; readonly requestsPerHearth: number };
  readonly spread: { readonly time: RoundSpread };
  readonly atScale?: AtScale;
}

interface Spread {
  readonly median: number;
  readonly max: number | null;
}

interface ClusteredFailover extends Written {
  readonly setup: { readonly faultsPerKind: number; readonly posters: number; readonly postIntervalMs: number; readonly followers: number };
  readonly kinds: readonly {
    readonly fault: string;
    readonly faults: number;
    readonly failoverMs: Spread;
    readonly everyPosterMs: Spread;
    readonly longestSilenceMs: Spread;
  }[];
  readonly acknowledged: number;
  readonly lostAcknowledged: number;
}

/** Cores by kind of process; `other` is work outside the benchmark. */
interface Cores {
  readonly cores: { readonly other: number };
}

interface TierRun {
  readonly tier: string;
  readonly throughput: readonly (Cores & { readonly rooms: number; readonly perSecond: number; readonly ackMs: Latency })[];
  readonly fanout: Cores & {
    readonly clients: number;
    readonly ratePerSecond: number;
    readonly deliveredPerSecond: number;
    readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number };
  };
}

interface ClusteredVsSingle extends Written {
  readonly setup: { readonly posters: number; readonly postSeconds: number; readonly manyRooms: number };
  readonly tiers: readonly TierRun[];
  readonly ratios: { readonly throughputOneRoom: number; readonly throughputManyRooms: number; readonly fanoutP99: number | null };
}

interface Rate {
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

interface Records extends Written {
  readonly messages: number;
  readonly records: number;
  readonly archiveMiBPer100kMessages: number;
  readonly exportSqlite: Rate;
  readonly importPostgres: Rate;
  readonly exportPostgres: Rate;
  readonly importSqlite: Rate;
}

interface Backup extends Written {
  readonly messages: number;
  readonly archiveMiBPer100kMessages: number;
  readonly compressionRatio: number;
  readonly backupSqlite: Rate;
  readonly restorePostgres: Rate;
  readonly restoreSqlite: Rate;
}

interface Migration extends Written {
  readonly messages: number;
  readonly steps: readonly {
    readonly from: string;
    readonly to: string;
    readonly records: number;
    readonly migrateMs: number;
    readonly recordsPerSecond: number;
    readonly windowMs: number;
    readonly copyPartMs: number;
    readonly readsWhilePaused: { readonly ok: number; readonly all: number };
  }[];
}

interface SecretRotation extends Written {
  readonly posters: number;
  readonly processesRolled: number;
  readonly runs: readonly { readonly acknowledged: number; readonly failedDuringRoll: number; readonly rollMs: number }[];
  readonly acknowledgedLost: number;
}

interface ChaosRun {
  readonly tier: string;
  readonly seed: number;
  readonly durationS: number;
  readonly rooms: number;
  readonly faults: { readonly total: number; readonly byKind: Readonly<Record<string, number>> };
  readonly posts: { readonly attempted: number; readonly acknowledged: number; readonly stored: number; readonly retriedAttempts: number };
  readonly lost: number;
  readonly unexpected: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly reorderings: number;
  readonly readers: readonly unknown[];
}

interface Chaos extends Written {
  readonly runs: readonly ChaosRun[];
}

export interface Results {
  readonly startup: Startup;
  readonly delivery: Delivery;
  readonly postThroughput: PostThroughput;
  readonly fanout: Fanout;
  readonly operatorScale: OperatorScale;
  readonly clusteredFailover: ClusteredFailover;
  readonly clusteredVsSingle: ClusteredVsSingle;
  readonly records: Records;
  readonly backup: Backup;
  readonly migration: Migration;
  readonly secretRotation: SecretRotation;
  readonly chaos: Chaos;
}

const FILES: Record<keyof Results, string> = {
  startup: 'startup',
  delivery: 'delivery',
  postThroughput: 'post-throughput',
  fanout: 'fanout',
  operatorScale: 'operator-scale',
  clusteredFailover: 'clustered-failover',
  clusteredVsSingle: 'clustered-vs-single',
  records: 'records',
  backup: 'backup',
  migration: 'migration',
  secretRotation: 'secret-rotation',
  chaos: 'chaos',
};

export async function loadResults(dir = RESULTS_DIR): Promise<Results> {
  return loadSome(Object.keys(FILES) as (keyof Results)[], dir);
}

/** The results of some benchmarks only (bench/floors.ts reads four). */
export async function loadSome<K extends keyof Results>(keys: readonly K[], dir = RESULTS_DIR): Promise<Pick<Results, K>> {
  const entries = await Promise.all(
    keys.map(async (key) => [key, JSON.parse(await readFile(path.join(dir, `${FILES[key]}.json`), 'utf8')) as unknown] as const),
  );
  return Object.fromEntries(entries) as unknown as Pick<Results, K>;
}

// ---------------------------------------------------------------------------
// Formatting: bench/markdown.ts

// ---------------------------------------------------------------------------
// The tables

/** Which server's memory the row shows, and the idle figure's spread over the rounds. */
function memoryRoundsNote({ memoryRounds, idleRssMiB }: Startup): string {
  if (memoryRounds === undefined || idleRssMiB === undefined || memoryRounds.length < 2) return '';
  return ` (the median of ${memoryRounds.length} servers by idle memory; idle ${idleRssMiB.min.toFixed(1)}–${idleRssMiB.max.toFixed(1)} MiB)`;
}

function embeddedTier({ startup, delivery }: Results): string {
  const { latency, saturation, saturationWithoutClients: bare } = delivery;
  const rows = [
    [`start-up, spawn to 200 on \`/readyz\` (median of ${startup.startupMs.runs.length})`, ms(startup.startupMs.median)],
    [
      `resident memory: fresh / idle / with 1,000 idle WebSockets${memoryRoundsNote(startup)}`,
      `${integer(startup.rssMiB.fresh)} / ${integer(startup.rssMiB.idle)} / ${integer(startup.rssMiB.with1000WebSockets)} MiB (about ${integer(startup.perConnectionKiB)} KiB per connection)`,
    ],
    [
      `post-to-delivery latency, ${integer(delivery.setup.receivers)} clients in one room, ${integer(delivery.setup.ratePerSecond)} posts/s`,
      `p50 ${ms(latency.latencyMs.p50)}, p99 ${ms(latency.latencyMs.p99)} (${integer(latency.deliveries)} of ${integer(latency.expectedDeliveries)} delivered, ${latency.outOfOrder === 0 ? 'none' : integer(latency.outOfOrder)} out of order)`,
    ],
    [
      `acknowledged posts/s at saturation (${delivery.setup.saturationPosters} posters), ${integer(delivery.setup.receivers)} clients connected`,
      `${integer(saturation.postsPerSecond)} /s (ack p99 ${ms(saturation.ackMs.p99)}), ${frames(saturation.deliveredPerSecond ?? 0)} frames/s delivered`,
    ],
    ['acknowledged posts/s at saturation, no clients connected', `${integer(bare.postsPerSecond)} /s (ack p99 ${ms(bare.ackMs.p99)})`],
  ];
  return [
    `**Embedded tier**: ${sources([
      ['startup', startup],
      ['delivery', delivery],
    ])}`,
    '',
    table(['figure', 'value'], rows),
  ].join('\n');
}

function posting(run: { readonly perSecond: number; readonly latencyMs: Latency }): string {
  return `${integer(run.perSecond)} /s, p99 ${ms(run.latencyMs.p99)}`;
}

function fanoutCell(run: FanoutRun | null, offered: number): string {
  if (run === null) return 'not measured';
  const delivered =
    run.deliveredPerSecond >= offered * 0.995
      ? `${frames(run.deliveredPerSecond)} frames/s`
      : `${frames(run.deliveredPerSecond)} of ${frames(offered)} frames/s`;
  return `${delivered}, p99 ${msOrMore(run.latencyMs.p99, run.latencyMs.max)}, ${run.perConnectionKiB.toFixed(1)} KiB/conn, ${run.serverCpuUsPerDelivery.toFixed(1)} µs CPU/frame`;
}

function singleTier({ postThroughput, fanout }: Results): string {
  const run = (system: string, rooms: number): PostingRun => postingRun(postThroughput, system, rooms);
  const { posters, manyRooms, repeats } = postThroughput.setup;
  const { spread } = postThroughput;
  const rows = [
    [
      `acknowledged posts/s, ${posters} posters, one room (vs \`pgbench\` inserting a comparable row on the same PostgreSQL)`,
      posting(run('Hearth single', 1)),
      posting(run('pgbench', 1)),
      spreadRatio(spread.singleOneRoom, repeats),
    ],
    [
      `the same over ${manyRooms} rooms`,
      posting(run('Hearth single', manyRooms)),
      posting(run('pgbench', manyRooms)),
      spreadRatio(spread.singleManyRooms, repeats),
    ],
    [
      'embedded tier, same load, one room (vs fastify running the same `node:sqlite` transaction)',
      posting(run('Hearth embedded', 1)),
      posting(postThroughput.embeddedFloor),
      spreadRatio(spread.embeddedVsFloor, repeats),
    ],
  ];
  return [
    `**Posting**: ${sources([['post-throughput', postThroughput]])}; the median of ${plural(repeats, 'round')}, the ratio's lowest and highest in brackets`,
    '',
    table(['figure', 'Hearth', 'floor', 'ratio'], rows),
    '',
    fanoutTable(fanout),
    '',
    fanoutAim(fanout),
  ].join('\n');
}

/** A ratio's median over the rounds, with its lowest and highest when there was more than one. */
function spreadRatio(spread: RoundSpread, repeats: number): string {
  return repeats === 1 ? ratio(spread.median) : `${ratio(spread.median)} (${ratio(spread.min)}–${ratio(spread.max)})`;
}

function fanoutTable(fanout: Fanout): string {
  const { repeats } = fanout.setup;
  const rows = fanout.scenarios.map((s) => {
    const offered = s.clients * s.ratePerSecond;
    const vsFloor = [
      s.ratios.p99Latency === null ? null : `p99 ${spreadRatio(s.spread.p99Latency, repeats)}`,
      `memory ${spreadRatio(s.spread.memoryPerConnection, repeats)}`,
      `CPU ${spreadRatio(s.spread.cpuPerDelivery, repeats)}`,
    ];
    const vsCentrifugo = [
      `delivered ${spreadRatio(s.spread.deliveriesVsCentrifugo, repeats)}`,
      s.ratios.p99VsCentrifugo === null ? null : `p99 ${spreadRatio(s.spread.p99VsCentrifugo, repeats)}`,
    ];
    return [
      `${s.scenario}: ${integer(s.clients)} clients, ${integer(s.ratePerSecond)} posts/s`,
      fanoutCell(s.hearth, offered),
      fanoutCell(s.floor, offered),
      fanoutCell(s.centrifugo, offered),
      vsFloor.filter((r) => r !== null).join(', '),
      vsCentrifugo.filter((r) => r !== null).join(', '),
    ];
  });
  return [
    `**Fan-out**, one room, clients on the realtime process's port: ${sources([['fanout', fanout]])}; the floor is a bare \`ws\` broadcast server, the peer Centrifugo ${fanout.setup.centrifugo.version} (memory engine, history on); the median of ${plural(repeats, 'round')}, each ratio's lowest and highest in brackets`,
    '',
    table(['scenario', 'Hearth', 'floor', 'Centrifugo', 'Hearth ÷ floor', 'Hearth ÷ Centrifugo'], rows),
  ].join('\n');
}

/** Whether the fan-out aim is met, in the figures of the run. */
function fanoutAim(fanout: Fanout): string {
  const { aim } = fanout.reference;
  const within = (value: number | null, most: number): boolean => value !== null && value <= most;
  const met = fanout.scenarios.every((s) => within(s.ratios.p99Latency, aim.p99Ratio) && within(s.ratios.memoryPerConnection, aim.memoryRatio));
  const shown = (value: number | null): string => (value === null ? 'unknown' : ratio(value));
  const p99s = fanout.scenarios.map((s) => `${s.scenario} ${shown(s.ratios.p99Latency)}`).join(', ');
  const memory = fanout.scenarios.map((s) => `${s.scenario} ${shown(s.ratios.memoryPerConnection)}`).join(', ');
  return `The fan-out aim (p99 within ${aim.p99Ratio}× of the floor's, memory per connection within ${aim.memoryRatio}×) is ${met ? '' : 'not '}met: p99 ${p99s}; memory ${memory}.`;
}

/** The rounds with many more Hearths (2,000 by default). */
function atScaleRows(a: AtScale): string[][] {
  return [
    [`${integer(a.hearths)} Hearths, ${roundsText(a.rounds)}: every object applied and every status written`, ms(a.operatorMs), ms(a.floorMs), ratio(a.time)],
    ['… API requests per Hearth', a.requestsPerHearth.toFixed(1), '', ''],
    ["… the operator's resident memory at the end", `${integer(a.operatorRssMiB)} MiB`, '', ''],
  ];
}

function operatorTier({ operatorScale: o }: Results): string {
  const rows = [
    [
      `${integer(o.hearths)} Hearths of the single tier created at once: every object applied and every status written`,
      ms(o.operator.doneMs),
      ms(o.floor.ms),
      ratio(o.operatorOverFloor.time),
    ],
    ['API requests per Hearth', o.operator.requests.perHearth.toFixed(1), o.floor.requests.perHearth.toFixed(1), ratio(o.operatorOverFloor.requestsPerHearth)],
    ["the operator's resident memory at the end", `${integer(o.operator.rssMiB)} MiB`, '', ''],
    ...(o.atScale === undefined ? [] : atScaleRows(o.atScale)),
  ];
  return [
    `**Operator**: ${sources([['operator-scale', o]])}, Kubernetes ${o.kubernetesVersion}; the floor is a plain loop applying the same objects`,
    '',
    table(['figure', 'operator', 'floor', 'ratio'], rows),
  ].join('\n');
}

function spread(s: Spread): string {
  return `${ms(s.median)} / ${s.max === null ? 'never' : ms(s.max)}`;
}

function otherWork(t: TierRun): string {
  return [...t.throughput, t.fanout].map((run) => run.cores.other.toFixed(2)).join(', ');
}

function clusteredTier({ clusteredFailover: f, clusteredVsSingle: c }: Results): string {
  const failoverRows = f.kinds.map((k) => [k.fault, spread(k.failoverMs), spread(k.everyPosterMs), spread(k.longestSilenceMs)]);
  const tier = (name: string): TierRun => c.tiers.find((t) => t.tier === name)!;
  const [clustered, single] = [tier('clustered'), tier('single')];
  const throughput = (t: TierRun, rooms: number): string => {
    const run = t.throughput.find((r) => r.rooms === rooms)!;
    return `${integer(run.perSecond)} /s, p99 ${ms(run.ackMs.p99)}`;
  };
  const fanout = (t: TierRun): string =>
    `p50 ${msOrMore(t.fanout.latencyMs.p50, t.fanout.latencyMs.max)}, p99 ${msOrMore(t.fanout.latencyMs.p99, t.fanout.latencyMs.max)}, ${frames(t.fanout.deliveredPerSecond)} frames/s`;
  const { posters, manyRooms } = c.setup;
  const comparisonRows = [
    [`acknowledged posts/s, ${posters} posters, one room`, throughput(clustered, 1), throughput(single, 1), ratio(c.ratios.throughputOneRoom)],
    [`the same over ${manyRooms} rooms`, throughput(clustered, manyRooms), throughput(single, manyRooms), ratio(c.ratios.throughputManyRooms)],
    [
      `fan-out: ${integer(clustered.fanout.clients)} clients in one room, ${integer(clustered.fanout.ratePerSecond)} posts/s`,
      fanout(clustered),
      fanout(single),
      c.ratios.fanoutP99 === null ? '' : `p99 ${ratio(c.ratios.fanoutP99)}`,
    ],
    ['cores busy with other work on the machine meanwhile (posting into 1 room, 8 rooms; fan-out)', otherWork(clustered), otherWork(single), ''],
  ];
  return [
    `**Clustered tier**: ${sources([
      ['clustered-failover', f],
      ['clustered-vs-single', c],
    ])}`,
    '',
    `Failover under a steady load (${plural(f.setup.posters, 'poster')}, each posting again ${f.setup.postIntervalMs} ms after an acknowledgement and retrying until one; ${plural(f.setup.followers, 'follower')} on WebSocket and SSE), ${plural(f.setup.faultsPerKind, 'fault')} of each kind, each recovered from before the next; median / max:`,
    '',
    table(['fault', 'first acknowledged post sent after it', 'every poster through again', 'longest without any acknowledgement'], failoverRows),
    '',
    `Acknowledged posts lost over the ${plural(
      f.kinds.reduce((sum, k) => sum + k.faults, 0),
      'fault',
    )}: ${integer(f.lostAcknowledged)} of ${integer(f.acknowledged)}.`,
    '',
    'The same load on each server tier, one after the other, both through nginx:',
    '',
    table(['figure', 'clustered', 'single', 'clustered ÷ single'], comparisonRows),
  ].join('\n');
}

const rate = (r: Pick<Rate, 'recordsPerSecond'>): string => `${integer(r.recordsPerSecond)} records/s`;

function movingData({ records, backup, migration, secretRotation: rotation }: Results): string {
  const rows = [
    [
      `\`hearth export\` of ${integer(records.records)} records (${integer(records.messages)} messages), SQLite / PostgreSQL`,
      `${rate(records.exportSqlite)} / ${rate(records.exportPostgres)}`,
    ],
    ['`hearth import` of them, verified, into PostgreSQL / SQLite', `${rate(records.importPostgres)} / ${rate(records.importSqlite)}`],
    [
      'records per 100,000 messages, uncompressed / as a `hearth backup` archive',
      `${records.archiveMiBPer100kMessages} MiB / ${backup.archiveMiBPer100kMessages} MiB`,
    ],
    ['`hearth backup` of the SQLite store', rate(backup.backupSqlite)],
    ['`hearth restore`, the archive checked, then verified, into PostgreSQL / SQLite', `${rate(backup.restorePostgres)} / ${rate(backup.restoreSqlite)}`],
    ...migration.steps.map((step) => [
      `\`hearth migrate\` ${step.from} → ${step.to} (${integer(migration.messages)} messages): copy, and writes unavailable (of which until the copy was verified)`,
      `${rate(step)}; ${ms(step.windowMs)} (${ms(step.copyPartMs)}); reads while paused ${integer(step.readsWhilePaused.ok)} of ${integer(step.readsWhilePaused.all)} answered`,
    ]),
    [
      `database password rotated under ${plural(rotation.posters, 'poster')}, ${plural(rotation.processesRolled, 'process', 'processes')} rolled: failed attempts during each roll (retried), acknowledged posts lost`,
      `${rotation.runs.map((run) => integer(run.failedDuringRoll)).join(', ')} of about ${integer(rotation.runs[0]?.acknowledged ?? 0)} posts each; ${integer(rotation.acknowledgedLost)} lost`,
    ],
  ];
  return [
    `**Moving data**: ${sources([
      ['records', records],
      ['backup', backup],
      ['migration', migration],
      ['secret-rotation', rotation],
    ])}`,
    '',
    table(['figure', 'Hearth'], rows),
  ].join('\n');
}

const BACKEND_NAMES: Readonly<Record<string, string>> = { postgres: 'PostgreSQL', nats: 'NATS', redis: 'Redis' };

/** What each fault kind of the chaos run (e2e/chaos/schedule.ts) is, in the table's words. */
function chaosFault(kind: string): string {
  const named: Readonly<Record<string, string>> = {
    latency: 'latency (500 ± 100 ms each way) for 3 s between the services and PostgreSQL, NATS or Redis, in turn',
    reset: 'connections reset (`reset_peer`) for 3 s, the same way',
    blackhole: 'black hole (`timeout`: bytes dropped, connections closed after 2 s) for 3 s, the same way',
    'kill9-nats-node': 'kill -9 of a NATS node (each in turn), brought back',
    'wipe-nats-node': 'kill -9 of a NATS node and the loss of its JetStream store, brought back empty',
    'failover-postgres': 'kill -9 of the PostgreSQL primary, its replica promoted, the pair rebuilt',
    'failover-redis': 'kill -9 of the Redis master, Sentinel failover',
  };
  const [action, subject = ''] = kind.split('-');
  if (named[kind] !== undefined) return named[kind];
  if (action === 'kill9') return `kill -9 of a ${subject} process, restarted`;
  if (action === 'pause') return `SIGSTOP of a ${subject} process, SIGCONT 3 s later`;
  return `restart of ${BACKEND_NAMES[subject] ?? subject}`;
}

function chaos({ chaos: c }: Results): string {
  const kinds = [...new Set(c.runs.flatMap((run) => Object.keys(run.faults.byKind)))];
  const faultRows = kinds.map((kind) => [
    chaosFault(kind),
    ...c.runs.map((run) => (run.faults.byKind[kind] === undefined ? '' : integer(run.faults.byKind[kind]))),
  ]);
  const countRows = c.runs.map((run) => [
    run.tier,
    ...[run.posts.attempted, run.posts.acknowledged, run.posts.stored, run.lost, run.unexpected, run.duplicates, run.gaps, run.reorderings].map(integer),
  ]);
  const first = c.runs[0]!;
  const runs = c.runs.map((run) => `${plural(run.faults.total, 'fault')} on the ${run.tier} tier in ${integer(run.durationS)} s`).join(', ');
  return [
    `**Chaos**: ${sources([['chaos', c]])}`,
    '',
    `\`make chaos\` (two processes of each service behind nginx; on the single tier, toxiproxy between them and their backends): ${runs}, in the order seed ${first.seed} draws, while posters retry each post with its clientMessageId until acknowledged over ${plural(first.rooms, 'room')} and ${plural(first.readers.length, 'reader')} follow on WebSocket and SSE:`,
    '',
    table(['fault', ...c.runs.map((run) => run.tier)], faultRows),
    '',
    "Counted in Jepsen's terms after the final drain: lost = acknowledged − stored, unexpected = stored − attempted; gaps, duplicates and reorderings of each room's seqs, summed over the readers (duplicates also counts a post stored twice):",
    '',
    table(['tier', 'posts attempted', 'acknowledged', 'stored', 'lost', 'unexpected', 'duplicates', 'gaps', 'reorderings'], countRows),
  ].join('\n');
}

/** The text between the markers. */
export function renderPerformance(results: Results): string {
  const machines = [...new Set(Object.values(results).map((r: Written) => describeMachine(r.machine)))];
  return [
    '<!-- Generated by bench/readme.ts from bench/results/*.json: change those (make bench), not this. -->',
    `Measured with \`make bench\` (\`bench/run.ts\`; the raw figures and the machine are in \`bench/results/*.json\`), the load generator on the same machine as the servers, on ${machines.join(' and on ')}. Each table names its benchmarks with the CPU, the day they ran and the 1-minute load average when they finished, which their own servers and clients raise; \`make bench\` waits before each benchmark and each round until that load is below 1, so that one run's processes are gone before the next starts. Other work on the machine makes every figure worse, and figures from different machines or days compare only roughly (see \`bench/README.md\`). Nothing here is asserted by tests.`,
    '',
    floorsTable(results),
    '',
    embeddedTier(results),
    '',
    singleTier(results),
    '',
    clusteredTier(results),
    '',
    operatorTier(results),
    '',
    movingData(results),
    '',
    chaos(results),
  ].join('\n');
}

/** Where the section starts (after BEGIN and its newline) and ends (before the newline ahead of END). */
function sectionBounds(readme: string): { readonly start: number; readonly end: number } {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  return { start: begin + BEGIN.length + 1, end: end - 1 };
}

/** `readme` with the text between the markers replaced by `section`. */
export function replaceSection(readme: string, section: string): string {
  const { start, end } = sectionBounds(readme);
  return `${readme.slice(0, start)}${section}${readme.slice(end)}`;
}

/** The text between the markers as it stands. */
export function currentSection(readme: string): string {
  const { start, end } = sectionBounds(readme);
  return readme.slice(start, end);
}

export async function writeReadme(): Promise<void> {
  const readme = await readFile(README, 'utf8');
  await writeFile(README, replaceSection(readme, renderPerformance(await loadResults())));
}

if (import.meta.main) await writeReadme();
