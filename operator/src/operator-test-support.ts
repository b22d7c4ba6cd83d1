// What the operator's end-to-end tests share: kubectl in the run's namespace, the examples applied
// under a name of the test's choosing, the objects a Hearth owns, the operator's environment and
// metrics, and the workload controllers and kubelet: where the cluster runs none (the test control
// plane), the kit stands in for them by writing workload status; where it does, it waits for them.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { startChild, type Child } from '@hearth/harness';
import type { Hearth } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { operatorNodeArgs } from './node-flags.ts';
import { eventually } from '@hearth/kube-runtime/testing';
import { operatorScopeEnv, type E2eCluster } from './e2e-cluster.ts';

export const ownedKinds = 'statefulsets,deployments,services,ingresses,networkpolicies,horizontalpodautoscalers,poddisruptionbudgets,secrets';

/** How long real pods may take to pull their images and pass their probes. */
const realReadinessMs = 600_000;

export const instanceSelector = (name: string): string =>
  `app.kubernetes.io/name=hearth,app.kubernetes.io/instance=${name},app.kubernetes.io/managed-by=hearth-operator`;

export interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
}

export interface Item {
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: { uid: string; controller?: boolean }[];
    finalizers?: string[];
  };
  spec?: {
    replicas?: number;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string; image?: string }[] } };
    volumeClaimTemplates?: { metadata?: { name?: string } }[];
    rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[];
  };
  status?: WorkloadStatus;
  data?: Record<string, string>;
}

/**
 * kubectl rollout status's rule for a Deployment or StatefulSet: its controller has seen the
 * latest spec, and every pod is of it and ready (available, for a Deployment), none of an older one.
 */
export function isRolledOut(item: Item): boolean {
  const status = item.status ?? {};
  const generation = item.metadata.generation;
  if (generation !== undefined && (status.observedGeneration ?? 0) < generation) return false;
  const want = item.spec?.replicas ?? 1;
  return item.kind === 'Deployment' ? isDeploymentRolledOut(status, want) : isStatefulSetRolledOut(status, want);
}

function isDeploymentRolledOut(status: WorkloadStatus, want: number): boolean {
  const updated = status.updatedReplicas ?? 0;
  return updated >= want && (status.replicas ?? 0) === updated && (status.availableReplicas ?? 0) >= want;
}

function isStatefulSetRolledOut(status: WorkloadStatus, want: number): boolean {
  return (status.updatedReplicas ?? 0) >= want && (status.readyReplicas ?? 0) >= want && status.currentRevision === status.updateRevision;
}

/**
 * What a write by the operator would change: the resourceVersion where no controller runs; where
 * workload controllers run they write the workloads' status (and an ingress controller the
 * Ingress's), moving it all the time, so there the spec's generation stands for it.
 */
export function writtenVersion(item: Item, workloadControllers: boolean): string {
  return workloadControllers ? String(item.metadata.generation ?? item.metadata.resourceVersion) : item.metadata.resourceVersion;
}

/** What the StatefulSet or Deployment controller and kubelet would report once every pod of `item` is up. */
export function rolledOutStatus(item: Item): WorkloadStatus {
  const replicas = item.spec?.replicas ?? 1;
  const status: WorkloadStatus = { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas };
  if (item.metadata.generation !== undefined) status.observedGeneration = item.metadata.generation;
  return item.kind === 'StatefulSet' ? { ...status, currentRevision: 'r1', updateRevision: 'r1' } : status;
}

export const examples = { embedded: 'embedded.yaml', single: 'single.yaml', clustered: 'clustered.yaml' } as const;

/**
 * The test kit of one suite; the getters read what the suite's `before` set. Every call is in the
 * run's namespace, so Hearths are told apart by name.
 */
export function operatorTestKit(cluster: () => E2eCluster, metricsPort: () => number) {
  const kube = kubectlKit(cluster);
  return { ...kube, ...hearthKit(cluster, kube), ...operatorProcessKit(cluster, kube, metricsPort) };
}

/** kubectl in the run's namespace, and what the tests read and write with it. */
function kubectlKit(cluster: () => E2eCluster) {
  const kubectl = (...args: string[]): Promise<string> => cluster().kubectl('-n', cluster().namespace, ...args);
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl('get', '-o', 'json', ...args)) as T;
  const exists = async (...args: string[]): Promise<boolean> => (await kubectl('get', '--ignore-not-found', '-o', 'name', ...args)).trim() !== '';
  const hearthOf = (name: string): Promise<Hearth> => getJson<Hearth>('hearth', name);
  const owned = async (name: string): Promise<Item[]> => (await getJson<{ items: Item[] }>(ownedKinds, '-l', instanceSelector(name))).items;
  const workloads = async (name: string): Promise<Item[]> => (await getJson<{ items: Item[] }>('statefulsets,deployments', '-l', instanceSelector(name))).items;
  const statusPatch = (kind: string, name: string, status: unknown): Promise<string> =>
    kubectl('patch', kind, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
  return { kubectl, getJson, exists, hearthOf, owned, workloads, statusPatch };
}

type KubectlKit = ReturnType<typeof kubectlKit>;

/**
 * What the workload controllers report halfway through a rollout of the latest spec: the new
 * generation observed, one pod short of updated, the old pods still serving.
 */
export function halfRolledOutStatus(item: Item): WorkloadStatus {
  const replicas = item.spec?.replicas ?? 1;
  const common: WorkloadStatus = { updatedReplicas: replicas - 1 };
  if (item.metadata.generation !== undefined) common.observedGeneration = item.metadata.generation;
  return item.kind === 'StatefulSet'
    ? { ...common, replicas, readyReplicas: replicas, currentRevision: 'r1', updateRevision: 'r2' }
    : { ...common, replicas: replicas + 1, readyReplicas: replicas, availableReplicas: replicas };
}

/** The run's Hearths: applied from the examples, and their workloads made (or waited) ready. */
function hearthKit(cluster: () => E2eCluster, { kubectl, hearthOf, workloads, statusPatch }: KubectlKit) {
  /**
   * Applies docs/examples/<file> as it is or, given a name, renamed (with a host of its own, as an
   * ingress controller's admission would demand); with HEARTH_E2E_IMAGE, on that image.
   */
  const applyExample = async (file: string, name?: string): Promise<void> => {
    const source = path.join(repoRoot, 'docs', 'examples', file);
    const image = cluster().image;
    if (name === undefined && image === undefined) {
      await kubectl('apply', '-f', source);
      return;
    }
    const hearth = parse(await readFile(source, 'utf8')) as Hearth;
    if (name !== undefined) {
      hearth.metadata.name = name;
      if (hearth.spec.ingress !== undefined) hearth.spec.ingress.host = `chat.${name}.example`;
    }
    if (image !== undefined) hearth.spec.image = { ...hearth.spec.image, repository: image };
    const renamed = path.join(cluster().work, `${hearth.metadata.name ?? 'hearth'}.json`);
    await writeFile(renamed, JSON.stringify(hearth));
    await kubectl('apply', '-f', renamed);
  };

  /**
   * Every workload of the Hearth ready. With no controllers, written as a StatefulSet or Deployment
   * controller and kubelet would report it once every pod is up; with them, waited for.
   */
  const markReady = async (name: string): Promise<void> => {
    if (cluster().workloadControllers) {
      await eventually(`${name}'s pods ready`, async () => (await workloads(name)).every(isRolledOut), realReadinessMs, 2_000);
      return;
    }
    for (const item of await workloads(name)) await statusPatch(item.kind.toLowerCase(), item.metadata.name, rolledOutStatus(item));
  };
  /** halfRolledOutStatus on the workloads `only` picks. Only without controllers. */
  const markHalfRolledOut = async (name: string, only: (item: Item) => boolean): Promise<void> => {
    if (cluster().workloadControllers) throw new Error('markHalfRolledOut: the cluster runs workload controllers, which would overwrite it');
    for (const item of (await workloads(name)).filter(only)) await statusPatch(item.kind.toLowerCase(), item.metadata.name, halfRolledOutStatus(item));
  };
  const isHearthReady = async (name: string): Promise<boolean> => {
    const hearth = await hearthOf(name);
    return hearth.status?.phase === 'Ready' && hearth.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  };
  return { applyExample, markReady, markHalfRolledOut, isHearthReady };
}

/** The operator as a process of the suite: its environment, start and stop, and its metrics. */
function operatorProcessKit(cluster: () => E2eCluster, { kubectl }: KubectlKit, metricsPort: () => number) {
  /** The sum of the operator's metric lines that match. */
  const metric = async (pattern: RegExp, port = metricsPort()): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };
  /** The environment of `node operator/src/main.ts` in this suite: fast resyncs and requeues, scoped to the run. */
  const operatorEnv = (port: number, settings: Record<string, string>): NodeJS.ProcessEnv => ({
    ...process.env,
    KUBECONFIG: cluster().kubeconfigPath,
    HEARTH_OPERATOR_HTTP_PORT: String(port),
    HEARTH_OPERATOR_HTTP_HOST: '127.0.0.1',
    HEARTH_OPERATOR_RESYNC_SECONDS: '5',
    HEARTH_OPERATOR_NOT_READY_REQUEUE_SECONDS: '2',
    ...operatorScopeEnv(cluster().target, cluster().namespace),
    ...settings,
  });
  /** Waits for an operator process's /readyz; if it exits or never gets there, fails with what it wrote. */
  const operatorReady = async (child: Child, port: number, what: string): Promise<void> => {
    const ready = async (): Promise<boolean> => {
      if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    };
    await eventually(`${what} /readyz`, ready, 30_000, 200).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${child.output().slice(-4_000)}`);
    });
  };
  /**
   * Deletes the run's Hearths while an operator still runs, so that their finalizer goes and the
   * namespace can; if none is left to remove it, removes it by hand.
   */
  const deleteHearths = async (): Promise<void> => {
    await kubectl('delete', 'hearths', '--all', '--wait=false');
    const left = async (): Promise<string[]> => (await kubectl('get', 'hearths', '-o', 'name')).split('\n').filter((line) => line !== '');
    await eventually('the Hearths gone', async () => (await left()).length === 0, 30_000, 250).catch(async () => {
      for (const hearth of await left()) await kubectl('patch', hearth, '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    });
  };
  /** `node operator/src/main.ts` with this suite's environment and `settings`, once its /readyz answers. */
  const startOperator = async (port: number, settings: Record<string, string>, what = 'the operator'): Promise<Child> => {
    const child = startChild(process.execPath, operatorNodeArgs(repoRoot), { env: operatorEnv(port, settings) });
    await operatorReady(child, port, what);
    return child;
  };
  /**
   * The end of a suite: its Hearths deleted while the operator still runs (so their finalizer goes),
   * the operator's log shown with HEARTH_TEST_OPERATOR_LOG=1, the operator stopped.
   */
  const stopOperator = async (operator: Child | undefined, options: { deleteHearths: boolean } = { deleteHearths: true }): Promise<void> => {
    if (options.deleteHearths && operator?.process.exitCode === null) await deleteHearths();
    if (process.env.HEARTH_TEST_OPERATOR_LOG === '1' && operator !== undefined) process.stderr.write(operator.output());
    await operator?.stop('SIGTERM', 10_000);
  };
  return { startOperator, stopOperator, metric, operatorEnv, operatorReady, deleteHearths };
}
