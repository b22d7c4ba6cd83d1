// Redis as the clustered tier runs it: a master, a replica, and three Sentinels that watch the
// master and promote the replica when it goes (quorum 2). Clients find the master by asking the
// Sentinels, through a redis-sentinel:// URL (HEARTH_REDIS_URL).
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { startRedisNode, type RedisServer } from './redis.ts';
import { freePort, removeDir, tempDir, waitUntil } from './process.ts';

export const sentinelMasterName = 'hearth';

export interface RedisSentinelSet {
  /** redis-sentinel://127.0.0.1:<s1>,…/hearth */
  readonly url: string;
  /** The two data nodes; which one is master changes with a failover. */
  readonly nodes: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** The node the Sentinels name as master now. */
  master(): Promise<RedisServer>;
  /** Resolves once every Sentinel names `node` master and knows the other node as its replica. */
  waitForMaster(node: RedisServer): Promise<void>;
  stop(): Promise<void>;
}

/** The timings of a test set: a master unanswered for 1 s is down, a failover may take 3 s. */
function sentinelConfig(port: number, masterPort: number): string {
  return [
    `port ${port}`,
    `sentinel monitor ${sentinelMasterName} 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds ${sentinelMasterName} 1000`,
    `sentinel failover-timeout ${sentinelMasterName} 3000`,
    `sentinel parallel-syncs ${sentinelMasterName} 1`,
    '',
  ].join('\n');
}

export async function startRedisSentinel(): Promise<RedisSentinelSet> {
  const dir = await tempDir('redis-sentinel');
  const started: RedisServer[] = [];
  try {
    const master = await startRedisNode();
    started.push(master);
    const replica = await startRedisNode({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    started.push(replica);
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const file = path.join(dir, `sentinel-${i}.conf`);
      await writeFile(file, sentinelConfig(port, master.port));
      const sentinel = await startRedisNode({ port, sentinelConfig: file });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const nodes = [master, replica];
    const set: RedisSentinelSet = {
      url: `redis-sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${sentinelMasterName}`,
      nodes,
      sentinels,
      async master() {
        const port = await masterPortOf(sentinels);
        const node = nodes.find((candidate) => candidate.port === port);
        if (node === undefined) throw new Error(`the Sentinels name no master of this set (port ${String(port)})`);
        return node;
      },
      waitForMaster: (node) =>
        waitUntil(`every Sentinel to name 127.0.0.1:${node.port} master, with a replica`, () => allAgree(sentinels, node.port), null, 60_000),
      async stop() {
        await Promise.allSettled(started.map((server) => server.stop()));
        await removeDir(dir);
      },
    };
    await set.waitForMaster(master);
    return set;
  } catch (error) {
    await Promise.allSettled(started.map((server) => server.stop()));
    await removeDir(dir);
    throw error;
  }
}

async function masterPortOf(sentinels: readonly RedisServer[]): Promise<number | undefined> {
  for (const sentinel of sentinels) {
    const reply = await command(sentinel.port, ['SENTINEL', 'get-master-addr-by-name', sentinelMasterName]).catch(() => undefined);
    // *2 $9 127.0.0.1 $4 6379: the port is the last line.
    const port = Number(reply?.trim().split('\r\n').at(-1));
    if (Number.isInteger(port)) return port;
  }
  return undefined;
}

/** Each Sentinel names that master, sees one replica of it up, and knows the two other Sentinels. */
async function allAgree(sentinels: readonly RedisServer[], masterPort: number): Promise<boolean> {
  for (const sentinel of sentinels) {
    const master = await command(sentinel.port, ['SENTINEL', 'get-master-addr-by-name', sentinelMasterName]).catch(() => '');
    if (!master.endsWith(`\r\n${masterPort}\r\n`)) return false;
    const info = await command(sentinel.port, ['SENTINEL', 'master', sentinelMasterName]).catch(() => '');
    const field = (name: string): string | undefined => {
      const lines = info.split('\r\n');
      const index = lines.indexOf(name);
      return index < 0 ? undefined : lines[index + 2];
    };
    if (field('num-slaves') !== '1' || field('num-other-sentinels') !== String(sentinels.length - 1)) return false;
    if ((field('flags') ?? '').includes('down')) return false;
  }
  return true;
}

/** One command in RESP over a fresh connection; the raw reply. */
function command(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, 300);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.once('error', (error) => {
      clearTimeout(done);
      reject(error);
    });
  });
}
