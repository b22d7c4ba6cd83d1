// PostgreSQL as the clustered tier runs it: a primary and a streaming replica (pg_basebackup -R),
// with commits waiting for the replica (synchronous_standby_names), so that a transaction the
// primary acknowledged is on both. Clients reach whichever is primary through one stable address,
// a forwarder that follows promotion, as CloudNativePG's -rw Service does: each new connection goes
// to the node that answers `pg_is_in_recovery() = false`, and connections to a node that stopped
// being primary are cut.
import { execFile } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  createDatabaseAt,
  postgresProcess,
  postgresTools,
  runAs,
  testSettings,
  type PostgresProcess,
  type PostgresServer,
  type PostgresTools,
} from './postgres.ts';
import { freePort, removeDir, tempDir, waitUntil } from './process.ts';

const run = promisify(execFile);
/** How often the forwarder asks each node whether it is the primary. */
const PROBE_MS = 250;

export interface PostgresPair extends PostgresServer {
  /** The two nodes: the first starts as primary, the second as its replica. */
  readonly nodes: readonly PostgresProcess[];
  /** The node the forwarder sends connections to now, if any. */
  primary(): PostgresProcess | undefined;
  /** Promotes `node` (a replica) to primary, and waits until the forwarder sends connections to it. */
  promote(node: PostgresProcess): Promise<void>;
}

export async function startPostgresPair(): Promise<PostgresPair> {
  const dir = await tempDir('pg-pair');
  const tools = await postgresTools(dir);
  const [primaryData, replicaData] = [path.join(dir, 'primary'), path.join(dir, 'replica')];
  await runAs(tools, 'initdb', ['-D', primaryData, '-U', 'hearth', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const nodes: PostgresProcess[] = [];
  let forwarder: Forwarder | undefined;
  try {
    // Only the first primary waits for a standby: a promoted replica has none to wait for.
    const primary = await postgresProcess(tools, primaryData, primaryPort, [
      ...testSettings(true),
      '-c',
      'synchronous_standby_names=*',
      '-c',
      'wal_level=replica',
    ]);
    nodes.push(primary);
    await runAs(tools, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'hearth', '-D', replicaData, '-R', '-X', 'stream', '--no-sync']);
    nodes.push(await postgresProcess(tools, replicaData, replicaPort, testSettings(true)));
    await waitUntil('the replica streaming from the primary', () => isStreaming(tools, primaryPort), null);
    forwarder = await startForwarder(nodes);
    await waitUntil('the forwarder to find the primary', async () => forwarder?.target() === primary, null);
  } catch (error) {
    await forwarder?.close();
    await Promise.allSettled(nodes.map((node) => node.halt()));
    await removeDir(dir);
    throw error;
  }
  const active = forwarder;
  return {
    url: `postgres://hearth@127.0.0.1:${active.port}/postgres`,
    port: active.port,
    nodes,
    primary: () => active.target(),
    async createDatabase(name) {
      const target = active.target();
      if (target === undefined) throw new Error('createDatabase: no primary');
      await createDatabaseAt(tools, target.port, name);
      return `postgres://hearth@127.0.0.1:${active.port}/${name}`;
    },
    async promote(node) {
      await runAs(tools, 'pg_ctl', ['promote', '-D', node.data, '-w', '-t', '30']);
      await waitUntil('the forwarder to follow the promotion', async () => active.target() === node, null);
    },
    async stop() {
      await active.close();
      await Promise.allSettled(nodes.map((node) => node.halt()));
      await removeDir(dir);
    },
  };
}

async function isStreaming(tools: PostgresTools, primaryPort: number): Promise<boolean> {
  const out = await runAs(tools, 'psql', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'hearth',
    '-d',
    'postgres',
    '-Atc',
    "select count(*) from pg_stat_replication where state = 'streaming'",
  ]).catch(() => '0');
  return out.trim() === '1';
}

/** 'primary', 'replica', or 'down' for a node that does not answer. */
async function roleOf(node: PostgresProcess): Promise<'primary' | 'replica' | 'down'> {
  try {
    const { stdout } = await run('psql', ['-h', '127.0.0.1', '-p', String(node.port), '-U', 'hearth', '-d', 'postgres', '-Atc', 'select pg_is_in_recovery()'], {
      timeout: 2_000,
    });
    return stdout.trim() === 'f' ? 'primary' : 'replica';
  } catch {
    return 'down';
  }
}

interface Forwarder {
  readonly port: number;
  target(): PostgresProcess | undefined;
  close(): Promise<void>;
}

async function startForwarder(nodes: readonly PostgresProcess[]): Promise<Forwarder> {
  let target: PostgresProcess | undefined;
  const open = new Map<Socket, PostgresProcess>();
  let closed = false;
  const probe = async (): Promise<void> => {
    const roles = await Promise.all(nodes.map(roleOf));
    const primaries = nodes.filter((_, index) => roles[index] === 'primary');
    // Two nodes that both say primary (the old one back after a promotion) stay as they were.
    const next = primaries.length === 1 ? primaries[0] : primaries.includes(target as PostgresProcess) ? target : undefined;
    if (next === target) return;
    target = next;
    for (const [socket, node] of open) if (node !== target) socket.destroy();
  };
  const loop = async (): Promise<void> => {
    while (!closed) {
      await probe().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
    }
  };
  const server: Server = createServer((client) => {
    const node = target;
    if (node === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: node.port });
    open.set(client, node);
    const end = (): void => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  void loop();
  return {
    port,
    target: () => target,
    async close() {
      closed = true;
      for (const socket of open.keys()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
