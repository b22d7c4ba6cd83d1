import type { Machine } from './common.ts';
import type { Versions } from './versions.ts';

/** Markdown for README.md's figures (bench/readme.ts, bench/floors.ts): numbers as the tables print them. */

export interface Written {
  readonly machine: Machine;
  /** Absent from results written before they named the commit and the servers. */
  readonly versions?: Versions;
}

export const integer = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Under 10 ms with a decimal, seconds from 1 s on. */
export function ms(value: number): string {
  if (value >= 1_000) return `${(value / 1000).toFixed(1)} s`;
  return value < 10 ? `${value.toFixed(1)} ms` : `${integer(value)} ms`;
}

/** A percentile that may have fallen on deliveries that never came (null): then more than the longest seen. */
export function msOrMore(value: number | null, max: number): string {
  return value === null ? `> ${ms(max)}` : ms(value);
}

export const ratio = (value: number): string => `${value.toFixed(2)}×`;

/** Frames a second to the hundred: 99,841 → 99,800. */
export const frames = (value: number): string => integer(Math.round(value / 100) * 100);

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function describeMachine(machine: Machine): string {
  return `${machine.cpuModel}, ${machine.cores} cores, ${integer(machine.memoryMiB / 1024)} GiB, Node ${machine.node.replace(/^v/, '')}, ${machine.platform}`;
}

/** Where a table's figures come from: each benchmark with its CPU, the day it ran and the 1-minute load average when it finished. */
export function sources(files: readonly (readonly [string, Written])[]): string {
  return files
    .map(([name, { machine, versions }]) => {
      const hearth = versions?.hearth ?? null;
      const commit = hearth === null ? '' : `, Hearth ${hearth}`;
      return `\`bench/${name}.ts\` (${machine.cpuModel}, ${machine.date.slice(0, 10)}, load ${machine.loadAverage[0]}${commit})`;
    })
    .join(', ');
}

export const plural = (count: number, one: string, many = `${one}s`): string => `${integer(count)} ${count === 1 ? one : many}`;

/** How many rounds a figure is the median of: results written before there were rounds say nothing (one). */
export const roundsText = (rounds: readonly unknown[] | undefined): string =>
  rounds === undefined || rounds.length === 1 ? 'one round' : `the median of ${rounds.length} rounds`;
