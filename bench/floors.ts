import path from 'node:path';
import { RESULTS_DIR, round } from './common.ts';
import { integer, ms, msOrMore, ratio, roundsText, sources, table } from './markdown.ts';
import type { Results } from './readme.ts';

/**
 * Hearth against its floors and its peer (issue 15): each figure as a ratio measured in one run,
 * on one machine, with one load generator. `summarize` picks them out of bench/results/*.json;
 * `node bench/summary.ts` writes them to bench/results/summary.json (`make bench` does, after the
 * benchmarks), and README.md's table of them is rendered from the same function.
 */

/** summary.json's keys: numbers, each from the results of the same `make bench` run. */
export interface Summary {
  /** Fan-out A (2,000 clients × 50 posts/s), Hearth's p99 ÷ the bare `ws` floor's; null when a p99 is unknown. */
  readonly fanout_a_p99_vs_floor: number | null;
  /** Fan-out B (10,000 clients × 10 posts/s), the same. */
  readonly fanout_b_p99_vs_floor: number | null;
  /** Memory per connection ÷ the floor's, the larger of A and B. */
  readonly memory_per_conn_vs_floor: number;
  /** Fan-out S (offered beyond what the machine delivers): Hearth's delivered frames/s ÷ Centrifugo's. */
  readonly deliveries_vs_centrifugo: number;
  /** Acknowledged posts/s of the single tier into one room ÷ pgbench's comparable transaction on the same PostgreSQL. */
  readonly posts_single_vs_pgbench: number;
  /** The same over `setup.manyRooms` (8) rooms ÷ pgbench's over as many. */
  readonly posts_single_many_rooms_vs_pgbench: number;
  /** The single tier's acknowledged posts/s over 8 rooms ÷ into one room, in the same round: whether rooms scale. */
  readonly posts_single_many_rooms_vs_one_room: number;
  /** Acknowledged posts/s of the embedded tier ÷ fastify with the same node:sqlite transaction. */
  readonly posts_embedded_vs_floor: number;
  /** Embedded tier, spawn to the first 200 on /readyz, median. */
  readonly startup_ms: number;
  /** Embedded tier's resident memory, idle with 10 users signed in. */
  readonly idle_rss_mib: number;
  /** 200 single-tier Hearths fully applied: the operator's time ÷ a plain server-side-apply loop's. */
  readonly operator_time_vs_floor: number;
  /** The operator's resident memory with 2,000 single-tier Hearths applied (null when that round was left out). */
  readonly operator_rss_mib_at_scale: number | null;
}

/** What each figure should be: at most (`max`) or at least (`min`) the value. */
export const GOALS: Readonly<Record<keyof Summary, { readonly max?: number; readonly min?: number }>> = {
  fanout_a_p99_vs_floor: { max: 1.5 },
  fanout_b_p99_vs_floor: { max: 1.5 },
  memory_per_conn_vs_floor: { max: 1.2 },
  deliveries_vs_centrifugo: { min: 1 },
  posts_single_vs_pgbench: { min: 0.5 },
  posts_single_many_rooms_vs_pgbench: { min: 0.5 },
  posts_single_many_rooms_vs_one_room: { min: 3 },
  posts_embedded_vs_floor: { min: 0.5 },
  startup_ms: { max: 300 },
  idle_rss_mib: { max: 80 },
  operator_time_vs_floor: { max: 1.2 },
  operator_rss_mib_at_scale: { max: 500 },
};

/** The benchmarks the figures come from. */
export const SOURCES = ['fanout', 'postThroughput', 'startup', 'operatorScale'] as const;
type Sources = Pick<Results, (typeof SOURCES)[number]>;

function scenario(results: Sources, name: string): Results['fanout']['scenarios'][number] {
  const found = results.fanout.scenarios.find((s) => s.scenario === name);
  if (found === undefined) throw new Error(`fanout.json has no scenario ${name}: run node bench/fanout.ts`);
  return found;
}

/** Fan-out's scenarios A, B and S. */
function fanoutScenarios(results: Sources): [ReturnType<typeof scenario>, ReturnType<typeof scenario>, ReturnType<typeof scenario>] {
  return [scenario(results, 'A'), scenario(results, 'B'), scenario(results, 'S')];
}

type Posting = Sources['postThroughput'];

/** A run of the median posting round: `system` is how its name starts (Hearth single, Hearth embedded, pgbench). */
export function postingRun(posting: Posting, system: string, rooms: number): Posting['runs'][number] {
  const found = posting.runs.find((r) => r.system.startsWith(system) && r.rooms === rooms);
  if (found === undefined) throw new Error(`post-throughput.json has no run of ${system} into ${rooms} rooms: run node bench/post-throughput.ts`);
  return found;
}

/** The single tier's posts/s over many rooms ÷ into one, in the median round. */
function manyRoomsOverOne(posting: Posting): number {
  return round(postingRun(posting, 'Hearth single', posting.setup.manyRooms).perSecond / postingRun(posting, 'Hearth single', 1).perSecond, 2);
}

/** A ratio's median over the rounds (null when no round knew it: a p99 that fell on deliveries that never came). */
const known = (value: number | null): number | null => (value !== null && Number.isFinite(value) ? value : null);

/** Each ratio's median over its benchmark's rounds (fan-out, posting, operator), else the one run's figure (start-up: the median of its 5). */
export function summarize(results: Sources): Summary {
  const [a, b, s] = fanoutScenarios(results);
  const posting = results.postThroughput;
  return {
    fanout_a_p99_vs_floor: known(a.spread.p99Latency.median),
    fanout_b_p99_vs_floor: known(b.spread.p99Latency.median),
    memory_per_conn_vs_floor: Math.max(a.spread.memoryPerConnection.median, b.spread.memoryPerConnection.median),
    deliveries_vs_centrifugo: s.spread.deliveriesVsCentrifugo.median,
    posts_single_vs_pgbench: posting.spread.singleOneRoom.median,
    posts_single_many_rooms_vs_pgbench: posting.spread.singleManyRooms.median,
    posts_single_many_rooms_vs_one_room: manyRoomsOverOne(posting),
    posts_embedded_vs_floor: posting.spread.embeddedVsFloor.median,
    startup_ms: results.startup.startupMs.median,
    idle_rss_mib: results.startup.rssMiB.idle,
    operator_time_vs_floor: results.operatorScale.spread.time.median,
    operator_rss_mib_at_scale: results.operatorScale.atScale?.operatorRssMiB ?? null,
  };
}

/** Whether `value` meets its goal; an unknown value (null) does not. */
export function meetsGoal(key: keyof Summary, value: number | null): boolean {
  const { max, min } = GOALS[key];
  if (value === null) return false;
  return (max === undefined || value <= max) && (min === undefined || value >= min);
}

function goalText(key: keyof Summary, unit: (value: number) => string): string {
  const { max, min } = GOALS[key];
  return max !== undefined ? `≤ ${unit(max)}` : `≥ ${unit(min!)}`;
}

const verdict = (key: keyof Summary, value: number | null): string => (meetsGoal(key, value) ? 'met' : '**not met**');

/** One row: what, Hearth, the floor or peer, the figure compared with the goal, the goal, met or not. */
function row(key: keyof Summary, value: number | null, cells: { what: string; hearth: string; floor: string; unit?: (value: number) => string }): string[] {
  const unit = cells.unit ?? ratio;
  return [cells.what, cells.hearth, cells.floor, value === null ? 'unknown' : unit(value), goalText(key, unit), verdict(key, value)];
}

const perSecond = (value: number): string => `${integer(value)} /s`;

/** The posting rows: the single tier into one room and over many, each against pgbench, then the embedded tier against its floor. */
function postingRows(summary: Summary, posting: Posting): string[][] {
  const run = (system: string, rooms: number): { perSecond: number } => postingRun(posting, system, rooms);
  const many = posting.setup.manyRooms;
  return [
    row('posts_single_vs_pgbench', summary.posts_single_vs_pgbench, {
      what: 'acknowledged posts/s, single tier, one room',
      hearth: perSecond(run('Hearth single', 1).perSecond),
      floor: `pgbench ${perSecond(run('pgbench', 1).perSecond)}`,
    }),
    row('posts_single_many_rooms_vs_pgbench', summary.posts_single_many_rooms_vs_pgbench, {
      what: `the same over ${many} rooms`,
      hearth: perSecond(run('Hearth single', many).perSecond),
      floor: `pgbench ${perSecond(run('pgbench', many).perSecond)}`,
    }),
    row('posts_single_many_rooms_vs_one_room', summary.posts_single_many_rooms_vs_one_room, {
      what: `single tier, ${many} rooms ÷ one room (the median round)`,
      hearth: `${perSecond(run('Hearth single', many).perSecond)} / ${perSecond(run('Hearth single', 1).perSecond)}`,
      floor: '',
    }),
    row('posts_embedded_vs_floor', summary.posts_embedded_vs_floor, {
      what: 'acknowledged posts/s, embedded tier, no readers',
      hearth: perSecond(run('Hearth embedded', 1).perSecond),
      floor: `fastify + \`node:sqlite\` ${perSecond(posting.embeddedFloor.perSecond)}`,
    }),
  ];
}

/** README.md's table of the figures in summary.json, each beside what it is measured against. */
export function floorsTable(results: Sources): string {
  const summary = summarize(results);
  const [a, b, s] = fanoutScenarios(results);
  const posting = results.postThroughput;
  // A peer is null when not measured: make bench-quick measures only those the summary takes.
  const measured = (run: (typeof a)['floor'], figure: (run: (typeof a)['hearth']) => string): string => (run === null ? 'not measured' : figure(run));
  const p99 = (x: (typeof a)['floor']): string => measured(x, (run) => msOrMore(run.latencyMs.p99, run.latencyMs.max));
  const kib = (x: (typeof a)['floor']): string => measured(x, (run) => String(run.perConnectionKiB));
  const { startup, operatorScale: o } = results;
  const rows = [
    row('fanout_a_p99_vs_floor', summary.fanout_a_p99_vs_floor, {
      what: `fan-out p99, A: ${integer(a.clients)} clients × ${a.ratePerSecond} posts/s`,
      hearth: p99(a.hearth),
      floor: `bare \`ws\` ${p99(a.floor)}`,
    }),
    row('fanout_b_p99_vs_floor', summary.fanout_b_p99_vs_floor, {
      what: `fan-out p99, B: ${integer(b.clients)} clients × ${b.ratePerSecond} posts/s`,
      hearth: p99(b.hearth),
      floor: `bare \`ws\` ${p99(b.floor)}`,
    }),
    row('memory_per_conn_vs_floor', summary.memory_per_conn_vs_floor, {
      what: 'memory per connection, A / B (the larger ratio)',
      hearth: `${a.hearth.perConnectionKiB} / ${b.hearth.perConnectionKiB} KiB`,
      floor: `${kib(a.floor)} / ${kib(b.floor)} KiB`,
    }),
    row('deliveries_vs_centrifugo', summary.deliveries_vs_centrifugo, {
      what: `fan-out deliveries/s at saturation, S: ${integer(s.clients)} clients × ${s.ratePerSecond} posts/s offered`,
      hearth: perSecond(s.hearth.deliveredPerSecond),
      floor: `Centrifugo ${measured(s.centrifugo, (run) => perSecond(run.deliveredPerSecond))}`,
    }),
    ...postingRows(summary, results.postThroughput),
    row('startup_ms', summary.startup_ms, { what: 'start-up to ready, embedded', hearth: ms(startup.startupMs.median), floor: '', unit: ms }),
    row('idle_rss_mib', summary.idle_rss_mib, {
      what: 'resident memory, embedded: fresh / idle with 10 users',
      hearth: `${integer(startup.rssMiB.fresh)} / ${integer(startup.rssMiB.idle)} MiB`,
      floor: '',
      unit: (value) => `${integer(value)} MiB`,
    }),
    row('operator_time_vs_floor', summary.operator_time_vs_floor, {
      what: `operator, ${integer(o.hearths)} single-tier Hearths fully applied`,
      hearth: `${ms(o.operator.doneMs)}, ${o.operator.requests.perHearth.toFixed(0)} requests per Hearth, ${integer(o.operator.rssMiB)} MiB`,
      floor: `plain server-side apply ${ms(o.floor.ms)}, ${o.floor.requests.perHearth.toFixed(0)} requests`,
    }),
    row('operator_rss_mib_at_scale', summary.operator_rss_mib_at_scale, {
      what: `operator's memory, ${o.atScale === undefined ? 'the round at scale left out' : `${integer(o.atScale.hearths)} single-tier Hearths fully applied (${roundsText(o.atScale.rounds)})`}`,
      hearth: o.atScale === undefined ? '' : `${ms(o.atScale.operatorMs)}, ${o.atScale.requestsPerHearth.toFixed(0)} requests per Hearth`,
      floor: o.atScale === undefined ? '' : `plain server-side apply ${ms(o.atScale.floorMs)} (${ratio(o.atScale.time)})`,
      unit: (value) => `${integer(value)} MiB`,
    }),
  ];
  return [
    `**Hearth at its floors** (\`bench/results/summary.json\`): ${sources([
      ['fanout', results.fanout],
      ['post-throughput', posting],
      ['startup', startup],
      ['operator-scale', o],
    ])}`,
    '',
    table(['figure', 'Hearth (the median round)', 'floor or peer', 'ratio or figure, median of the rounds', 'goal', 'status'], rows),
  ].join('\n');
}

export const SUMMARY_FILE = path.join(RESULTS_DIR, 'summary.json');

export function summaryJson(summary: Summary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
