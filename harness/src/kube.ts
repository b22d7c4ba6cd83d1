import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { get, request as httpRequest, type IncomingMessage } from 'node:http';
import { request } from 'node:https';
import path from 'node:path';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';
import { makeLoopbackTls } from './tls.ts';

/** The cluster IPs Services get (the `kubernetes` ServiceCIDR). */
export const serviceClusterIpRange = '10.96.0.0/16';

/** kube-apiserver and kubectl as built by scripts/build-kube-apiserver.sh (`make kube-bins`). */
export interface KubeBinaries {
  readonly version: string;
  readonly dir: string;
  readonly kubeApiserver: string;
  readonly kubectl: string;
}

/**
 * Where the built binaries are, or null when they are not built yet. The folder is
 * $HEARTH_KUBE_BIN_DIR when set, else .cache/kube/<version>/ with the version the build
 * script pins (its `kube_version=` line), so that bumping it there moves the tests too.
 */
export async function kubeBinaries(): Promise<KubeBinaries | null> {
  let dir = process.env.HEARTH_KUBE_BIN_DIR;
  let version = 'unknown';
  if (dir === undefined || dir === '') {
    version = await pinnedVersion('build-kube-apiserver.sh', 'kube_version');
    dir = path.join(repoRoot, '.cache', 'kube', version);
  }
  const kubeApiserver = path.join(dir, 'kube-apiserver');
  const kubectl = path.join(dir, 'kubectl');
  if (!(await isExecutable(kubeApiserver)) || !(await isExecutable(kubectl))) return null;
  return { version, dir, kubeApiserver, kubectl };
}

export interface ControlPlane {
  /** A kubeconfig (current context: the admin token, namespace `default`) for kubectl and clients. */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> of kube-apiserver. */
  readonly url: string;
  /** Bearer token of `admin`, in group system:masters. */
  readonly token: string;
  /** PEM of the CA that signed kube-apiserver's serving certificate (for 127.0.0.1 and localhost). */
  readonly caCert: string;
  readonly caPath: string;
  /** http://127.0.0.1:<port> of etcd (v3 API). */
  readonly etcdUrl: string;
  /** The private key that signs service-account tokens: the controller manager's token controller needs it. */
  readonly serviceAccountKeyPath: string;
  /** The control plane's temporary directory (removed by stop()): room for the files of what runs beside it. */
  readonly dir: string;
  readonly binaries: KubeBinaries;
  /** Stops kube-apiserver and starts it again on the same port; etcd and its data stay. */
  restartApiServer(): Promise<void>;
  /**
   * Compacts etcd up to its current revision and returns it. kube-apiserver's watch cache still
   * serves the versions it holds; once that is gone (restartApiServer), a list or watch from a
   * resource version older than the compaction answers 410 Gone (Expired).
   */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  readonly binaries?: KubeBinaries;
  /**
   * Whether a controller manager will run beside it (harness/src/kube-cluster.ts): then the
   * ServiceAccount admission plugin stays on, as on a real cluster, since the controller manager
   * gives every namespace its `default` service account.
   */
  readonly withControllers?: boolean;
}

/**
 * Starts etcd and kube-apiserver on free loopback ports, state in a temporary directory:
 * token authentication (an admin in system:masters), RBAC authorization, a generated serving
 * CA and service-account key pair. There is no controller manager, scheduler or kubelet: objects
 * are stored and served, nothing reconciles them (pods stay Pending, namespaces stay Terminating);
 * startKubeCluster (kube-cluster.ts) adds them.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? (await kubeBinaries());
  if (binaries === null) throw new Error('kube-apiserver is not built: run `make kube-bins` (scripts/build-kube-apiserver.sh)');
  const dir = await tempDir('kube');
  let etcd: Etcd | null = null;
  const state: { apiserver: Child | null } = { apiserver: null };
  try {
    etcd = await startEtcd(dir);
    const { url: etcdUrl, port: etcdPort, child: etcdChild } = etcd;

    const pki = await makePki(dir);
    const token = randomBytes(24).toString('hex');
    const tokenFile = path.join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const args = apiServerArgs({ port, dir, pki, tokenFile, etcdUrl, withControllers: options.withControllers === true });

    const startApiServer = async (): Promise<void> => {
      const child = startChild(binaries.kubeApiserver, args);
      state.apiserver = child;
      await waitUntil('kube-apiserver /readyz', async () => (await getStatus(url, '/readyz', token, pki.caCert)) === 200, child, 120_000);
      // The bootstrap controller creates `default` just after it starts; tests expect it.
      await waitUntil('namespace default', async () => (await getStatus(url, '/api/v1/namespaces/default', token, pki.caCert)) === 200, child);
    };
    const stopApiServer = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
      await state.apiserver?.stop(signal, 20_000);
      state.apiserver = null;
    };
    await startApiServer();

    const kubeconfigPath = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(url, token, pki.caCert), { mode: 0o600 });
    return {
      kubeconfigPath,
      url,
      token,
      caCert: pki.caCert,
      caPath: pki.caPath,
      etcdUrl,
      serviceAccountKeyPath: pki.serviceAccountPrivatePath,
      dir,
      binaries,
      async restartApiServer() {
        await stopApiServer();
        await startApiServer();
      },
      compactEtcd: () => compactEtcdAt(etcdPort),
      async stop() {
        // Everything is thrown away: the API server's graceful shutdown (about a second of
        // draining) would only delay every test and benchmark that starts a control plane.
        await stopApiServer('SIGKILL');
        await etcdChild.stop();
        await removeDir(dir);
      },
    };
  } catch (error) {
    await state.apiserver?.stop('SIGKILL');
    await etcd?.child.stop('SIGKILL');
    await removeDir(dir);
    throw error;
  }
}

interface Etcd {
  readonly child: Child;
  /** http://127.0.0.1:<port>, for clients. */
  readonly url: string;
  readonly port: number;
}

/** etcd on free loopback ports, its data under `dir`; resolves once it is healthy (and kills it if it does not become so). */
async function startEtcd(dir: string): Promise<Etcd> {
  const port = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child = startChild('etcd', [
    '--name=hearth',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=hearth=${peerUrl}`,
    '--initial-cluster-state=new',
    '--logger=zap',
    '--log-level=warn',
  ]);
  try {
    await waitUntil('etcd (apt-get install etcd-server: make test-deps)', () => etcdHealthy(port), child);
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return { child, url, port };
}

/** Compacts etcd up to its current revision and returns it. */
async function compactEtcdAt(etcdPort: number): Promise<number> {
  // etcd's JSON gateway: a range read tells the current revision; int64s travel as strings.
  const range = (await etcdPost(etcdPort, '/v3/kv/range', { key: Buffer.from('/').toString('base64') })) as { header?: { revision?: string } };
  const revision = Number(range.header?.revision ?? 0);
  if (!(revision > 0)) throw new Error(`etcd: no revision in ${JSON.stringify(range)}`);
  await etcdPost(etcdPort, '/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

interface ApiServerSetup {
  readonly port: number;
  /** The temporary directory of this control plane. */
  readonly dir: string;
  readonly pki: Pki;
  readonly tokenFile: string;
  readonly etcdUrl: string;
  readonly withControllers: boolean;
}

/** kube-apiserver's command line. */
function apiServerArgs({ port, dir, pki, tokenFile, etcdUrl, withControllers }: ApiServerSetup): string[] {
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(dir, 'certs')}`,
    `--tls-cert-file=${pki.servingCertPath}`,
    `--tls-private-key-file=${pki.servingKeyPath}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    `--etcd-servers=${etcdUrl}`,
    // A /16: room for the Services of hundreds of Hearths (bench/operator-scale.ts makes 1,000).
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPublicPath}`,
    `--service-account-signing-key-file=${pki.serviceAccountPrivatePath}`,
    // Without a controller manager no namespace gets its `default` service account, which
    // the ServiceAccount plugin would demand of every pod; the other default plugins stay.
    ...(withControllers ? [] : ['--disable-admission-plugins=ServiceAccount']),
    // The `kubernetes` Service's endpoints would be 127.0.0.1, which Endpoints refuse.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=0',
  ];
}

interface Pki {
  caCert: string;
  caPath: string;
  servingCertPath: string;
  servingKeyPath: string;
  serviceAccountPublicPath: string;
  serviceAccountPrivatePath: string;
}

/** A CA and a serving certificate for 127.0.0.1/localhost (openssl), and the service-account key pair (node:crypto). */
async function makePki(dir: string): Promise<Pki> {
  const file = (name: string): string => path.join(dir, name);
  const tls = await makeLoopbackTls(dir, 'kube-apiserver', ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);

  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(file('sa.pub'), publicKey);
  await writeFile(file('sa.key'), privateKey, { mode: 0o600 });
  return {
    caCert: tls.caCert,
    caPath: tls.caPath,
    servingCertPath: tls.certPath,
    servingKeyPath: tls.keyPath,
    serviceAccountPublicPath: file('sa.pub'),
    serviceAccountPrivatePath: file('sa.key'),
  };
}

/** A kubeconfig; JSON is YAML, and kubectl and client-go read it as such. */
function kubeconfig(url: string, token: string, caCert: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'hearth', cluster: { server: url, 'certificate-authority-data': Buffer.from(caCert).toString('base64') } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'hearth', context: { cluster: 'hearth', user: 'admin', namespace: 'default' } }],
    'current-context': 'hearth',
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The status of a GET to kube-apiserver, verifying its certificate (no keep-alive: nothing may outlive the check). */
function getStatus(url: string, pathname: string, token: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(new URL(pathname, url), { headers: { authorization: `Bearer ${token}` }, ca, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', agent: false }, (response) => {
      readBody(response).then(
        (body) => resolve(response.statusCode === 200 && body.includes('"health":"true"')),
        () => resolve(false),
      );
    });
    req.on('error', () => resolve(false));
  });
}

function etcdPost(port: number, pathname: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    req.on('error', reject);
    req.on('response', (response: IncomingMessage) => {
      readBody(response).then((text) => {
        if (response.statusCode !== 200) reject(new Error(`etcd ${pathname}: ${response.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      }, reject);
    });
    req.end(payload);
  });
}

async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}
