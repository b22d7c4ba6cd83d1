// Whether the cluster serves an API the operator builds on but does not install (CloudNativePG's
// Cluster): asked of the API server's discovery, which any authenticated client may read, and
// remembered for a while, so that installing CloudNativePG later is noticed within that time.
import type { KubeClient } from './kube-client.ts';

/** A function that says whether `groupVersion` (`postgresql.cnpg.io/v1`) serves `plural`. */
export function createGroupDiscovery(client: KubeClient, groupVersion: string, plural: string, ttlMs: number, now = Date.now): () => Promise<boolean> {
  let known: { readonly served: boolean; readonly at: number } | undefined;
  return async () => {
    if (known !== undefined && now() - known.at < ttlMs) return known.served;
    // 404 when the group is not there at all; a list of resources without ours when only part is.
    const list = (await client.get(`/apis/${groupVersion}`)) as { resources?: { name?: string }[] } | undefined;
    const served = list?.resources?.some((resource) => resource.name === plural) ?? false;
    known = { served, at: now() };
    return served;
  };
}
