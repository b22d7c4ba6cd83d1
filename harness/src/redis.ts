import { connect } from 'node:net';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Kills it with SIGKILL, keeping its port for `start`. */
  kill9(): Promise<void>;
  /** Starts it again on its port, with the same arguments. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts redis-server without persistence on a free loopback port (or `port`). */
export function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  return startRedisNode(options);
}

/** One redis-server (a replica of another, with `args`), or a Sentinel (`sentinelConfig`, a file it may rewrite). */
export async function startRedisNode(options: { port?: number; args?: readonly string[]; sentinelConfig?: string } = {}): Promise<RedisServer> {
  const dir = await tempDir('redis');
  const port = options.port ?? (await freePort());
  const base = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--protected-mode', 'no'];
  const args =
    options.sentinelConfig === undefined
      ? [...base, '--save', '', '--appendonly', 'no', ...(options.args ?? [])]
      : [options.sentinelConfig, '--sentinel', ...base];
  let child: Child | null = null;
  const start = async (): Promise<void> => {
    child = startChild('redis-server', args);
    await waitUntil('redis-server (apt-get install redis-server)', () => answersPing(port), child);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async kill9() {
      child?.process.kill('SIGKILL');
      await child?.exited;
      child = null;
    },
    async stop() {
      await child?.stop();
      child = null;
      await removeDir(dir);
    },
  };
}
