// Where the operator's end-to-end suites run. By default on a test control plane they start
// themselves (etcd and kube-apiserver from the harness, gone when the suite ends). With
// HEARTH_E2E_KUBECONFIG, on the existing cluster it names instead: the suites then touch nothing
// outside one namespace of their own, which they delete when they end.
//
// Only the explicit variable selects a cluster, never an ambient KUBECONFIG: a developer's
// KUBECONFIG may point at production, and these suites create, break and delete things.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubeBinaries, removeDir, startControlPlane, tempDir, type ControlPlane, type KubeBinaries } from '@hearth/harness';
import { repoRoot } from './api/generate.ts';
import { eventually } from '@hearth/kube-runtime/testing';

const run = promisify(execFile);

export type E2eTarget = { readonly type: 'control-plane' } | { readonly type: 'existing'; readonly kubeconfig: string };

type Env = Readonly<Record<string, string | undefined>>;

/** The cluster the suites target: HEARTH_E2E_KUBECONFIG when set, else a control plane of their own. */
export function e2eTarget(env: Env): E2eTarget {
  const kubeconfig = env.HEARTH_E2E_KUBECONFIG?.trim();
  return kubeconfig === undefined || kubeconfig === '' ? { type: 'control-plane' } : { type: 'existing', kubeconfig };
}

/** The reason to skip a case that stops, restarts or compacts what serves the API, or false to run it. */
export function skipUnlessControlPlane(target: E2eTarget, needs: string): string | false {
  return target.type === 'control-plane' ? false : `needs the test control plane: ${needs}`;
}

/**
 * The operator's settings for where it runs in the suite. On its own control plane it watches
 * every namespace, as the chart installs it by default. On an existing cluster it watches only
 * the run's namespace: it must never reconcile someone else's Hearths.
 */
export function operatorScopeEnv(target: E2eTarget, namespace: string): Record<string, string> {
  return {
    HEARTH_OPERATOR_NAMESPACE: target.type === 'existing' ? namespace : '',
    HEARTH_OPERATOR_LEASE_NAMESPACE: namespace,
  };
}

/** How long a suite may take: real pods pull images and start; the control plane only stores objects. */
export function suiteTimeoutMs(target: E2eTarget, onControlPlaneMs: number): number {
  return target.type === 'control-plane' ? onControlPlaneMs : Math.max(onControlPlaneMs, 1_800_000);
}

/** The label of every namespace a run creates: `kubectl delete namespace -l hearth.dev/e2e` clears what a killed run left. */
export const e2eNamespaceLabel = 'hearth.dev/e2e';

export interface E2eCluster {
  readonly target: E2eTarget;
  readonly kubeconfigPath: string;
  readonly kubectlPath: string;
  /** The harness control plane the suite started; undefined on an existing cluster. */
  readonly controlPlane: ControlPlane | undefined;
  /** The one namespace of this run: every Hearth, Lease and Event of the suite is in it. */
  readonly namespace: string;
  /**
   * Whether Deployment and StatefulSet controllers (and so kubelets) act on this cluster. If not,
   * the suite stands in for them by writing workload status; if so, it waits for real readiness.
   */
  readonly workloadControllers: boolean;
  /** The image repository of the Hearths the suite applies (HEARTH_E2E_IMAGE), when set. */
  readonly image: string | undefined;
  /** A scratch directory, removed by stop(). */
  readonly work: string;
  kubectl(...args: string[]): Promise<string>;
  /** Deletes the namespace (and with a control plane of its own, stops it). */
  stop(): Promise<void>;
}

/**
 * The cluster of one suite, with the Hearth CRD installed (from crds/, when the cluster does not
 * have it yet: an existing one is left as it is) and the run's namespace created.
 */
export async function startE2eCluster(suite: string, env: Env = process.env): Promise<E2eCluster> {
  const target = e2eTarget(env);
  const work = await tempDir(`operator-e2e-${suite}`);
  let controlPlane: ControlPlane | undefined;
  try {
    const binaries = await kubeBinaries();
    controlPlane = await startOwnControlPlane(target, binaries);
    const kubeconfigPath = controlPlane?.kubeconfigPath ?? (target.type === 'existing' ? target.kubeconfig : '');
    // The kubectl built with the control plane when there is one, else the one on PATH.
    const kubectlPath = binaries?.kubectl ?? 'kubectl';
    const kubectl = async (...args: string[]): Promise<string> =>
      (await run(kubectlPath, ['--kubeconfig', kubeconfigPath, '--cache-dir', path.join(work, 'cache'), ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    const setup = await prepareNamespace(kubectl, { suite, target, work, image: e2eImage(env) });
    const started = controlPlane;
    return {
      target,
      kubeconfigPath,
      kubectlPath,
      controlPlane: started,
      ...setup,
      work,
      kubectl,
      async stop() {
        // On the test control plane nothing finishes a namespace's deletion; it goes with the control plane.
        await kubectl('delete', 'namespace', setup.namespace, '--wait=false', '--ignore-not-found').catch(() => undefined);
        await started?.stop();
        await removeDir(work);
      },
    };
  } catch (error) {
    await controlPlane?.stop();
    await removeDir(work);
    throw error;
  }
}

/** A control plane of the suite's own when the target is one; undefined on an existing cluster. */
async function startOwnControlPlane(target: E2eTarget, binaries: KubeBinaries | null): Promise<ControlPlane | undefined> {
  if (target.type !== 'control-plane') return undefined;
  if (binaries === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');
  return startControlPlane({ binaries });
}

/** HEARTH_E2E_IMAGE, or undefined when unset or blank. */
function e2eImage(env: Env): string | undefined {
  const image = env.HEARTH_E2E_IMAGE?.trim();
  return image === undefined || image === '' ? undefined : image;
}

type Kubectl = (...args: string[]) => Promise<string>;

/** What a run's namespace is prepared for: the suite, where it runs, its scratch directory and the Hearth image. */
interface NamespaceSetup {
  readonly suite: string;
  readonly target: E2eTarget;
  readonly work: string;
  readonly image: string | undefined;
}

/** The CRD, the run's namespace, and what the cluster runs that decides how the suite waits. */
async function prepareNamespace(
  kubectl: Kubectl,
  { suite, target, work, image }: NamespaceSetup,
): Promise<Pick<E2eCluster, 'namespace' | 'workloadControllers' | 'image'>> {
  await ensureCrd(kubectl);
  const namespace = `hearth-e2e-${suite}-${randomBytes(3).toString('hex')}`;
  await kubectl('create', 'namespace', namespace);
  await kubectl('label', 'namespace', namespace, `${e2eNamespaceLabel}=${suite}`);
  const workloadControllers = target.type === 'existing' && (await hasWorkloadControllers(kubectl, namespace, work));
  if (workloadControllers && image === undefined) {
    await kubectl('delete', 'namespace', namespace, '--wait=false');
    throw new Error(
      'this cluster runs workload controllers, so Hearth pods must really start: set HEARTH_E2E_IMAGE to a repository the cluster can pull with tags 0.1.0 and 0.2.0 (docs/operator.md, Testing against a cluster)',
    );
  }
  return { namespace, workloadControllers, image };
}

async function ensureCrd(kubectl: Kubectl): Promise<void> {
  const present = (await kubectl('get', 'crd', 'hearths.hearth.dev', '--ignore-not-found', '-o', 'name')).trim() !== '';
  // An installed CRD is left alone: replacing it could change what other Hearths on the cluster may hold.
  if (!present) await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'));
  // Polled rather than `kubectl wait --for=condition=Established`, which fails at once, instead of
  // waiting, while a CRD just created has no status.conditions yet; so does a jsonpath filter over
  // them, which is why a failed read counts as not yet.
  const established = async (): Promise<boolean> =>
    (await kubectl('get', 'crd', 'hearths.hearth.dev', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}').catch(() => '')).trim() ===
    'True';
  await eventually('the Hearth CRD to be established', established, 60_000, 100);
}

/**
 * Whether a Deployment controller acts here: a Deployment of no replicas gets its
 * status.observedGeneration from it within seconds, and never without one.
 */
async function hasWorkloadControllers(kubectl: Kubectl, namespace: string, work: string): Promise<boolean> {
  const probe = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hearth-e2e-probe', namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'hearth-e2e-probe' } },
      template: { metadata: { labels: { app: 'hearth-e2e-probe' } }, spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] } },
    },
  };
  const file = path.join(work, 'probe.json');
  await writeFile(file, JSON.stringify(probe));
  await kubectl('apply', '-f', file);
  const observed = async (): Promise<boolean> =>
    (await kubectl('-n', namespace, 'get', 'deployment', 'hearth-e2e-probe', '-o', 'jsonpath={.status.observedGeneration}')).trim() !== '';
  const found = await eventually('a Deployment controller', observed, 10_000, 250).then(
    () => true,
    () => false,
  );
  await kubectl('-n', namespace, 'delete', 'deployment', 'hearth-e2e-probe', '--wait=false');
  return found;
}
