// What the reconcile steps' tests share: a real kube-apiserver with the Hearth CRD and a
// namespace (e2e-cluster.ts), the operator's own client, a Hearth created from an example, and a
// ReconcileContext whose Events are kept in memory (events.test.ts checks the real recorder).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '@hearth/kube-runtime';
import { parse } from 'yaml';
import type { Hearth } from '../api/index.ts';
import { repoRoot } from '../api/generate.ts';
import { startE2eCluster, type E2eCluster } from '../e2e-cluster.ts';
import { defaultTierContext, instanceLabels, ownerReference } from '../tiers/index.ts';
import type { ReconcileContext } from './context.ts';
import type { EventRecorder } from './events.ts';
import { pathOf, type KindName } from './kinds.ts';
import { createKubeClient, type KubeClient } from './kube-client.ts';

export interface RecordedEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

export interface ReconcileTestbed {
  readonly cluster: E2eCluster;
  readonly namespace: string;
  readonly client: KubeClient;
  readonly kubeConfig: KubeConfig;
  /** A context on this client; events land in `events`. */
  context(): ReconcileContext & { readonly events: EventRecorder & { readonly recorded: RecordedEvent[] } };
  /** docs/examples/<file> created under `name` (spec overrides merged in), as the API server holds it. */
  createHearth(name: string, file?: string, spec?: Partial<Hearth['spec']>): Promise<Hearth>;
  /** An object of `kind` labelled as the Hearth's; owned by it unless `owned` is false. */
  createLabelled(kind: KindName, hearth: Hearth, body: Partial<KubeObject> & Record<string, unknown>, owned?: boolean): Promise<KubeObject>;
  stop(): Promise<void>;
}

export async function startReconcileTestbed(suite: string): Promise<ReconcileTestbed> {
  // The test control plane always (the existing-cluster mode is the e2e suites' business).
  const cluster = await startE2eCluster(suite, {});
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(cluster.kubeconfigPath);
  const client = createKubeClient(kubeConfig);
  const namespace = cluster.namespace;
  return {
    cluster,
    namespace,
    client,
    kubeConfig,
    context() {
      const recorded: RecordedEvent[] = [];
      return {
        client,
        tierContext: defaultTierContext,
        random: (count) => new Uint8Array(count).fill(7),
        now: () => new Date(),
        events: { recorded, record: async (_hearth, type, reason, message) => void recorded.push({ type, reason, message }) },
        getHearth: () => undefined,
        notReadyRequeueMs: 1_000,
      };
    },
    async createHearth(name, file = 'embedded.yaml', spec = {}) {
      const example = parse(await readFile(path.join(repoRoot, 'docs', 'examples', file), 'utf8')) as Hearth;
      const hearth = { ...example, metadata: { name, namespace }, spec: { ...example.spec, ...spec } };
      await client.create(pathOf('Hearth', namespace), hearth);
      return (await client.get(pathOf('Hearth', namespace, name))) as unknown as Hearth;
    },
    async createLabelled(kind, hearth, body, owned = true) {
      const name = body.metadata?.name ?? '';
      const metadata = {
        ...body.metadata,
        namespace,
        labels: { ...instanceLabels(hearth.metadata.name ?? ''), ...body.metadata?.labels },
        ...(owned ? { ownerReferences: [ownerReference(hearth)] } : {}),
      };
      await client.create(pathOf(kind, namespace), { ...body, metadata });
      return (await client.get(pathOf(kind, namespace, name))) as KubeObject;
    },
    stop: () => cluster.stop(),
  };
}

/** A minimal Service named `name`, for tests that need an object of the tier's kinds. */
export function serviceBody(name: string, labels: Record<string, string> = {}): Partial<KubeObject> & Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec: { ports: [{ port: 80 }] } };
}
