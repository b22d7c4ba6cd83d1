import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresTools } from '@hearth/harness';

/**
 * PostgreSQL's programs for the benchmarks: psql and pgbench against a server the harness
 * started, pg_basebackup to rebuild a replica. As root they run as the `postgres` user, as
 * harness/src/postgres.ts runs the servers: a data directory must belong to the server's user.
 */

const execute = promisify(execFile);

export interface PgTools {
  /** A scratch directory the server's user may write: pgbench's scripts and logs. */
  readonly dir: string;
  /** psql on the server's port as `hearth`; the unaligned output. */
  psql(database: string, sql: string): Promise<string>;
  /** Starts pgbench on `database`; resolves with its output when it exits. */
  pgbench(database: string, args: readonly string[]): { readonly pid: number; readonly done: Promise<string> };
  /** Runs any of PostgreSQL's programs (pg_basebackup, psql on another port…) to its end; its output. */
  run(program: string, args: readonly string[]): Promise<string>;
  dispose(): Promise<void>;
}

/** The tools, with psql and pgbench pointed at the server on `port`. */
export async function pgTools(port: number): Promise<PgTools> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-pgbench-'));
  // The harness's: the binaries of the newest PostgreSQL installed, run as the server's user (who gets `dir`).
  const { bin, wrap: wrapArgs } = await postgresTools(dir);
  const wrap = (command: string, args: readonly string[]): [string, string[]] => wrapArgs(command, [...args]);
  const connection = ['-h', '127.0.0.1', '-p', String(port), '-U', 'hearth'];
  const run = async (program: string, args: readonly string[]): Promise<string> => {
    const [command, wrapped] = wrap(path.join(bin, program), args);
    return (await execute(command, wrapped, { cwd: dir })).stdout;
  };
  return {
    dir,
    run,
    psql: (database, sql) => run('psql', [...connection, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql]),
    pgbench(database, args) {
      const [command, wrapped] = wrap(path.join(bin, 'pgbench'), [...connection, ...args, database]);
      const child = spawn(command, wrapped, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const done = new Promise<string>((resolve, reject) =>
        child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`pgbench exited with ${code}:\n${output}`)))),
      );
      return { pid: child.pid!, done };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
