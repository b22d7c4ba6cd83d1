import { execFile, spawn } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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

async function binDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  return path.join(root, versions[0], 'bin');
}

/** The tools, with psql and pgbench pointed at the server on `port`. */
export async function pgTools(port: number): Promise<PgTools> {
  const bin = await binDir();
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-pgbench-'));
  let wrap = (command: string, args: readonly string[]): [string, string[]] => [command, [...args]];
  if (process.getuid?.() === 0) {
    const uid = Number((await execute('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await execute('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
    wrap = (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]];
  }
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
