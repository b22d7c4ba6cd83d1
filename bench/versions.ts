import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { natsServerBinary, pinnedVersion, postgresBinDir } from '@hearth/harness';

const run = promisify(execFile);

/**
 * What a results file measured: Hearth's commit and the version of each server the benchmarks
 * start, so that two results files can be told apart by more than their date. null: not found
 * (a benchmark that does not use it may run without it).
 */
export interface Versions {
  /** The commit, with `+changes` when files other than bench/results and Markdown differ from it. */
  readonly hearth: string | null;
  readonly node: string;
  readonly postgres: string | null;
  readonly natsServer: string | null;
  readonly redis: string | null;
  readonly nginx: string | null;
  readonly centrifugo: string | null;
}

/** The first dotted version in a program's banner ("postgres (PostgreSQL) 15.14" → "15.14"). */
export function versionIn(banner: string): string | null {
  return /\d+\.\d+(?:\.\d+)?/.exec(banner)?.[0] ?? null;
}

/** What a program writes to stdout and stderr, or null when it does not run. */
async function outputOf(command: string, args: string[]): Promise<{ readonly stdout: string; readonly stderr: string } | null> {
  try {
    return await run(command, args, { timeout: 10_000 });
  } catch {
    return null;
  }
}

/** A program's banner: stdout, or stderr as nginx writes it. */
async function banner(command: string, args: string[]): Promise<string | null> {
  const output = await outputOf(command, args);
  return output === null ? null : `${output.stdout}${output.stderr}`;
}

const versionOf = async (command: Promise<string>, args: string[]): Promise<string | null> => {
  const found = await command.catch(() => null);
  if (found === null) return null;
  const text = await banner(found, args);
  return text === null ? null : versionIn(text);
};

async function hearthCommit(): Promise<string | null> {
  const root = path.resolve(import.meta.dirname, '..');
  // stdout only: a warning git writes to stderr is not part of the commit.
  const commit = await outputOf('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD']);
  if (commit === null) return null;
  // The results a benchmark run writes, and notes written while it runs, do not make the code it measured a different one.
  const changes = await outputOf('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results', ':!*.md']);
  return `${commit.stdout.trim()}${changes === null || changes.stdout.trim() === '' ? '' : '+changes'}`;
}

async function readVersions(): Promise<Versions> {
  const [hearth, postgres, natsServer, redis, nginx, centrifugo] = await Promise.all([
    hearthCommit(),
    versionOf(
      postgresBinDir().then((dir) => path.join(dir, 'postgres')),
      ['--version'],
    ),
    versionOf(natsServerBinary(), ['--version']),
    versionOf(Promise.resolve('redis-server'), ['--version']),
    versionOf(Promise.resolve('nginx'), ['-v']),
    pinnedVersion('build-centrifugo.sh', 'centrifugo_version').catch(() => null),
  ]);
  return { hearth, node: process.version, postgres, natsServer, redis, nginx, centrifugo };
}

let versions: Promise<Versions> | undefined;

/** Read once per process: every results file of a run names the same versions. */
export function softwareVersions(): Promise<Versions> {
  versions ??= readVersions();
  return versions;
}
