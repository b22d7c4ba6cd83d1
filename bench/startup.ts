import { createTeam, type HearthClient } from '../e2e/client.ts';
import { startHearth } from '../e2e/harness.ts';
import type { WebSocketStream } from '../e2e/realtime.ts';
import { median, medianRun, printTable, REPEATS, round, rssKiB, sleep, spreadOf, writeResults, type Row, type Spread } from './common.ts';

/**
 * Start-up: time from spawn to the first 200 on /readyz (median of 5 runs, a
 * fresh data directory each), and the server's resident memory at idle and
 * with 1,000 idle WebSocket connections (BENCH_REPEATS servers, the figures
 * those of the median one by idle memory). Idle is after the server's idle trim
 * (services/hearth/src/idle-trim.ts): a server left alone runs it after
 * HEARTH_IDLE_TRIM_SECONDS (30) of quiet; here it is 1, so the memory is read
 * after SETTLE_MS, two quiet windows, instead of half a minute.
 */

/** Starts measured (BENCH_STARTUP_RUNS; make bench-quick takes fewer). */
const RUNS = Number(process.env['BENCH_STARTUP_RUNS'] ?? 5);
const CONNECTIONS = 1_000;
const USERS = 10;
const WAVE = 100;
/** Longer than the idle trim's quiet window (make bench-quick takes less: BENCH_STARTUP_SETTLE_MS). */
const SETTLE_MS = Number(process.env['BENCH_STARTUP_SETTLE_MS'] ?? 3_000);
const IDLE_TRIM_SECONDS = '1';

async function timeStartups(): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const hearth = await startHearth({ pollIntervalMs: 5 });
    runs.push(hearth.readyAfterMs);
    await hearth.stop();
  }
  return runs;
}

/** Opens CONNECTIONS streams spread over the users, WAVE at a time, each after its hello is answered by ready. */
async function connectMany(users: readonly HearthClient[]): Promise<{ streams: WebSocketStream[]; ms: number }> {
  const streams: WebSocketStream[] = [];
  const started = performance.now();
  for (let wave = 0; wave < CONNECTIONS / WAVE; wave++) {
    const batch = Array.from({ length: WAVE }, (_, i) => users[(wave * WAVE + i) % users.length]!.connectWebSocket());
    await Promise.all(batch.map((stream) => stream.ready));
    streams.push(...batch);
  }
  return { streams, ms: performance.now() - started };
}

/** One server's memory: fresh, idle, and with the connections open. */
export interface MemoryRound {
  readonly rssMiB: { readonly fresh: number; readonly idle: number; readonly with1000WebSockets: number };
  readonly perConnectionKiB: number;
  readonly connect1000Ms: number;
}

/** The median memory round's figures at the top, as before there were rounds, with every round and the idle spread. */
export interface StartupResults extends MemoryRound {
  readonly setup: {
    readonly startupRuns: number;
    readonly memoryServers: number;
    readonly users: number;
    readonly connections: number;
    readonly connectionsAtOnce: number;
    readonly settleMs: number;
    readonly idleTrimSeconds: number;
  };
  readonly startupMs: { readonly runs: number[]; readonly median: number };
  readonly memoryRounds: readonly MemoryRound[];
  readonly idleRssMiB: Spread;
}

async function measureMemory(): Promise<MemoryRound> {
  const hearth = await startHearth({ env: { HEARTH_IDLE_TRIM_SECONDS: IDLE_TRIM_SECONDS } });
  try {
    const pid = hearth.process.pid!;
    await sleep(SETTLE_MS);
    const fresh = await rssKiB(pid);
    const team = await createTeam(hearth.url, USERS - 1);
    await sleep(SETTLE_MS);
    const idle = await rssKiB(pid);
    const { streams, ms } = await connectMany([team.admin, ...team.members]);
    await sleep(SETTLE_MS);
    const loaded = await rssKiB(pid);
    const alive = streams.filter((stream) => stream.socket.readyState === stream.socket.OPEN).length;
    if (alive !== CONNECTIONS) throw new Error(`only ${alive} of ${CONNECTIONS} connections stayed open`);
    await Promise.all(streams.map((stream) => stream.close()));
    return {
      rssMiB: { fresh: round(fresh / 1024), idle: round(idle / 1024), with1000WebSockets: round(loaded / 1024) },
      perConnectionKiB: round((loaded - idle) / CONNECTIONS),
      connect1000Ms: round(ms, 0),
    };
  } finally {
    await hearth.stop();
  }
}

export async function runStartup(): Promise<StartupResults> {
  const runs = await timeStartups();
  const memoryRounds: MemoryRound[] = [];
  for (let i = 0; i < REPEATS; i++) memoryRounds.push(await measureMemory());
  const idleRssMiB = spreadOf(memoryRounds.map((r) => r.rssMiB.idle));
  const results: StartupResults = {
    setup: {
      startupRuns: RUNS,
      memoryServers: REPEATS,
      users: USERS,
      connections: CONNECTIONS,
      connectionsAtOnce: WAVE,
      settleMs: SETTLE_MS,
      idleTrimSeconds: Number(IDLE_TRIM_SECONDS),
    },
    startupMs: { runs: runs.map((ms) => round(ms)), median: round(median(runs)) },
    ...medianRun(memoryRounds, (r) => r.rssMiB.idle),
    memoryRounds,
    idleRssMiB,
  };
  const file = await writeResults('startup', results);
  const rows: Row[] = [
    { metric: 'spawn → 200 /readyz', value: `${results.startupMs.median} ms`, note: `median of ${RUNS}: ${results.startupMs.runs.join(', ')}` },
    { metric: 'RSS fresh (no account)', value: `${results.rssMiB.fresh} MiB` },
    {
      metric: `RSS idle (${USERS} users)`,
      value: `${results.rssMiB.idle} MiB`,
      note: `median of ${REPEATS} servers: ${memoryRounds.map((r) => r.rssMiB.idle).join(', ')}`,
    },
    { metric: `RSS with ${CONNECTIONS} WebSockets`, value: `${results.rssMiB.with1000WebSockets} MiB`, note: `${results.perConnectionKiB} KiB per connection` },
    { metric: `connect ${CONNECTIONS} (hello → ready)`, value: `${results.connect1000Ms} ms`, note: `${WAVE} at a time, ${USERS} users` },
  ];
  printTable(`startup → ${file}`, rows);
  return results;
}

if (import.meta.main) await runStartup();
