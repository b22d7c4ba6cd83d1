// The kinds the operator writes, and where each lives in the API.
import type { ResourceRef } from '@hearth/kube-runtime';
import type { MonitoringKind } from '../tiers/index.ts';

export type OwnedKindName =
  | 'StatefulSet'
  | 'Deployment'
  | 'Service'
  | 'Ingress'
  | 'NetworkPolicy'
  | 'HorizontalPodAutoscaler'
  | 'PodDisruptionBudget'
  | 'Cluster'
  | 'Secret'
  | 'ConfigMap'
  | 'Job'
  | 'CronJob'
  | MonitoringKind;

export interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export const kinds: Readonly<
  Record<
    OwnedKindName | 'PersistentVolumeClaim' | 'Pod' | 'Event' | 'Hearth' | 'HearthBackup' | 'HearthRestore' | 'ServiceAccount' | 'Role' | 'RoleBinding',
    KindInfo
  >
> = {
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets' },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments' },
  Service: { group: '', version: 'v1', plural: 'services' },
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies' },
  HorizontalPodAutoscaler: { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers' },
  PodDisruptionBudget: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets' },
  // CloudNativePG's, present only where it is installed: never watched, read when needed.
  Cluster: { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' },
  Secret: { group: '', version: 'v1', plural: 'secrets' },
  // The Grafana dashboard of spec.observability.dashboards.
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps' },
  // The Prometheus Operator's, present only where it is installed (like Cluster): never watched, read when needed.
  ServiceMonitor: { group: 'monitoring.coreos.com', version: 'v1', plural: 'servicemonitors' },
  PodMonitor: { group: 'monitoring.coreos.com', version: 'v1', plural: 'podmonitors' },
  PrometheusRule: { group: 'monitoring.coreos.com', version: 'v1', plural: 'prometheusrules' },
  // A tier migration's copy Job (reconcile/migration.ts), and its pods, whose logs tell its progress;
  // a HearthBackup's or HearthRestore's Job and its pods (backup/).
  Job: { group: 'batch', version: 'v1', plural: 'jobs' },
  Pod: { group: '', version: 'v1', plural: 'pods' },
  // spec.backup's CronJob (backup/backup-schedule.ts).
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs' },
  HearthBackup: { group: 'hearth.dev', version: 'v1alpha1', plural: 'hearthbackups' },
  HearthRestore: { group: 'hearth.dev', version: 'v1alpha1', plural: 'hearthrestores' },
  PersistentVolumeClaim: { group: '', version: 'v1', plural: 'persistentvolumeclaims' },
  Event: { group: '', version: 'v1', plural: 'events' },
  Hearth: { group: 'hearth.dev', version: 'v1alpha1', plural: 'hearths' },
  // The account a restore with includeSecrets creates Secrets as (backup/restore-access.ts): created, then deleted.
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts' },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' },
};

/**
 * What the tiers build and own (Secrets are ensured, not applied; CloudNativePG's Cluster holds the
 * data and is never owned): what pruning and cleanup look at.
 */
export const prunableKinds: readonly OwnedKindName[] = [
  'Ingress',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Deployment',
  'StatefulSet',
  'Service',
  'NetworkPolicy',
];

/**
 * What spec.observability makes (reconcile/monitoring.ts applies and prunes them apart from the
 * tier's objects, so that a refusal of one never holds the Hearth back). ConfigMap is always served;
 * the Prometheus Operator's kinds only where it is installed, and so are listed only then.
 */
export const monitoringConfigMapKind = 'ConfigMap' satisfies OwnedKindName;
export const prometheusOperatorKinds: readonly MonitoringKind[] = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'];

/**
 * Every kind the operator watches besides Hearth. ConfigMaps too, since the informers select only
 * objects labelled managed-by hearth-operator: the cache holds the dashboards and nothing else,
 * and a reconcile reads them from it rather than ask the API server each time. Jobs: a migration's
 * copy Job finishing wakes the reconcile of its Hearth. CronJobs: spec.backup's
 * (backup/backup-schedule.ts), so that a hand edit or deletion of it is repaired.
 */
export const watchedKinds: readonly OwnedKindName[] = [...prunableKinds, 'Secret', monitoringConfigMapKind, 'Job', 'CronJob'];

export type KindName = keyof typeof kinds;

export function resourceOf(kind: KindName, namespace?: string): ResourceRef {
  const info = kinds[kind];
  return { group: info.group, version: info.version, plural: info.plural, namespace };
}

/** The collection path of `kind` in `namespace`, plus `/name` (and `/sub`) when given. */
export function pathOf(kind: KindName, namespace: string, name?: string, subresource?: string): string {
  const info = kinds[kind];
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  let path = `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}
