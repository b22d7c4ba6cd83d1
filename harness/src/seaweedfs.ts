import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { isExecutable, repoRoot } from './pinned.ts';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

/**
 * A real S3 server on loopback: SeaweedFS (`weed server -s3`) as scripts/build-seaweedfs.sh
 * builds it (`make seaweedfs-bin`), its master, volume server, filer and S3 gateway in one
 * process on free ports, its data in a temporary directory, and one static S3 identity.
 * Buckets are made and listed through the filer's HTTP API (a bucket is a folder of /buckets),
 * so that a test checks what the S3 server holds without the S3 client under test.
 */

export interface S3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The variables `hearth backup` and `hearth restore` read to reach it. */
  readonly env: Readonly<Record<string, string>>;
  createBucket(bucket: string): Promise<void>;
  /** The names of the objects directly under `prefix` in `bucket` (not in deeper folders), sorted. */
  listObjects(bucket: string, prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The `weed` binary; throws, saying how to build it, when it is not there. */
export async function seaweedfsBinary(): Promise<string> {
  const script = await readFile(path.join(repoRoot, 'scripts', 'build-seaweedfs.sh'), 'utf8');
  // A pseudo-version (v0.0.0-<time>-<commit>): the Go proxy serves SeaweedFS only as those.
  const version = /^seaweedfs_version=(v\d+\.\d+\.\d+(?:-\d{14}-[0-9a-f]{12})?)$/m.exec(script)?.[1];
  if (version === undefined) throw new Error('scripts/build-seaweedfs.sh has no seaweedfs_version= line');
  const binary = path.join(repoRoot, '.cache', 'seaweedfs', version, 'weed');
  if (!(await isExecutable(binary))) throw new Error(`SeaweedFS ${version} is not built at ${path.relative(repoRoot, binary)}: run \`make seaweedfs-bin\``);
  return binary;
}

const ACCESS_KEY_ID = 'hearth-test-key';
const SECRET_ACCESS_KEY = 'hearth-test-secret';

export async function startSeaweedfs(): Promise<S3Server> {
  const binary = await seaweedfsBinary();
  const dir = await tempDir('seaweedfs');
  const data = path.join(dir, 'data');
  await mkdir(data);
  const identities = path.join(dir, 's3.json');
  const identity = {
    name: 'hearth-test',
    credentials: [{ accessKey: ACCESS_KEY_ID, secretKey: SECRET_ACCESS_KEY }],
    actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
  };
  await writeFile(identities, JSON.stringify({ identities: [identity] }));
  const ports = await portsOf(['master', 'volume', 'filer', 's3']);
  const args = [
    'server',
    ...['-dir', data, '-ip', '127.0.0.1', '-ip.bind', '127.0.0.1', '-s3', '-s3.config', identities],
    ...Object.entries(ports).flatMap(([name, { http, grpc }]) => [`-${name}.port`, String(http), `-${name}.port.grpc`, String(grpc)]),
    // Off what the tests do not use, so that it needs no more ports; small volumes, so that it needs little disk.
    ...['-s3.port.iceberg', '0', '-s3.port.lance', '0', '-volume.max', '8', '-master.volumeSizeLimitMB', '64'],
  ];
  const child = startChild(binary, args, { cwd: dir });
  const filer = `http://127.0.0.1:${ports.filer.http}`;
  const endpoint = `http://127.0.0.1:${ports.s3.http}`;
  try {
    await waitUntil(`SeaweedFS (${binary})`, async () => (await answers(`${filer}/`)) && (await answers(`${endpoint}/`)), child, 60_000);
  } catch (error) {
    await stopWeed(child, dir);
    throw error;
  }
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    env: { HEARTH_S3_ENDPOINT: endpoint, HEARTH_S3_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY },
    async createBucket(bucket) {
      const { status, body } = await http('POST', `${filer}/buckets/${encodeURIComponent(bucket)}/`);
      if (status !== 201 && status !== 200) throw new Error(`SeaweedFS: creating bucket ${bucket} answered ${status}: ${body}`);
    },
    async listObjects(bucket, prefix) {
      const folder = [bucket, ...prefix.split('/').filter((part) => part !== '')].map(encodeURIComponent).join('/');
      const { status, body } = await http('GET', `${filer}/buckets/${folder}/?limit=100000`);
      if (status === 404) return [];
      if (status !== 200) throw new Error(`SeaweedFS: listing ${bucket}/${prefix} answered ${status}: ${body}`);
      const entries = (JSON.parse(body) as { Entries: { FullPath: string; Mode: number }[] | null }).Entries ?? [];
      return entries
        .filter((entry) => !isFolder(entry.Mode))
        .map((entry) => path.posix.basename(entry.FullPath))
        .sort();
    },
    stop: () => stopWeed(child, dir),
  };
}

/** A folder's mode has Go's os.ModeDir bit, the highest of 32. */
function isFolder(mode: number): boolean {
  return mode >= 2 ** 31;
}

/** An HTTP and a gRPC port for each component (weed's default gRPC port, HTTP + 10000, may be taken). */
async function portsOf<N extends string>(names: readonly N[]): Promise<Record<N, { http: number; grpc: number }>> {
  const ports = {} as Record<N, { http: number; grpc: number }>;
  for (const name of names) ports[name] = { http: await freePort(), grpc: await freePort() };
  return ports;
}

/** weed takes its time over SIGTERM (it flushes and says goodbye to its peers); its data is thrown away anyway. */
async function stopWeed(child: Child, dir: string): Promise<void> {
  await child.stop('SIGTERM', 3_000);
  await removeDir(dir);
}

async function answers(url: string): Promise<boolean> {
  return (await http('GET', url).catch(() => ({ status: 0 }))).status > 0;
}

/** One request without keep-alive (nothing may outlive the test); JSON asked for, which the filer lists folders in. */
function http(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, agent: false, headers: { accept: 'application/json' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}
