import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { softwareVersions } from './versions.ts';

/** What every benchmark shares: the machine description, percentiles, the results file, the printed table. */

/** bench/results, or BENCH_RESULTS_DIR (make bench-quick writes elsewhere, so that README.md's figures stay those of a full run). */
export const RESULTS_DIR = process.env['BENCH_RESULTS_DIR'] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  /** 1, 5 and 15 minute load averages when the results were written: other work on the machine skews the figures. */
  readonly loadAverage: readonly number[];
}

export function describeMachine(): Machine {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((load) => round(load, 2)),
  };
}

/** The p-th percentile (0–100) of unsorted samples, by nearest rank; NaN when there are none. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: ArrayLike<number>): number {
  return percentile(samples, 50);
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Resident set size of a process in KiB, from /proc/<pid>/status (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (Linux, 100 ticks a second). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it are space-separated: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Row {
  readonly metric: string;
  readonly value: string;
  readonly note?: string;
}

export function printTable(title: string, rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.metric.length), 6);
  const valueWidth = Math.max(...rows.map((row) => row.value.length), 5);
  console.log(`\n${title}`);
  console.log(`${'metric'.padEnd(width)}  ${'value'.padStart(valueWidth)}  note`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(valueWidth)}  ----`);
  for (const row of rows) console.log(`${row.metric.padEnd(width)}  ${row.value.padStart(valueWidth)}  ${row.note ?? ''}`);
}

/** Writes bench/results/<name>.json with the machine description; returns its path. */
export async function writeResults(name: string, results: object): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const written = { benchmark: name, machine: describeMachine(), versions: await softwareVersions(), ...results };
  await writeFile(file, `${JSON.stringify(written, null, 2)}\n`);
  return file;
}

/** How many times `make bench` measures each scenario (the figures are the median run's; BENCH_REPEATS=1 for a quick look). */
export const REPEATS = Math.max(1, Number(process.env['BENCH_REPEATS'] ?? 3));

/** The lowest, median and highest of repeated measurements: how far one run's figure can be trusted. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/**
 * The lowest and highest of the known values, and the median of all of them with the unknown
 * (NaN) ranked last, as medianRun ranks them: a round that measured nothing cannot lower the
 * median. Dropping it instead made 0.95 the median of a fan-out's rounds 0.95, unknown and 2.43.
 */
export function spreadOf(values: readonly number[]): Spread {
  const known = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (known.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  return { min: known[0]!, median: known[Math.floor((values.length - 1) / 2)] ?? Number.NaN, max: known.at(-1)! };
}

/** The run whose `key` is the median (the lower of the middle two), so its other figures come from one real run; unknown keys rank last. */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number | null): T {
  if (runs.length === 0) throw new Error('no runs to take the median of');
  const rank = (run: T): number => key(run) ?? Number.POSITIVE_INFINITY;
  const sorted = [...runs].sort((a, b) => rank(a) - rank(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The 1-minute load average a benchmark waits for before it starts measuring (BENCH_QUIET_LOAD). */
const QUIET_LOAD = Number(process.env['BENCH_QUIET_LOAD'] ?? 1);
/** The longest a benchmark waits for it (BENCH_QUIET_SECONDS): make bench-quick waits little, its figures being a before/after look. */
const QUIET_TIMEOUT_MS = Number(process.env['BENCH_QUIET_SECONDS'] ?? 300) * 1000;

/**
 * Waits until the machine's 1-minute load average is below QUIET_LOAD (at most QUIET_TIMEOUT_MS), so that
 * the previous scenario's processes have gone quiet; returns the load it started at. The load
 * average decays with a one-minute time constant: from 3 it takes about 70 s.
 */
export async function awaitQuiet(what: string): Promise<number> {
  const started = performance.now();
  while (loadavg()[0]! >= QUIET_LOAD && performance.now() - started < QUIET_TIMEOUT_MS) await sleep(2_000);
  const load = round(loadavg()[0]!, 2);
  const waited = Math.round((performance.now() - started) / 1000);
  console.log(
    `${what}: load average ${load}${load >= QUIET_LOAD ? ` (still ≥ ${QUIET_LOAD} after ${waited} s: other work on the machine)` : waited > 0 ? ` after ${waited} s` : ''}`,
  );
  return load;
}
