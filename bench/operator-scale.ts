import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { freePort, startChild, startControlPlane, type Child, type ControlPlane } from '@hearth/harness';
import { createInformer, type KubeObject } from '@hearth/kube-runtime';
import {
  buildGeneratedSecret,
  createKubeClient,
  defaultTierContext,
  desiredObjects,
  kinds,
  operatorNodeArgs,
  pathOf,
  watchedKinds,
  type DesiredTier,
  type Hearth,
  type KubeClient,
} from '@hearth/operator';
import { CpuMeter, runningProcesses, type CpuUsage } from './fanout.ts';
import { roundsText } from './markdown.ts';
import { awaitQuiet, medianRun, printTable, REPEATS, round, rssKiB, sleep, spreadOf, writeResults, type Row, type Spread } from './common.ts';

/**
 * The operator at scale: 200 Hearths of the single tier created at once against a real etcd and
 * kube-apiserver (no controller manager, no kubelet). Time until every Hearth has a status
 * (observedGeneration set), seen through a watch, then checked to have all the objects
 * `desiredObjects` gives it (counted by its instance label); API requests per Hearth
 * (kube-apiserver's apiserver_request_total, before and after, less this driver's own requests
 * and the API server's own background requests); the operator's resident
 * memory at the end. Beside it, on a control plane of its own, the floor: a plain loop that creates the same
 * generated Secrets and server-side-applies the same objects with the operator's HTTP client and as
 * many workers as the operator has. BENCH_REPEATS rounds of that, then one round with 2,000
 * Hearths (BENCH_OPERATOR_AT_SCALE) for the operator's memory and time at scale, as many rounds.
 */

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');

const HEARTHS = Number(process.env.BENCH_OPERATOR_HEARTHS ?? 200);
/** One more round, once, with this many Hearths: the operator's memory and time at scale (0 leaves it out). */
const AT_SCALE = Number(process.env.BENCH_OPERATOR_AT_SCALE ?? 2000);
const NAMESPACES = 4;
/** The operator's default (HEARTH_OPERATOR_WORKERS): the floor uses as many. */
const WORKERS = 4;
/** How often the driver looks at its watch of the Hearths (in its own memory: no request) and at the operator. */
const POLL_MS = 50;
/** The API server's own requests are counted over this idle window, to be subtracted (make bench-quick: BENCH_OPERATOR_IDLE_MS). */
const IDLE_MS = Number(process.env.BENCH_OPERATOR_IDLE_MS ?? 5_000);
/** Give up after 10 minutes, or 600 ms per Hearth when that is longer. */
const timeoutMs = (hearths: number): number => Math.max(600_000, 600 * hearths);
const MANAGED = 'app.kubernetes.io/managed-by=hearth-operator';
const INSTANCE = 'app.kubernetes.io/instance';

/** Request counts keyed `VERB resource` (apiserver_request_total's verb and resource labels). */
type Verbs = Record<string, number>;

interface Requests {
  readonly total: number;
  readonly perHearth: number;
  readonly byVerb: Verbs;
  readonly perHearthByVerb: Verbs;
  /** Per Hearth, by `VERB resource`. */
  readonly perHearthByResource: Verbs;
}

export interface OperatorScaleResults {
  readonly hearths: number;
  readonly namespaces: number;
  readonly workers: number;
  readonly objectsPerHearth: number;
  readonly objectKinds: Record<string, number>;
  readonly kubernetesVersion: string;
  readonly operator: {
    /** Until every Hearth has a current status and, counted then, all its objects. */
    readonly doneMs: number;
    readonly requests: Requests;
    readonly rssMiB: number;
    readonly subtracted: { readonly driver: Verbs; readonly apiServerBackground: Verbs };
    /** Over the timed run: kube-apiserver, etcd, the operator and this driver. */
    readonly cpu: CpuUsage;
  };
  readonly floor: { readonly ms: number; readonly requests: Requests; readonly clientRequests: Record<string, number>; readonly cpu: CpuUsage };
  readonly operatorOverFloor: { readonly time: number; readonly requestsPerHearth: number };
  /** Every round's ratios and times, and the time ratio's spread. */
  readonly rounds: readonly {
    readonly time: number;
    readonly requestsPerHearth: number;
    readonly operatorMs: number;
    readonly floorMs: number;
    readonly operatorRssMiB: number;
  }[];
  readonly spread: { readonly time: Spread };
  /** BENCH_REPEATS rounds with AT_SCALE Hearths (absent when BENCH_OPERATOR_AT_SCALE is 0). */
  readonly atScale?: AtScale;
}

/** A round at scale: times, requests per Hearth and the operator's memory at the end. */
export interface AtScaleRound {
  readonly operatorMs: number;
  readonly floorMs: number;
  readonly time: number;
  readonly requestsPerHearth: number;
  readonly operatorRssMiB: number;
}

/** The rounds at scale: the median one's figures by the operator's memory (the goal's), every round's, and the spreads. */
export interface AtScale extends AtScaleRound {
  readonly hearths: number;
  /** Absent from results written when the round at scale was one. */
  readonly rounds?: readonly AtScaleRound[];
  readonly spread?: { readonly operatorRssMiB: Spread; readonly time: Spread };
}

/** What one round applies: the Hearth every one is made from, the objects each must get, how many. */
interface RoundPlan {
  readonly base: Hearth;
  readonly perHearth: number;
  readonly hearths: number;
}

/** apiserver_request_total by verb, resource requests only (`/metrics`, `/readyz` and the like are left out). */
async function apiRequests(kube: ControlPlane): Promise<Verbs> {
  return requestsByVerb(await apiServerMetrics(kube));
}

/** kube-apiserver's /metrics, as the admin. */
function apiServerMetrics(kube: ControlPlane): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request(new URL('/metrics', kube.url), { headers: { authorization: `Bearer ${kube.token}` }, ca: kube.caCert, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${response.statusCode}`))));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The apiserver_request_total samples of resource requests, summed by `VERB resource[/subresource]`. */
function requestsByVerb(metrics: string): Verbs {
  const verbs: Verbs = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || /[{,]resource=""/.test(line)) continue;
    const key = verbKeyOf(line);
    verbs[key] = (verbs[key] ?? 0) + Number(line.split(' ').at(-1));
  }
  return verbs;
}

/** `GET secrets`, `PATCH hearths/status`: a sample's verb, resource and subresource labels. */
function verbKeyOf(line: string): string {
  const verb = /[{,]verb="([^"]*)"/.exec(line)?.[1] ?? '?';
  const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? '?';
  const subresource = /[{,]subresource="([^"]*)"/.exec(line)?.[1] ?? '';
  return `${verb} ${resource}${subresource === '' ? '' : `/${subresource}`}`;
}

function minus(a: Verbs, b: Verbs): Verbs {
  const out: Verbs = {};
  for (const verb of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const value = (a[verb] ?? 0) - (b[verb] ?? 0);
    if (Math.abs(value) > 1e-9) out[verb] = value;
  }
  return out;
}

function scale(a: Verbs, factor: number): Verbs {
  return Object.fromEntries(Object.entries(a).map(([verb, value]) => [verb, value * factor]));
}

function summarize(byResource: Verbs, hearths: number): Requests {
  const byVerb: Verbs = {};
  for (const [key, value] of Object.entries(byResource)) {
    const verb = key.split(' ')[0]!;
    byVerb[verb] = (byVerb[verb] ?? 0) + value;
  }
  const perResource = Object.fromEntries(
    Object.entries(byResource)
      .map(([key, value]) => [key, round(value / hearths, 2)] as const)
      .filter(([, value]) => value > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const rounded = Object.fromEntries(
    Object.entries(byVerb)
      .map(([verb, value]) => [verb, Math.max(0, Math.round(value))] as const)
      .filter(([, value]) => value > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const total = Object.values(rounded).reduce((sum, value) => sum + value, 0);
  return {
    total,
    perHearth: round(total / hearths, 2),
    byVerb: rounded,
    perHearthByVerb: Object.fromEntries(Object.entries(rounded).map(([verb, value]) => [verb, round(value / hearths, 2)])),
    perHearthByResource: perResource,
  };
}

function clusterPath(kind: keyof typeof kinds): string {
  const info = kinds[kind];
  return `${info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`}/${info.plural}`;
}

async function template(): Promise<Hearth> {
  return parse(await readFile(path.join(repoRoot, 'docs', 'examples', 'single.yaml'), 'utf8')) as Hearth;
}

function hearthNamed(base: Hearth, namespace: string, name: string, uid?: string): Hearth {
  return { ...base, metadata: { name, namespace, ...(uid === undefined ? {} : { uid }) } } as Hearth;
}

function placement(prefix: string, i: number): { namespace: string; name: string } {
  return { namespace: `${prefix}-${i % NAMESPACES}`, name: `h-${String(i).padStart(3, '0')}` };
}

function desired(hearth: Hearth): DesiredTier {
  const result = desiredObjects(hearth, defaultTierContext);
  if (!result.ok) throw new Error(`desiredObjects: ${result.error.code}: ${result.error.message}`);
  return result;
}

async function createNamespaces(client: KubeClient, prefix: string): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${prefix}-${n}` } });
}

/** Objects per `namespace/instance` (every kind the operator watches, by its managed-by label): 7 LISTs. */
async function countObjects(client: KubeClient): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const lists = await Promise.all(watchedKinds.map((kind) => client.list(clusterPath(kind), MANAGED)));
  for (const item of lists.flat()) {
    const key = `${item.metadata?.namespace}/${item.metadata?.labels?.[INSTANCE]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function measureOperator(kube: ControlPlane, kubeConfig: KubeConfig, { base, perHearth, hearths }: RoundPlan): Promise<OperatorScaleResults['operator']> {
  const client = createKubeClient(kubeConfig);
  await createNamespaces(client, 'op');
  const port = await freePort();
  const operator = startOperator(kube, port);
  const statuses = await watchStatuses(kubeConfig, hearths);
  try {
    await waitUntilLeading(operator, port);
    const backgroundPerMs = await backgroundRequestsPerMs(kube);

    const driver: Verbs = {};
    const cpu = new CpuMeter({
      ...(await controlPlaneProcesses(kube)),
      operator: { pid: operator.process.pid!, tree: false },
      driver: { pid: process.pid, tree: false },
    });
    const before = await apiRequests(kube);
    await cpu.start();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: hearths }, (_, i) => {
        const { namespace, name } = placement('op', i);
        return client.create(pathOf('Hearth', namespace, undefined), hearthNamed(base, namespace, name));
      }),
    );
    const doneMs = await waitUntilDone({ operator, hearths, started, statuses });
    const usage = await cpu.stop();
    await checkAllObjects(client, perHearth, hearths, driver);
    const after = await apiRequests(kube);
    const rss = await rssKiB(operator.process.pid!);
    countRequest(driver, 'POST hearths', hearths);
    const background = scale(backgroundPerMs, doneMs);
    const operatorRequests = minus(minus(minus(after, before), driver), background);
    return {
      doneMs: round(doneMs, 0),
      requests: summarize(operatorRequests, hearths),
      rssMiB: round(rss / 1024),
      subtracted: {
        driver,
        apiServerBackground: Object.fromEntries(Object.entries(background).map(([verb, value]) => [verb, round(value, 1)])),
      },
      cpu: usage,
    };
  } finally {
    await statuses.stop();
    await operator.stop('SIGTERM', 10_000);
  }
}

function startOperator(kube: ControlPlane, port: number): Child {
  // With the flags the chart's command gives it, so that what is measured is what is deployed.
  return startChild(process.execPath, operatorNodeArgs(repoRoot), {
    env: {
      ...process.env,
      KUBECONFIG: kube.kubeconfigPath,
      HEARTH_OPERATOR_HTTP_PORT: String(port),
      HEARTH_OPERATOR_HTTP_HOST: '127.0.0.1',
      HEARTH_OPERATOR_LEASE_NAMESPACE: 'default',
      HEARTH_OPERATOR_IDENTITY: 'bench',
      HEARTH_OPERATOR_WORKERS: String(WORKERS),
    },
  });
}

/** Waits until the operator's /metrics says it leads; throws if it exits or has not within 60 s. */
async function waitUntilLeading(operator: Child, port: number): Promise<void> {
  const leader = async (): Promise<boolean> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.text();
    return text !== undefined && /^leader_election_master_status\{[^}]*\} 1$/m.test(text);
  };
  const readySince = performance.now();
  while (!(await leader())) {
    if (operator.process.exitCode !== null) throw new Error(`the operator exited:\n${operator.output()}`);
    if (performance.now() - readySince > 60_000) throw new Error(`the operator did not lead within 60 s:\n${operator.output()}`);
    await sleep(200);
  }
}

/** The API server's own requests (its identity Lease, its controllers) go on throughout: measured idle, to be subtracted. */
async function backgroundRequestsPerMs(kube: ControlPlane): Promise<Verbs> {
  const idleStart = await apiRequests(kube);
  await sleep(IDLE_MS);
  const idleEnd = await apiRequests(kube);
  return scale(minus(idleEnd, idleStart), 1 / IDLE_MS);
}

function countRequest(requests: Verbs, verb: string, count = 1): void {
  requests[verb] = (requests[verb] ?? 0) + count;
}

interface CompletionWatch {
  readonly operator: Child;
  readonly hearths: number;
  /** When the Hearths were created (performance.now()). */
  readonly started: number;
  readonly statuses: StatusWatch;
}

/** The ms after `started` when the last Hearth got a current status (the operator writes it after its objects). */
async function waitUntilDone({ operator, hearths, started, statuses }: CompletionWatch): Promise<number> {
  while (statuses.allCurrentAt() === null) {
    assertStillGoing(operator, started, hearths);
    await sleep(POLL_MS);
  }
  return statuses.allCurrentAt()! - started;
}

/** Throws unless each Hearth has all its `perHearth` objects (the LISTs counted among the driver's requests). */
async function checkAllObjects(client: KubeClient, perHearth: number, hearths: number, driver: Verbs): Promise<void> {
  const short = shortOfObjects(await countObjects(client), 'op', perHearth, hearths);
  for (const kind of watchedKinds) countRequest(driver, `LIST ${kinds[kind].plural}`);
  if (short > 0) throw new Error(`${short} Hearths had a current status without all their ${perHearth} objects`);
}

/** How many of the run's Hearths (named with `prefix`) have fewer than `perHearth` objects. */
function shortOfObjects(counts: ReadonlyMap<string, number>, prefix: string, perHearth: number, hearths: number): number {
  return Array.from({ length: hearths }, (_, i) => placement(prefix, i)).filter(({ namespace, name }) => (counts.get(`${namespace}/${name}`) ?? 0) < perHearth)
    .length;
}

/** kube-apiserver and etcd of `kube`, found by the addresses they were started with. */
async function controlPlaneProcesses(kube: ControlPlane): Promise<Record<string, { pid: number; tree: boolean }>> {
  const processes = await runningProcesses([
    { name: 'apiserver', program: 'kube-apiserver', args: [`--etcd-servers=${kube.etcdUrl}`], tree: false },
    { name: 'etcd', program: 'etcd', args: [`--listen-client-urls=${kube.etcdUrl}`], tree: false },
  ]);
  if (Object.keys(processes).length < 2) throw new Error(`the control plane's processes were not all found: ${Object.keys(processes).join(', ') || 'none'}`);
  return processes;
}

interface StatusWatch {
  /** performance.now() when the last of the Hearths got a current status; null until then. */
  allCurrentAt(): number | null;
  stop(): Promise<void>;
}

/**
 * The Hearths through one watch, started (and its LIST made) before any is created: an event per
 * change tells when the last one gets a current status, to the event. Polling instead LISTed
 * every Hearth every few hundred ms, work for the API server that the floor, timed by its own
 * loop, is not given, and added up to a poll's interval to the time.
 */
async function watchStatuses(kubeConfig: KubeConfig, hearths: number): Promise<StatusWatch> {
  const informer = createInformer<Hearth & KubeObject>({ kubeConfig, resource: kinds.Hearth });
  const current = new Set<string>();
  let allCurrentAt: number | null = null;
  const seen = (hearth: Hearth): void => {
    const key = `${hearth.metadata.namespace}/${hearth.metadata.name}`;
    if (hasCurrentStatus(hearth)) current.add(key);
    else current.delete(key);
    if (allCurrentAt === null && current.size === hearths) allCurrentAt = performance.now();
  };
  informer.addHandlers({ onAdd: seen, onUpdate: (_previous, hearth) => seen(hearth) });
  informer.start();
  if (!(await informer.waitForSync())) throw new Error('the Hearths could not be listed');
  return { allCurrentAt: () => allCurrentAt, stop: () => informer.stop() };
}

/** Throws when the operator has exited or `timeoutMs` has passed since `started`. */
function assertStillGoing(operator: Child, started: number, hearths: number): void {
  if (operator.process.exitCode !== null) throw new Error(`the operator exited:\n${operator.output()}`);
  if (performance.now() - started > timeoutMs(hearths)) throw new Error(`not done after ${timeoutMs(hearths) / 1000} s`);
}

/** The status observes the Hearth's current generation. */
function hasCurrentStatus(hearth: Hearth): boolean {
  return hearth.status?.observedGeneration !== undefined && hearth.status.observedGeneration === hearth.metadata.generation;
}

/** The API server's floor: create the generated Secrets, then server-side-apply each object in order, WORKERS Hearths at a time. */
async function measureFloor(kube: ControlPlane, { base, perHearth, hearths }: RoundPlan): Promise<OperatorScaleResults['floor']> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kube.kubeconfigPath);
  const setup = createKubeClient(kubeConfig);
  await createNamespaces(setup, 'floor');
  // Built up front: the floor measures the API server, not the builders.
  const work = Array.from({ length: hearths }, (_, i) => {
    const { namespace, name } = placement('floor', i);
    const hearth = hearthNamed(base, namespace, name, randomUUID());
    const tier = desired(hearth);
    return { secrets: tier.secrets.map((secret) => buildGeneratedSecret(hearth, secret, randomBytes)), objects: tier.objects };
  });
  const client = createKubeClient(kubeConfig);
  const cpu = new CpuMeter({ ...(await controlPlaneProcesses(kube)), driver: { pid: process.pid, tree: false } });
  const before = await apiRequests(kube);
  await cpu.start();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < work.length) {
        const item = work[next++]!;
        for (const secret of item.secrets) await client.create(pathOf('Secret', secret.metadata!.namespace!), secret);
        for (const object of item.objects) await client.apply(pathOf(object.kind, object.metadata.namespace, object.metadata.name), object);
      }
    }),
  );
  const ms = performance.now() - started;
  const usage = await cpu.stop();
  const after = await apiRequests(kube);
  const short = shortOfObjects(await countObjects(setup), 'floor', perHearth, hearths);
  if (short > 0) throw new Error(`the floor left ${short} Hearths short of their objects`);
  // Nothing else writes here: what the API server counted is the loop's, with a little of its own background.
  return { ms: round(ms, 0), requests: summarize(minus(after, before), hearths), clientRequests: client.requests(), cpu: usage };
}

/** A fresh etcd and kube-apiserver with the Hearth CRD established; stopped after `measure`. */
async function onFreshControlPlane<T>(measure: (kube: ControlPlane) => Promise<T>): Promise<T> {
  const kube = await startControlPlane();
  try {
    await run(kube.binaries.kubectl, [
      '--kubeconfig',
      kube.kubeconfigPath,
      'apply',
      '--server-side',
      '-f',
      path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'),
    ]);
    await run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, 'wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev']);
    return await measure(kube);
  } finally {
    await kube.stop();
  }
}

/**
 * One round: the operator and then the floor, each on a control plane of its own. The API server
 * slows as it holds more objects (at 2,000 Hearths, a floor run after the operator's 38,000
 * objects took 917 s), so sharing one would favour whichever went first.
 */
async function measureRound(
  plan: RoundPlan,
): Promise<{ kubernetesVersion: string; operator: OperatorScaleResults['operator']; floor: OperatorScaleResults['floor'] }> {
  const { version, operator } = await onFreshControlPlane(async (kube) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kube.kubeconfigPath);
    return { version: kube.binaries.version, operator: await measureOperator(kube, kubeConfig, plan) };
  });
  const floor = await onFreshControlPlane((kube) => measureFloor(kube, plan));
  return { kubernetesVersion: version, operator, floor };
}

function printResults(file: string, results: OperatorScaleResults): void {
  const { operator, floor, objectKinds, objectsPerHearth: perHearth } = results;
  const verbs = (requests: Requests): string =>
    Object.entries(requests.perHearthByVerb)
      .map(([verb, value]) => `${verb} ${value}`)
      .join(', ');
  const byResource = (requests: Requests): string =>
    Object.entries(requests.perHearthByResource)
      .filter(([, value]) => value >= 0.1)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ');
  const { time } = results.spread;
  const rows: Row[] = [
    {
      metric: 'objects per Hearth',
      value: String(perHearth),
      note: Object.entries(objectKinds)
        .map(([kind, n]) => `${n} ${kind}`)
        .join(', '),
    },
    {
      metric: `operator: all objects and statuses (${HEARTHS})`,
      value: `${operator.doneMs} ms`,
      note: `${WORKERS} workers, ${NAMESPACES} namespaces; status.observedGeneration = metadata.generation`,
    },
    { metric: 'floor: apply loop', value: `${floor.ms} ms`, note: `${WORKERS} workers, create Secrets + server-side apply` },
    {
      metric: 'operator ÷ floor (time)',
      value: `${results.operatorOverFloor.time}×`,
      note: `over ${results.rounds.length} rounds ${time.min}–${time.max}×`,
    },
    { metric: 'operator requests per Hearth', value: String(operator.requests.perHearth), note: verbs(operator.requests) },
    { metric: 'floor requests per Hearth', value: String(floor.requests.perHearth), note: verbs(floor.requests) },
    { metric: 'operator, by resource', value: '', note: byResource(operator.requests) },
    { metric: 'floor, by resource', value: '', note: byResource(floor.requests) },
    { metric: 'operator ÷ floor (requests)', value: `${results.operatorOverFloor.requestsPerHearth}×` },
    { metric: 'operator run, CPU seconds', value: cpuSeconds(operator.cpu), note: cpuNote(operator.cpu) },
    { metric: 'floor run, CPU seconds', value: cpuSeconds(floor.cpu), note: cpuNote(floor.cpu) },
    { metric: 'operator RSS at the end', value: `${operator.rssMiB} MiB`, note: `${HEARTHS} Hearths, ${HEARTHS * perHearth} objects` },
    ...atScaleRows(results.atScale, perHearth),
  ];
  printTable(`operator-scale → ${file} (the median of ${results.rounds.length} rounds)`, rows);
}

/** Each process's CPU over the run, in core-seconds. */
function cpuNote(cpu: CpuUsage): string {
  const each = Object.entries(cpu.cores).map(([name, cores]) => `${name} ${(cores * cpu.seconds).toFixed(1)}`);
  return `${each.join(', ')}; machine ${cpu.machineBusyPercent}% busy`;
}

function cpuSeconds(cpu: CpuUsage): string {
  return `${(Object.values(cpu.cores).reduce((sum, cores) => sum + cores, 0) * cpu.seconds).toFixed(1)} s`;
}

/** The median of how many rounds (roundsText), with the lowest and highest. */
function roundsNote(atScale: AtScale, key: 'time' | 'operatorRssMiB'): string {
  const spread = atScale.spread?.[key];
  const rounds = roundsText(atScale.rounds);
  return spread === undefined || (atScale.rounds?.length ?? 1) === 1 ? rounds : `${rounds}: ${spread.min}–${spread.max}`;
}

function atScaleRows(atScale: AtScale | undefined, perHearth: number): Row[] {
  if (atScale === undefined) return [];
  const at = `at ${atScale.hearths}`;
  return [
    {
      metric: `${at}: operator ÷ floor (time)`,
      value: `${atScale.time}×`,
      note: `${atScale.operatorMs} vs ${atScale.floorMs} ms, ${roundsNote(atScale, 'time')}`,
    },
    { metric: `${at}: operator requests per Hearth`, value: String(atScale.requestsPerHearth) },
    {
      metric: `${at}: operator RSS at the end`,
      value: `${atScale.operatorRssMiB} MiB`,
      note: `${atScale.hearths * perHearth} objects, ${roundsNote(atScale, 'operatorRssMiB')}`,
    },
  ];
}

/** The ratios of one round: the operator's time and requests per Hearth ÷ the floor's. */
function ratiosOf(measured: Awaited<ReturnType<typeof measureRound>>): OperatorScaleResults['operatorOverFloor'] {
  return {
    time: round(measured.operator.doneMs / measured.floor.ms, 2),
    requestsPerHearth: round(measured.operator.requests.perHearth / measured.floor.requests.perHearth, 2),
  };
}

/** BENCH_REPEATS rounds with `hearths` Hearths, each after the machine is quiet: what they say about scale. */
async function measureAtScale(plan: RoundPlan): Promise<AtScale> {
  const rounds: AtScaleRound[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await awaitQuiet(`operator-scale, ${plan.hearths} Hearths, round ${i + 1}`);
    const measured = await measureRound(plan);
    rounds.push({
      operatorMs: measured.operator.doneMs,
      floorMs: measured.floor.ms,
      time: ratiosOf(measured).time,
      requestsPerHearth: measured.operator.requests.perHearth,
      operatorRssMiB: measured.operator.rssMiB,
    });
  }
  return {
    hearths: plan.hearths,
    ...medianRun(rounds, (r) => r.operatorRssMiB),
    rounds,
    spread: { operatorRssMiB: spreadOf(rounds.map((r) => r.operatorRssMiB)), time: spreadOf(rounds.map((r) => r.time)) },
  };
}

/**
 * BENCH_REPEATS rounds, each on a fresh control plane; the figures are the median round's by
 * operator ÷ floor time. Then as many with AT_SCALE Hearths, the median by the operator's memory.
 */
export async function runOperatorScale(): Promise<OperatorScaleResults> {
  const base = await template();
  const sample = desired(hearthNamed(base, 'x', 'h-000', randomUUID()));
  const perHearth = sample.objects.length + sample.secrets.length;
  const objectKinds: Record<string, number> = {};
  for (const kind of [...sample.objects.map((object) => object.kind), ...sample.secrets.map(() => 'Secret')]) objectKinds[kind] = (objectKinds[kind] ?? 0) + 1;
  const rounds: (Awaited<ReturnType<typeof measureRound>> & { readonly ratio: OperatorScaleResults['operatorOverFloor'] })[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await awaitQuiet(`operator-scale, round ${i + 1}`);
    const measured = await measureRound({ base, perHearth, hearths: HEARTHS });
    rounds.push({ ...measured, ratio: ratiosOf(measured) });
  }
  const median = medianRun(rounds, (r) => r.ratio.time);
  const results: OperatorScaleResults = {
    hearths: HEARTHS,
    namespaces: NAMESPACES,
    workers: WORKERS,
    objectsPerHearth: perHearth,
    objectKinds,
    kubernetesVersion: median.kubernetesVersion,
    operator: median.operator,
    floor: median.floor,
    operatorOverFloor: median.ratio,
    rounds: rounds.map((r) => ({ ...r.ratio, operatorMs: r.operator.doneMs, floorMs: r.floor.ms, operatorRssMiB: r.operator.rssMiB })),
    spread: { time: spreadOf(rounds.map((r) => r.ratio.time)) },
    ...(AT_SCALE > 0 ? { atScale: await measureAtScale({ base, perHearth, hearths: AT_SCALE }) } : {}),
  };
  const file = await writeResults('operator-scale', results);
  printResults(file, results);
  return results;
}

if (import.meta.main) await runOperatorScale();
