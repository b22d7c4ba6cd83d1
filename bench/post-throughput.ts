import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTeam, DEFAULT_ROOM, HearthClient, SESSION_COOKIE } from '../e2e/client.ts';
import { startHearth, type Hearth } from '../e2e/harness.ts';
import type { SingleTier } from '../e2e/single-tier.ts';
import { awaitQuiet, medianRun, percentile, REPEATS, round, sleep, spreadOf, writeResults, type Spread } from './common.ts';
import { startEmbeddedPostFloor, type EmbeddedPostFloor } from './embedded-post-floor.ts';
import { pgTools, type PgTools } from './postgres-tools.ts';
import { backendProcesses, CpuMeter, LoopProbes, printColumns, type CpuUsage, type LoopDelay } from './fanout.ts';

/**
 * Post throughput: acknowledged posts per second at saturation and the p99
 * acknowledgement latency, POSTERS closed-loop posters (each posts again as soon
 * as its last post is acknowledged) for SECONDS, straight to the gateway's REST
 * API (no nginx), after a warm-up. Single tier: into one room, then spread over
 * MANY_ROOMS rooms (one room's posts serialise on its row lock; many rooms show
 * what the rest of the path allows). Beside each, on the SAME PostgreSQL in the
 * same run, pgbench with as many clients running a comparable transaction: the
 * UPDATE of the room's counter and the INSERT of a message row of about the same
 * size. Hearth's transaction does more (membership and idempotency reads, the
 * search lexemes and their GIN index, the room event and outbox rows, the
 * author's read marker), and its acknowledgement also crosses HTTP, the gateway,
 * NATS and the messaging process. Then the embedded tier (SQLite), one room, and
 * beside it its floor with the same posters: bench/embedded-post-floor.ts, fastify and raw
 * node:sqlite in a process of their own, running the session lookup, the room's sequence, the
 * message and its event on Hearth's schema with the embedded store's pragmas (that file lists
 * what Hearth does in addition).
 */

const POSTERS = Number(process.env['BENCH_POSTERS'] ?? 32);
const SECONDS = Number(process.env['BENCH_POST_SECONDS'] ?? 15);
/** Posting before each measured run (BENCH_POST_WARM_SECONDS; make bench-quick takes less). */
const WARM_SECONDS = Number(process.env['BENCH_POST_WARM_SECONDS'] ?? 3);
const POSTING_USERS = 8;
const MANY_ROOMS = 8;
const FILLER = 'the quick brown fox jumps over the lazy dog while the team chats along';
const PG_DATABASE = 'pgbench_posts';
const PGBENCH_THREADS = 2;

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface Throughput {
  readonly system: string;
  readonly rooms: number;
  readonly concurrency: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly latencyMs: Latency;
  readonly cpu: CpuUsage;
  /** Event-loop delay of the Node.js processes beyond the 10 ms tick (the driver's included). */
  readonly loopDelayMs: Record<string, LoopDelay | null>;
  /** PostgreSQL backends of the database by state and wait event, averaged over samples once a second. */
  readonly pgBackends: Record<string, number> | null;
}

export function latencyOf(ms: readonly number[]): Latency {
  return { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2), max: round(percentile(ms, 100), 1) };
}

// ---------------------------------------------------------------------------
// PostgreSQL's activity

/** Samples pg_stat_activity once a second: how many backends of `database` are running, waiting on a lock, or idle in a transaction. */
function sampleBackends(pg: PgTools, database: string): { stop(): Promise<Record<string, number>> } {
  const totals = new Map<string, number>();
  let samples = 0;
  // stop() ends the pause between samples at once: a run's end does not wait out the second.
  const stopped = new AbortController();
  const sql =
    "SELECT state || coalesce(' ' || wait_event_type || ':' || wait_event, ''), count(*) FROM pg_stat_activity " +
    `WHERE datname = '${database}' AND pid <> pg_backend_pid() AND state <> 'idle' GROUP BY 1`;
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const rows = await pg.psql(database, sql).catch(() => '');
      samples++;
      for (const line of rows
        .trim()
        .split('\n')
        .filter((l) => l !== '')) {
        const [key = '', count = '0'] = line.split('|');
        totals.set(key, (totals.get(key) ?? 0) + Number(count));
      }
      await delay(1_000, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      return Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([key, total]) => [key, round(total / Math.max(1, samples), 1)]));
    },
  };
}

// ---------------------------------------------------------------------------
// Hearth

export interface PostingTeam {
  readonly posters: readonly HearthClient[];
  /** The default room first, then more open rooms. */
  readonly roomIds: readonly string[];
}

/** The posting users, signed in at `gatewayUrl`: an administrator and POSTING_USERS − 1 members. */
export async function postingTeam(gatewayUrl: string, rooms: number): Promise<PostingTeam> {
  const { admin, members } = await createTeam(gatewayUrl, POSTING_USERS - 1);
  const roomIds = [(await admin.roomNamed(DEFAULT_ROOM)).id];
  for (let i = 1; i < rooms; i++) roomIds.push((await admin.createRoom('open', `Throughput ${i}`)).id);
  return { posters: [admin, ...members], roomIds };
}

export interface Saturation {
  /** Post into the first `rooms` of the team's rooms. */
  readonly rooms: number;
  readonly seconds: number;
  /** Goes into each post's body and clientMessageId, which must differ from run to run. */
  readonly label: string;
  /** Closed loops (default POSTERS). */
  readonly posters?: number;
}

/** `posters` closed loops over the posting users (and rooms), each posting as soon as its last post is acknowledged. */
export async function saturate(
  team: PostingTeam,
  { rooms, seconds, label, posters = POSTERS }: Saturation,
): Promise<{ ackMs: number[]; failed: number; seconds: number }> {
  const ackMs: number[] = [];
  let failed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: posters }, async (_, loop) => {
      const poster = team.posters[loop % team.posters.length]!;
      const roomId = team.roomIds[loop % rooms]!;
      for (let n = 0; performance.now() < end; n++) {
        const sentAt = performance.now();
        try {
          await poster.post(roomId, `throughput ${label} ${loop} ${n} ${FILLER}`, `throughput-${label}-${loop}-${n}`);
          ackMs.push(performance.now() - sentAt);
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ackMs, failed, seconds: (performance.now() - start) / 1000 };
}

interface HearthUnderTest {
  readonly hearth: Hearth;
  readonly team: PostingTeam;
  readonly single: SingleTier | null;
  readonly pg: PgTools | null;
}

/** What the posters post to, and which processes' CPU and event loops tell where the time went. */
interface PostingTarget {
  readonly system: string;
  readonly team: PostingTeam;
  /** The Node.js processes under test, by name (their CPU, and their event loops through the probes). */
  readonly nodes: Readonly<Record<string, number>>;
  /** More processes whose CPU counts (PostgreSQL's backends), looked up after the warm-up. */
  readonly others: () => Promise<Record<string, { readonly pid: number; readonly tree: boolean }>>;
  /** The PostgreSQL whose backends are sampled, if any. */
  readonly pg: PgTools | null;
}

function hearthTarget({ hearth, team, single, pg }: HearthUnderTest): PostingTarget {
  const nodes: Record<string, number> =
    single === null
      ? { hearth: hearth.process.pid! }
      : Object.fromEntries((['gateway', 'messaging', 'realtime'] as const).map((role) => [role, single.services(role)[0]!.process.pid!]));
  return {
    system: `Hearth ${single === null ? 'embedded' : 'single'} tier`,
    team,
    nodes,
    others: async () => (single === null ? {} : await backendProcesses(single)),
    pg,
  };
}

/** WARM_SECONDS of posting, then SECONDS measured. */
async function measurePosting(target: PostingTarget, rooms: number, probes: LoopProbes): Promise<Throughput> {
  const { team, nodes, pg } = target;
  await saturate(team, { rooms, seconds: WARM_SECONDS, label: `warm${rooms}` });
  const cpu = new CpuMeter({
    ...Object.fromEntries(Object.entries(nodes).map(([name, pid]) => [name, { pid, tree: false }])),
    ...(await target.others()),
    driver: { pid: process.pid, tree: false },
  });
  await probes.readAll(nodes);
  const driverLoop = monitorEventLoopDelay({ resolution: 10 });
  driverLoop.enable();
  const backends = pg === null ? null : sampleBackends(pg, 'hearth');
  await cpu.start();
  const { ackMs, failed, seconds } = await saturate(team, { rooms, seconds: SECONDS, label: `run${rooms}` });
  const usage = await cpu.stop();
  driverLoop.disable();
  const excess = (ns: number): number => round(Math.max(0, ns / 1e6 - 10), 1);
  return {
    system: target.system,
    rooms,
    concurrency: POSTERS,
    acknowledged: ackMs.length,
    failed,
    perSecond: round(ackMs.length / seconds, 0),
    latencyMs: latencyOf(ackMs),
    cpu: usage,
    loopDelayMs: {
      ...(await probes.readAll(nodes)),
      driver: { p50: excess(driverLoop.percentile(50)), p99: excess(driverLoop.percentile(99)), max: excess(driverLoop.max) },
    },
    pgBackends: (await backends?.stop()) ?? null,
  };
}

async function measureHearth(target: HearthUnderTest, rooms: number, probes: LoopProbes): Promise<Throughput> {
  return measurePosting(hearthTarget(target), rooms, probes);
}

// ---------------------------------------------------------------------------
// The embedded tier's floor

export const FLOOR_SYSTEM = 'fastify + node:sqlite floor';

/** The floor's seeded users as posters: each a client with the session cookie and CSRF token the floor made for it. */
function floorTarget(floor: EmbeddedPostFloor): PostingTarget {
  const posters = floor.info.sessions.map((session) => {
    const client = new HearthClient(floor.url);
    client.cookies.set(SESSION_COOKIE, session.id);
    client.csrfToken = session.csrfToken;
    return client;
  });
  return { system: FLOOR_SYSTEM, team: { posters, roomIds: [floor.info.roomId] }, nodes: { floor: floor.process.pid! }, others: async () => ({}), pg: null };
}

/** The same posters as the embedded tier's run (POSTING_USERS users, POSTERS loops, one room) against the floor. */
async function measureEmbeddedFloor(probes: LoopProbes): Promise<Throughput> {
  const floor = await startEmbeddedPostFloor(POSTING_USERS, { ...process.env, NODE_OPTIONS: probes.nodeOptions });
  try {
    return await measurePosting(floorTarget(floor), 1, probes);
  } finally {
    await floor.stop();
  }
}

// ---------------------------------------------------------------------------
// pgbench on the single tier's PostgreSQL

const roomId = (i: number): string => `01JBENCHR00M${String(i).padStart(14, '0')}`;

function schema(): string {
  const rooms = Array.from({ length: MANY_ROOMS }, (_, i) => `('${roomId(i)}')`).join(', ');
  return `
CREATE TABLE rooms (id text COLLATE "C" NOT NULL PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0) WITH (fillfactor = 80);
CREATE TABLE messages (
  pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  room_id text COLLATE "C" NOT NULL REFERENCES rooms (id),
  seq bigint NOT NULL,
  author_id text COLLATE "C" NOT NULL,
  client_message_id text COLLATE "C" NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (room_id, seq)
);
INSERT INTO rooms (id) VALUES ${rooms};`;
}

/** The room's counter and a message row of about Hearth's size (26-character ids, a body like the posters'), in one transaction; client c posts into room c mod rooms. */
function script(rooms: number): string {
  const room = `'${roomId(0).slice(0, -2)}' || lpad((:client_id % ${rooms})::text, 2, '0')`;
  return `\\set author random(1, ${POSTING_USERS})
BEGIN;
UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ${room} RETURNING last_seq AS seq \\gset
INSERT INTO messages (id, room_id, seq, author_id, client_message_id, body, created_at) VALUES (substr(md5(random()::text), 1, 26), ${room}, :seq, 'author-' || :author, 'pgbench-' || :client_id || '-' || :seq, 'throughput pgbench ' || :client_id || ' ' || :seq || ' ${FILLER}', now());
COMMIT;
`;
}

/** Per-transaction latencies (µs) from pgbench's -l logs: client, transaction, latency, script, epoch, µs. */
async function loggedLatenciesMs(dir: string, prefix: string): Promise<number[]> {
  const latencies: number[] = [];
  for (const name of (await readdir(dir)).filter((file) => file.startsWith(`${prefix}.`))) {
    for (const line of (await readFile(path.join(dir, name), 'utf8')).split('\n')) {
      const latency = Number(line.split(' ')[2]);
      if (line !== '' && Number.isFinite(latency)) latencies.push(latency / 1000);
    }
  }
  return latencies;
}

/** pgbench for WARM_SECONDS, then for SECONDS with per-transaction logs; CPU is measured inside the run, while its backends live. */
async function measurePgbench(tier: SingleTier, pg: PgTools, rooms: number): Promise<Throughput> {
  const file = path.join(pg.dir, `post-${rooms}.sql`);
  await writeFile(file, script(rooms), { mode: 0o644 });
  const args = (seconds: number): string[] => ['-n', '-M', 'prepared', '-c', String(POSTERS), '-j', String(PGBENCH_THREADS), '-T', String(seconds), '-f', file];
  await pg.pgbench(PG_DATABASE, args(WARM_SECONDS)).done;
  const prefix = `tx${rooms}`;
  const bench = pg.pgbench(PG_DATABASE, [...args(SECONDS), '-l', `--log-prefix=${path.join(pg.dir, prefix)}`]);
  // CPU is measured away from pgbench's start and end: a second of each, or a quarter of a short run.
  const lead = Math.min(1, SECONDS / 4);
  await sleep(lead * 1000);
  const cpu = new CpuMeter({ ...(await backendProcesses(tier)), pgbench: { pid: bench.pid, tree: true } });
  const backends = sampleBackends(pg, PG_DATABASE);
  await cpu.start();
  await sleep((SECONDS - 2 * lead) * 1000);
  const usage = await cpu.stop();
  const [output, pgBackends] = await Promise.all([bench.done, backends.stop()]);
  const latencies = await loggedLatenciesMs(pg.dir, prefix);
  const tps = /tps = ([\d.]+)/.exec(output)?.[1];
  if (tps === undefined) throw new Error(`pgbench printed no tps:\n${output}`);
  return {
    system: 'pgbench, same PostgreSQL',
    rooms,
    concurrency: POSTERS,
    acknowledged: latencies.length,
    failed: 0,
    perSecond: round(Number(tps), 0),
    latencyMs: latencyOf(latencies),
    cpu: usage,
    loopDelayMs: {},
    pgBackends,
  };
}

// ---------------------------------------------------------------------------
// The benchmark

export interface PostThroughputResults {
  readonly runs: readonly Throughput[];
  /** Hearth single tier ÷ pgbench on the same PostgreSQL, per number of rooms. */
  readonly ratios: readonly { readonly rooms: number; readonly throughput: number; readonly p99Latency: number }[];
  readonly postgresSettings: Record<string, string>;
  /** The embedded tier's floor (embedded-post-floor.ts), one room, the same posters as the embedded run in `runs`. */
  readonly embeddedFloor: Throughput;
  /** Hearth embedded tier ÷ its floor. */
  readonly embeddedVsFloor: { readonly throughput: number; readonly p99Latency: number };
}

/** The ratios of one round, each round a fresh single tier, embedded tier and floor. */
interface RoundRatios {
  readonly singleOneRoom: number;
  readonly singleManyRooms: number;
  readonly embeddedVsFloor: number;
}

const roundRatios = (results: PostThroughputResults): RoundRatios => ({
  singleOneRoom: results.ratios.find((r) => r.rooms === 1)!.throughput,
  singleManyRooms: results.ratios.find((r) => r.rooms === MANY_ROOMS)!.throughput,
  embeddedVsFloor: results.embeddedVsFloor.throughput,
});

/** The runs in the order they ran: the floor last, kept out of `runs` so that readers of `runs` see what they saw before. */
const allRuns = (results: PostThroughputResults): Throughput[] => [...results.runs, results.embeddedFloor];

function printResults(file: string, results: PostThroughputResults): void {
  printColumns(
    `post-throughput → ${file} (${POSTERS} concurrent, ${SECONDS} s)`,
    ['system', 'rooms', 'acked/s', 'p50 ms', 'p99 ms', 'max ms', 'failed'],
    [
      ...allRuns(results).map((r) => [
        r.system,
        `${r.rooms}`,
        `${r.perSecond}`,
        `${r.latencyMs.p50}`,
        `${r.latencyMs.p99}`,
        `${r.latencyMs.max}`,
        `${r.failed}`,
      ]),
      ...results.ratios.map((r) => ['Hearth single ÷ pgbench', `${r.rooms}`, `${r.throughput}×`, '', `${r.p99Latency}×`, '', '']),
      ['Hearth embedded ÷ floor', '1', `${results.embeddedVsFloor.throughput}×`, '', `${results.embeddedVsFloor.p99Latency}×`, '', ''],
    ],
    1,
  );
  console.log(
    `\nPostgreSQL: ${Object.entries(results.postgresSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(
    'where the CPU went (cores; "other" is everything else on the machine), event-loop delay beyond the 10 ms tick (p99/max ms), PostgreSQL backends (average):',
  );
  for (const r of allRuns(results)) {
    const cores = Object.entries(r.cpu.cores).map(([name, value]) => `${name} ${value.toFixed(2)} (${r.cpu.kernelPercent[name]}% kernel)`);
    console.log(
      `  ${r.system}, ${r.rooms} room${r.rooms === 1 ? '' : 's'}: ${cores.join(', ')}; other ${r.cpu.otherCores.toFixed(2)}; machine ${r.cpu.machineBusyPercent}% busy`,
    );
    const loops = Object.entries(r.loopDelayMs).map(([name, d]) => `${name} ${d === null ? '?' : `${d.p99}/${d.max}`}`);
    if (loops.length > 0) console.log(`    loop ${loops.join(', ')}`);
    if (r.pgBackends !== null)
      console.log(
        `    backends ${
          Object.entries(r.pgBackends)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none busy'
        }`,
      );
  }
}

/** Throughput and p99 latency of `hearth` ÷ those of `floor`. */
function versus(hearth: Throughput, floor: Throughput): { throughput: number; p99Latency: number } {
  return { throughput: round(hearth.perSecond / floor.perSecond, 3), p99Latency: round(hearth.latencyMs.p99 / floor.latencyMs.p99, 2) };
}

async function startUnderTest(tier: 'single' | 'embedded', probes: LoopProbes): Promise<HearthUnderTest> {
  const hearth = await startHearth({ tier, postsPerMinute: 10_000_000, env: { NODE_OPTIONS: probes.nodeOptions } });
  try {
    const single = tier === 'single' ? (hearth as SingleTier) : null;
    const team = await postingTeam(single?.services('gateway')[0]!.url ?? hearth.url, single === null ? 1 : MANY_ROOMS);
    return { hearth, team, single, pg: single === null ? null : await pgTools(single.postgres.port) };
  } catch (error) {
    await hearth.stop();
    throw error;
  }
}

async function singleTierRuns(probes: LoopProbes): Promise<{ runs: Throughput[]; settings: Record<string, string> }> {
  const target = await startUnderTest('single', probes);
  const { single, pg } = target as { single: SingleTier; pg: PgTools };
  try {
    await single.postgres.createDatabase(PG_DATABASE);
    await pg.psql(PG_DATABASE, schema());
    const settingsSql =
      "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections') ORDER BY name";
    const settings = Object.fromEntries(
      (await pg.psql(PG_DATABASE, settingsSql))
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    const runs: Throughput[] = [];
    for (const rooms of [1, MANY_ROOMS]) {
      runs.push(await measureHearth(target, rooms, probes));
      runs.push(await measurePgbench(single, pg, rooms));
    }
    return { runs, settings };
  } finally {
    await pg.dispose();
    await target.hearth.stop();
  }
}

async function embeddedTierRun(probes: LoopProbes): Promise<Throughput> {
  const embedded = await startUnderTest('embedded', probes);
  try {
    return await measureHearth(embedded, 1, probes);
  } finally {
    await embedded.hearth.stop();
  }
}

async function measureRound(probes: LoopProbes): Promise<PostThroughputResults> {
  const { runs, settings } = await singleTierRuns(probes);
  await sleep(1_000);
  const embedded = await embeddedTierRun(probes);
  runs.push(embedded);
  await sleep(1_000);
  const embeddedFloor = await measureEmbeddedFloor(probes);
  const ratios = [1, MANY_ROOMS].map((rooms) => {
    const hearth = runs.find((r) => r.system === 'Hearth single tier' && r.rooms === rooms)!;
    const pgbench = runs.find((r) => r.system.startsWith('pgbench') && r.rooms === rooms)!;
    return { rooms, ...versus(hearth, pgbench) };
  });
  return { runs, ratios, postgresSettings: settings, embeddedFloor, embeddedVsFloor: versus(embedded, embeddedFloor) };
}

/** REPEATS rounds; the figures are those of the median round by the single tier's one-room ratio, with every round's ratios and their spread. */
export async function runPostThroughput(): Promise<PostThroughputResults> {
  const probes = await LoopProbes.create();
  try {
    const rounds: PostThroughputResults[] = [];
    for (let i = 0; i < REPEATS; i++) {
      await awaitQuiet(`post-throughput, round ${i + 1}`);
      rounds.push(await measureRound(probes));
    }
    const results = medianRun(rounds, (r) => roundRatios(r).singleOneRoom);
    const ratiosByRound = rounds.map(roundRatios);
    const spread = Object.fromEntries(
      (Object.keys(ratiosByRound[0]!) as (keyof RoundRatios)[]).map((key) => [key, spreadOf(ratiosByRound.map((r) => r[key]))]),
    ) as Record<keyof RoundRatios, Spread>;
    const file = await writeResults('post-throughput', {
      setup: {
        posters: POSTERS,
        seconds: SECONDS,
        warmSeconds: WARM_SECONDS,
        postingUsers: POSTING_USERS,
        manyRooms: MANY_ROOMS,
        pgbenchThreads: PGBENCH_THREADS,
        pgbenchScript: script(1),
        repeats: REPEATS,
      },
      ...results,
      rounds: ratiosByRound,
      spread,
    });
    printResults(file, results);
    const shown = (x: Spread): string => `${x.median}× (${x.min}–${x.max})`;
    console.log(
      `\nratios over ${REPEATS} round${REPEATS === 1 ? '' : 's'}, median (lowest–highest): single ÷ pgbench, one room ${shown(spread.singleOneRoom)}, ` +
        `${MANY_ROOMS} rooms ${shown(spread.singleManyRooms)}; embedded ÷ floor ${shown(spread.embeddedVsFloor)}`,
    );
    return results;
  } finally {
    await probes.dispose();
  }
}

if (import.meta.main) await runPostThroughput();
