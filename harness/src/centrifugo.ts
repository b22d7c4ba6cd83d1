import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

/**
 * Centrifugo (scripts/build-centrifugo.sh) on loopback, with its in-memory engine: Hearth's
 * realtime peer in the fan-out benchmark (bench/fanout.ts). Clients connect to its WebSocket
 * endpoint with its JSON protocol and a connection token (HS256) that subscribes them on the
 * server side to the channels it names; messages are published through its HTTP API.
 * Channels keep a history and recover on resume, as Hearth's rooms do, so that both servers
 * do the bookkeeping a reconnecting client needs.
 */

export interface CentrifugoServer {
  readonly version: string;
  readonly port: number;
  readonly wsUrl: string;
  readonly child: Child;
  /** A connection token for `userId`, subscribing it to `channels` on connect. */
  connectionToken(userId: string, channels: readonly string[]): string;
  /** Publishes `data` to `channel` through the HTTP API; resolves once Centrifugo has accepted it. */
  publish(channel: string, data: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** The centrifugo binary; throws, saying how to build it, when it is not there. */
export async function centrifugoBinary(): Promise<{ binary: string; version: string }> {
  const version = await pinnedVersion('build-centrifugo.sh', 'centrifugo_version');
  const binary = path.join(repoRoot, '.cache', 'centrifugo', version, 'centrifugo');
  if (!(await isExecutable(binary))) throw new Error(`Centrifugo ${version} is not built at ${path.relative(repoRoot, binary)}: run \`make centrifugo-bin\``);
  return { binary, version };
}

/** The history each channel keeps for recovery: as many publications as a Hearth room's resume window holds at the benchmark's rates. */
const HISTORY_SIZE = 1_000;
const HISTORY_TTL = '300s';

function configOf(port: number, tokenSecret: string, apiKey: string): object {
  return {
    http_server: { address: '127.0.0.1', port: String(port) },
    log: { level: 'warn' },
    client: { token: { hmac_secret_key: tokenSecret }, allowed_origins: ['*'] },
    http_api: { key: apiKey },
    channel: { without_namespace: { history_size: HISTORY_SIZE, history_ttl: HISTORY_TTL, force_recovery: true } },
    health: { enabled: true },
    usage_stats: { disabled: true },
  };
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** An HS256 JWT with the claims Centrifugo reads: the user (`sub`) and server-side subscriptions (`channels`). */
export function hs256Token(secret: string, claims: object): string {
  const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${base64url(createHmac('sha256', secret).update(unsigned).digest())}`;
}

export async function startCentrifugo(env: NodeJS.ProcessEnv = process.env): Promise<CentrifugoServer> {
  const { binary, version } = await centrifugoBinary();
  const dir = await tempDir('centrifugo');
  const port = await freePort();
  const tokenSecret = 'hearth-bench-token-secret';
  const apiKey = 'hearth-bench-api-key';
  const config = path.join(dir, 'config.json');
  await writeFile(config, JSON.stringify(configOf(port, tokenSecret, apiKey)));
  const child = startChild(binary, ['--config', config], { cwd: dir, env });
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await child.stop();
    await removeDir(dir);
  };
  try {
    await waitUntil(`Centrifugo (${binary})`, async () => (await fetch(`${base}/health`).catch(() => null))?.ok === true, child, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    version,
    port,
    wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
    child,
    connectionToken: (userId, channels) => hs256Token(tokenSecret, { sub: userId, channels }),
    async publish(channel, data) {
      const response = await fetch(`${base}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ channel, data }),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      // The HTTP API answers 200 with an `error` object when it refuses a command.
      if (!response.ok || text.includes('"error"')) throw new Error(`Centrifugo's publish answered ${response.status}: ${text.slice(0, 200)}`);
    },
    stop,
  };
}
