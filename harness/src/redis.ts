import { connect } from 'node:net';
import { freePort, removeDir, startChild, tempDir, waitUntil } from './process.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
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
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const dir = await tempDir('redis');
  const port = options.port ?? (await freePort());
  const child = startChild('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no']);
  await waitUntil('redis-server (apt-get install redis-server)', () => answersPing(port), child);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await child.stop();
      await removeDir(dir);
    },
  };
}
