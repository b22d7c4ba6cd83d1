// What the operator's end-to-end tests share: kubectl against the test control plane, the
// objects a Hearth owns, and standing in for the workload controllers and kubelet that the
// test control plane does not run (it marks workloads ready through their status).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ControlPlane } from '@hearth/harness';
import type { Hearth } from './api/index.ts';

const run = promisify(execFile);

export const ownedKinds = 'statefulsets,deployments,services,ingresses,networkpolicies,horizontalpodautoscalers,secrets';

export const instanceSelector = (name: string): string =>
  `app.kubernetes.io/name=hearth,app.kubernetes.io/instance=${name},app.kubernetes.io/managed-by=hearth-operator`;

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
  data?: Record<string, string>;
}

/** kubectl and friends against the control plane the test started; the getters read what `before` set. */
export function operatorTestKit(kube: () => ControlPlane, work: () => string, metricsPort: () => number) {
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(kube().binaries.kubectl, ['--kubeconfig', kube().kubeconfigPath, '--cache-dir', path.join(work(), 'cache'), ...args])).stdout;
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl('get', '-o', 'json', ...args)) as T;
  const exists = async (...args: string[]): Promise<boolean> => (await kubectl('get', '--ignore-not-found', '-o', 'name', ...args)).trim() !== '';
  const hearthOf = (namespace: string, name: string): Promise<Hearth> => getJson<Hearth>('-n', namespace, 'hearth', name);
  const owned = async (namespace: string, name: string): Promise<Item[]> =>
    (await getJson<{ items: Item[] }>('-n', namespace, ownedKinds, '-l', instanceSelector(name))).items;
  const statusPatch = (namespace: string, kind: string, name: string, status: unknown): Promise<string> =>
    kubectl('-n', namespace, 'patch', kind, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));

  /** What a StatefulSet or Deployment controller and kubelet would report once every pod is up. */
  const markReady = async (namespace: string, name: string): Promise<void> => {
    const { items } = await getJson<{ items: Item[] }>('-n', namespace, 'statefulsets,deployments', '-l', instanceSelector(name));
    for (const item of items) {
      const replicas = item.spec?.replicas ?? 1;
      const common = { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, observedGeneration: item.metadata.generation };
      if (item.kind === 'StatefulSet') await statusPatch(namespace, 'statefulset', item.metadata.name, { ...common, currentRevision: 'r1', updateRevision: 'r1' });
      else await statusPatch(namespace, 'deployment', item.metadata.name, common);
    }
  };
  /**
   * What the workload controllers report halfway through a rollout of the latest spec: the new
   * generation observed, one pod short of updated, the old pods still serving.
   */
  const markHalfRolledOut = async (namespace: string, name: string, only: (item: Item) => boolean): Promise<void> => {
    const { items } = await getJson<{ items: Item[] }>('-n', namespace, 'statefulsets,deployments', '-l', instanceSelector(name));
    for (const item of items.filter(only)) {
      const replicas = item.spec?.replicas ?? 1;
      const updated = replicas - 1;
      const common = { observedGeneration: item.metadata.generation, updatedReplicas: updated };
      if (item.kind === 'StatefulSet') {
        await statusPatch(namespace, 'statefulset', item.metadata.name, { ...common, replicas, readyReplicas: replicas, currentRevision: 'r1', updateRevision: 'r2' });
      } else {
        await statusPatch(namespace, 'deployment', item.metadata.name, { ...common, replicas: replicas + 1, readyReplicas: replicas, availableReplicas: replicas });
      }
    }
  };
  const isHearthReady = async (namespace: string, name: string): Promise<boolean> => {
    const hearth = await hearthOf(namespace, name);
    return hearth.status?.phase === 'Ready' && hearth.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  };
  /** The sum of the operator's metric lines that match. */
  const metric = async (pattern: RegExp): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort()}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };
  return { kubectl, getJson, exists, hearthOf, owned, statusPatch, markReady, markHalfRolledOut, isHearthReady, metric };
}
