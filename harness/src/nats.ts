import { get } from 'node:http';
import path from 'node:path';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

/**
 * nats-server as scripts/build-nats-server.sh builds it (`make nats-bin`): the release the operator
 * deploys, not Debian's older one. Throws, saying how to build it, when it is not there.
 */
export async function natsServerBinary(): Promise<string> {
  const version = await pinnedVersion('build-nats-server.sh', 'nats_version');
  const binary = path.join(repoRoot, '.cache', 'nats', version, 'nats-server');
  if (!(await isExecutable(binary))) throw new Error(`nats-server ${version} is not built at ${path.relative(repoRoot, binary)}: run \`make nats-bin\``);
  return binary;
}

export interface NatsServer {
  /** The address alone, without the credentials a server started with clientAuth requires. */
  readonly url: string;
  readonly port: number;
  /** The HTTP monitoring endpoint (/healthz, /connz, /jsz…). */
  readonly monitorUrl: string;
  /** Its JetStream store directory (-sd): removing it while the server is down is the loss of its volume. */
  readonly storeDir: string;
  /** Stops and starts nats-server on the same port, keeping its JetStream data. */
  restart(): Promise<void>;
  /** Stops it without removing its data (for tests of an outage); `start` brings it back. */
  halt(): Promise<void>;
  /** As halt, but with SIGKILL: no goodbye to its clients or its cluster. */
  kill9(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts nats-server with JetStream on a free loopback port (or `port`), its store in a temporary directory. */
export function startNats(options: { port?: number } = {}): Promise<NatsServer> {
  return startNatsNode(options);
}

export interface NatsNodeOptions {
  readonly port?: number;
  /** The server's name (-n), which a cluster needs to tell its JetStream peers apart. */
  readonly name?: string;
  /** More arguments: a cluster's routes, say. */
  readonly args?: readonly string[];
  /** The user and password every client must give (--user, --pass); anyone may connect without. */
  readonly clientAuth?: NatsAuth;
}

export interface NatsAuth {
  readonly user: string;
  readonly password: string;
}

/** `nats://user:password@` for a URL's authority, or nothing. */
export function natsUserInfo(auth: NatsAuth | undefined): string {
  return auth === undefined ? '' : `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@`;
}

/** One nats-server with JetStream, alone or as a node of a cluster (nats-cluster.ts). */
export async function startNatsNode(options: NatsNodeOptions = {}): Promise<NatsServer> {
  const dir = await tempDir('nats');
  const port = options.port ?? (await freePort());
  const monitor = await freePort();
  const binary = await natsServerBinary();
  const auth = options.clientAuth;
  const args = [
    ...['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-sd', dir],
    ...(options.name === undefined ? [] : ['-n', options.name]),
    ...(auth === undefined ? [] : ['--user', auth.user, '--pass', auth.password]),
    ...(options.args ?? []),
  ];
  let child: Child | null = null;

  async function start(): Promise<void> {
    child = startChild(binary, args);
    const running = child;
    await waitUntil(`nats-server (${binary})`, () => isHealthy(monitor), running);
  }

  async function halt(): Promise<void> {
    await child?.stop();
    child = null;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    storeDir: dir,
    start,
    halt,
    async restart() {
      await halt();
      await start();
    },
    async kill9() {
      child?.process.kill('SIGKILL');
      await child?.exited;
      child = null;
    },
    async stop() {
      await halt();
      await removeDir(dir);
    },
  };
}

/** JetStream is up when the monitor's /healthz says so (no keep-alive: nothing may outlive the check). */
function isHealthy(monitor: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port: monitor, path: '/healthz', agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
  });
}
