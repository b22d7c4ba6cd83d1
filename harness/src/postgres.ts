import { execFile } from 'node:child_process';
import { chown, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

const run = promisify(execFile);

export interface PostgresServer {
  /** Connection URL of the `postgres` database as the superuser `hearth` (trust auth on loopback). */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function binDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [])).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error('PostgreSQL is not installed: run `make test-deps` (apt-get install postgresql)');
  return path.join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user Debian's package creates. */
async function asServerUser(dir: string): Promise<(command: string, args: string[]) => [string, string[]]> {
  if (process.getuid?.() !== 0) return (command, args) => [command, args];
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  return (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]];
}

/**
 * Starts a fresh PostgreSQL cluster (initdb) on a free loopback port (or `port`, for a
 * test of a service that waits for it there) in a temporary directory.
 */
export async function startPostgres(options: { durable?: boolean; port?: number } = {}): Promise<PostgresServer> {
  const bin = await binDir();
  const dir = await tempDir('pg');
  const wrap = await asServerUser(dir);
  const data = path.join(dir, 'data');
  const [initdb, initArgs] = wrap(path.join(bin, 'initdb'), ['-D', data, '-U', 'hearth', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  await run(initdb, initArgs);
  const port = options.port ?? (await freePort());
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  // Tests that do not kill PostgreSQL itself need no fsync; the durability tests ask for it.
  if (options.durable !== true) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const [postgres, args] = wrap(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings]);
  const child: Child = startChild(postgres, args);
  const [isready, readyArgs] = wrap(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'hearth', '-d', 'postgres']);
  await waitUntil('postgres', async () => (await run(isready, readyArgs).then(() => true, () => false)), child);
  const url = `postgres://hearth@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`createDatabase: ${name} is not a plain identifier`);
      const [psql, psqlArgs] = wrap(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'hearth', '-d', 'postgres', '-qc', `CREATE DATABASE ${name}`]);
      await run(psql, psqlArgs);
      return `postgres://hearth@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      // pg_ctl's fast shutdown rolls back open transactions and exits; signalling the
      // runuser wrapper would not reach postgres itself.
      const [pgctl, stopArgs] = wrap(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w', '-t', '20']);
      await run(pgctl, stopArgs).catch(() => child.stop('SIGKILL'));
      await child.exited;
      await removeDir(dir);
    },
  };
}
