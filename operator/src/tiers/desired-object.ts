// The kinds a tier is made of, and the metadata every one of them carries: the Hearth's
// namespace, its labels and the Hearth as controlling owner.
import type {
  V1Deployment,
  V1Ingress,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Hearth, HearthTier } from '../api/index.ts';
import type { Labels } from './labels.ts';
import { ownerReference } from './names.ts';
import type { DesiredMonitoringObject } from './observability.ts';

/** Metadata as the builders write it: name and namespace always set. */
export type DesiredMeta = V1ObjectMeta & { name: string; namespace: string; labels: Labels };

type Desired<T, ApiVersion extends string, Kind extends string> = T & { apiVersion: ApiVersion; kind: Kind; metadata: DesiredMeta };

export type DesiredStatefulSet = Desired<V1StatefulSet, 'apps/v1', 'StatefulSet'>;
export type DesiredDeployment = Desired<V1Deployment, 'apps/v1', 'Deployment'>;
export type DesiredService = Desired<V1Service, 'v1', 'Service'>;
export type DesiredIngress = Desired<V1Ingress, 'networking.k8s.io/v1', 'Ingress'>;
/**
 * client-node calls a rule's `from` `_from` (its generator dodges the keyword) and renames it only
 * in its ObjectSerializer. These objects travel as plain JSON, so they carry the wire name: do not
 * pass them through ObjectSerializer.serialize, which would drop it.
 */
export type NetworkPolicyIngressRuleJson = Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] };
export type DesiredNetworkPolicy = Desired<Omit<V1NetworkPolicy, 'spec'>, 'networking.k8s.io/v1', 'NetworkPolicy'> & {
  spec: Omit<V1NetworkPolicySpec, 'ingress'> & { ingress?: NetworkPolicyIngressRuleJson[] };
};
export type DesiredHorizontalPodAutoscaler = Desired<V2HorizontalPodAutoscaler, 'autoscaling/v2', 'HorizontalPodAutoscaler'>;
export type DesiredPodDisruptionBudget = Desired<V1PodDisruptionBudget, 'policy/v1', 'PodDisruptionBudget'>;

/**
 * A CloudNativePG `Cluster` (postgresql.cnpg.io/v1), as far as the clustered tier sets it; the
 * CRD is CloudNativePG's (../shared/fixtures/crds), and the tests validate what is built against it.
 */
export type DesiredPostgresCluster = Desired<{ spec: PostgresClusterSpec }, 'postgresql.cnpg.io/v1', 'Cluster'>;

export interface PostgresClusterSpec {
  instances: number;
  imageName?: string;
  storage: { size: string; storageClass?: string };
  bootstrap: { initdb: { database: string; owner: string } };
  postgresql: { synchronous: { method: 'any'; number: number; dataDurability: 'required' | 'preferred' } };
  affinity: { enablePodAntiAffinity: boolean; podAntiAffinityType: 'preferred' | 'required'; topologyKey: string };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** Every object a tier applies with server-side apply (generated Secrets are ensured separately). */
export type DesiredObject =
  | DesiredStatefulSet
  | DesiredDeployment
  | DesiredService
  | DesiredIngress
  | DesiredNetworkPolicy
  | DesiredHorizontalPodAutoscaler
  | DesiredPodDisruptionBudget
  | DesiredPostgresCluster
  // What spec.observability asks for (observability.ts): applied after the tier's objects.
  | DesiredMonitoringObject;

export type DesiredKind = DesiredObject['kind'];

/** A workload whose readiness the status is derived from. */
export interface WorkloadRef {
  readonly kind: 'StatefulSet' | 'Deployment' | 'Cluster';
  readonly name: string;
  /** The tier it belongs to: during a tier change, only the serving tier's workloads make the Hearth Ready. */
  readonly tier: HearthTier;
}

export function objectMeta(hearth: Hearth, name: string, labels: Labels, annotations?: Record<string, string>): DesiredMeta {
  return { ...unownedMeta(hearth, name, labels, annotations), ownerReferences: [ownerReference(hearth)] };
}

/**
 * Metadata without the Hearth as owner: for an object whose deletion would take data with it (the
 * garbage collector would delete it, even in the moment before the finalizer could say no), which
 * the finalizer deletes or keeps as spec.storage.retainOnDelete says.
 */
export function unownedMeta(hearth: Hearth, name: string, labels: Labels, annotations?: Record<string, string>): DesiredMeta {
  const namespace = hearth.metadata.namespace;
  if (namespace === undefined || namespace === '') throw new Error('a Hearth read from the API server has metadata.namespace');
  const meta: DesiredMeta = { name, namespace, labels };
  if (annotations !== undefined) meta.annotations = annotations;
  return meta;
}

export function workloadsOf(objects: readonly DesiredObject[], tier: HearthTier): WorkloadRef[] {
  const refs: WorkloadRef[] = [];
  for (const object of objects) {
    if (object.kind === 'StatefulSet' || object.kind === 'Deployment' || object.kind === 'Cluster')
      refs.push({ kind: object.kind, name: object.metadata.name, tier });
  }
  return refs;
}
