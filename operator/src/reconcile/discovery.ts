// Whether the cluster serves an API the operator builds on but does not install (CloudNativePG's
// Cluster, the Prometheus Operator's ServiceMonitor, PodMonitor and PrometheusRule): asked of the
// API server's discovery, which any authenticated client may read, and remembered for a while, so
// that installing one later is noticed within that time.
import { monitoringGroupVersion, monitoringPlurals, type MonitoringKind, type ServedMonitoringKinds } from '../tiers/index.ts';
import type { KubeClient } from './kube-client.ts';

/** A function that says which resources (plurals) `groupVersion` (`postgresql.cnpg.io/v1`) serves. */
export function createApiDiscovery(client: KubeClient, groupVersion: string, ttlMs: number, now = Date.now): () => Promise<ReadonlySet<string>> {
  let known: { readonly served: ReadonlySet<string>; readonly at: number } | undefined;
  return async () => {
    if (known !== undefined && now() - known.at < ttlMs) return known.served;
    // 404 when the group is not there at all; a list of resources without ours when only part is.
    const list = (await client.get(`/apis/${groupVersion}`)) as { resources?: { name?: string }[] } | undefined;
    const served = new Set((list?.resources ?? []).flatMap((resource) => (resource.name === undefined ? [] : [resource.name])));
    known = { served, at: now() };
    return served;
  };
}

/** A resource of an API group, by its plural: `clusters` of `postgresql.cnpg.io/v1`. */
export interface GroupResource {
  readonly groupVersion: string;
  readonly plural: string;
}

/** A function that says whether the cluster serves `resource`. */
export function createGroupDiscovery(client: KubeClient, resource: GroupResource, ttlMs: number, now = Date.now): () => Promise<boolean> {
  const discover = createApiDiscovery(client, resource.groupVersion, ttlMs, now);
  return async () => (await discover()).has(resource.plural);
}

/** Which of the Prometheus Operator's kinds the cluster serves: one discovery request for the three. */
export function createMonitoringDiscovery(client: KubeClient, ttlMs: number, now = Date.now): () => Promise<ServedMonitoringKinds> {
  const discover = createApiDiscovery(client, monitoringGroupVersion, ttlMs, now);
  return async () => {
    const served = await discover();
    const entries = Object.entries(monitoringPlurals).map(([kind, plural]): [MonitoringKind, boolean] => [kind as MonitoringKind, served.has(plural)]);
    return Object.fromEntries(entries) as Record<MonitoringKind, boolean>;
  };
}
