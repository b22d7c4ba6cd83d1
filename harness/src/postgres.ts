import { execFile } from 'node:child_process';
import { chown, readdir, readFile } from 'node:fs/promises';
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

/** One PostgreSQL server (startPostgres), which can be restarted. */
export interface PostgresSingle extends PostgresServer {
  /** A fast shutdown, then a start on the same port and data directory. */
  restart(): Promise<void>;
}

/** The newest PostgreSQL's bin directory from Debian's packages. */
export async function postgresBinDir(): Promise<string> {
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

/** The PostgreSQL binaries and a way to run them as the server's user. */
export interface PostgresTools {
  readonly bin: string;
  /** [command, args] that run `command` as the user the data directory belongs to. */
  readonly wrap: (command: string, args: string[]) => [string, string[]];
}

export async function postgresTools(dir: string): Promise<PostgresTools> {
  return { bin: await postgresBinDir(), wrap: await asServerUser(dir) };
}

/** Runs a PostgreSQL program (initdb, pg_ctl, pg_basebackup, psql…) as the server's user. */
export async function runAs(tools: PostgresTools, program: string, args: string[]): Promise<string> {
  const [command, wrapped] = tools.wrap(path.join(tools.bin, program), args);
  return (await run(command, wrapped)).stdout;
}

/** A running postgres on a data directory, which can be stopped, killed and started again. */
export interface PostgresProcess {
  readonly port: number;
  readonly data: string;
  /** Starts it (again) on its port and waits until it takes connections. */
  start(): Promise<void>;
  /** SIGKILL to the postmaster itself: a crash, with no shutdown checkpoint. */
  kill9(): Promise<void>;
  /** A fast shutdown; kills it if that does not end in time. */
  halt(): Promise<void>;
}

export async function postgresProcess(tools: PostgresTools, data: string, port: number, settings: readonly string[]): Promise<PostgresProcess> {
  let child: Child | null = null;
  const proc: PostgresProcess = {
    port,
    data,
    async start() {
      const [postgres, args] = tools.wrap(path.join(tools.bin, 'postgres'), ['-D', data, '-p', String(port), ...settings]);
      child = startChild(postgres, args);
      const [isready, readyArgs] = tools.wrap(path.join(tools.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'hearth', '-d', 'postgres']);
      await waitUntil(
        'postgres',
        async () =>
          await run(isready, readyArgs).then(
            () => true,
            () => false,
          ),
        child,
      );
    },
    async kill9() {
      // The child may be the runuser wrapper; the postmaster's pid is in its pid file.
      const pid = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
      await child?.exited;
      child = null;
    },
    async halt() {
      // pg_ctl's fast shutdown rolls back open transactions and exits; signalling the
      // runuser wrapper would not reach postgres itself.
      await runAs(tools, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '20']).catch(() => child?.stop('SIGKILL'));
      await child?.exited;
      child = null;
    },
  };
  await proc.start();
  return proc;
}

/** Server settings for loopback tests; without `durable`, no fsync (tests that do not kill PostgreSQL itself). */
export function testSettings(durable: boolean): string[] {
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (!durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  return settings;
}

export async function createDatabaseAt(tools: PostgresTools, port: number, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`createDatabase: ${name} is not a plain identifier`);
  await runAs(tools, 'psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'hearth', '-d', 'postgres', '-qc', `CREATE DATABASE ${name}`]);
  return `postgres://hearth@127.0.0.1:${port}/${name}`;
}

/**
 * Starts a fresh PostgreSQL cluster (initdb) on a free loopback port (or `port`, for a
 * test of a service that waits for it there) in a temporary directory.
 */
export async function startPostgres(options: { durable?: boolean; port?: number } = {}): Promise<PostgresSingle> {
  const dir = await tempDir('pg');
  const tools = await postgresTools(dir);
  const data = path.join(dir, 'data');
  await runAs(tools, 'initdb', ['-D', data, '-U', 'hearth', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const port = options.port ?? (await freePort());
  const server = await postgresProcess(tools, data, port, testSettings(options.durable === true));
  return {
    url: `postgres://hearth@127.0.0.1:${port}/postgres`,
    port,
    createDatabase: (name) => createDatabaseAt(tools, port, name),
    async restart() {
      await server.halt();
      await server.start();
    },
    async stop() {
      await server.halt();
      await removeDir(dir);
    },
  };
}
