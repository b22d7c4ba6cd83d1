import type { Informer, InformerHandlers, InformerStats, ResourceRef } from './informer.ts';
import { splitKey, type KubeObject } from './kube-object.ts';

/**
 * One Informer made of several, each of the same kind in a namespace of its own: what an operator
 * watching a few namespaces uses where one watching all of them has a single informer. Its RBAC
 * then needs a Role per namespace and no ClusterRole, since no request spans namespaces.
 *
 * Handlers hear every part (an object never moves between namespaces, so each change comes from
 * exactly one); it has synced when every part has; get() asks the part of the key's namespace.
 */
export interface MergedInformer<T extends KubeObject = KubeObject> extends Informer<T> {
  /** The watched namespaces, in the order the parts were given. */
  readonly namespaces: readonly string[];
}

export function createMergedInformer<T extends KubeObject = KubeObject>(parts: readonly Informer<T>[]): MergedInformer<T> {
  const byNamespace = partsByNamespace(parts);
  const resource = mergedResource(parts);
  return {
    resource,
    namespaces: [...byNamespace.keys()],
    addHandlers(handlers: InformerHandlers<T>) {
      const removers = parts.map((part) => part.addHandlers(handlers));
      return () => {
        for (const remove of removers) remove();
      };
    },
    start() {
      for (const part of parts) part.start();
    },
    hasSynced: () => parts.every((part) => part.hasSynced()),
    async waitForSync(signal) {
      const synced = await Promise.all(parts.map((part) => part.waitForSync(signal)));
      return synced.every(Boolean);
    },
    list: () => parts.flatMap((part) => part.list()),
    listIn: (namespace, labelValue) => byNamespace.get(namespace)?.listIn(namespace, labelValue) ?? [],
    get(key) {
      const { namespace } = splitKey(key);
      return namespace === undefined ? undefined : byNamespace.get(namespace)?.get(key);
    },
    // No watch resumes from a merged informer: each part keeps its own version (versions are
    // opaque, so neither the highest nor any one of them stands for the others). This says where
    // each part is, for logs and tests, and is not to be sent to the API server.
    resourceVersion: () => [...byNamespace].map(([namespace, part]) => `${namespace}=${part.resourceVersion()}`).join(','),
    stats: () => sumStats(parts.map((part) => part.stats())),
    async stop() {
      await Promise.all(parts.map((part) => part.stop()));
    },
  };
}

/** Each part's namespace, refusing what get() could not route: no namespace, or one twice. */
function partsByNamespace<T extends KubeObject>(parts: readonly Informer<T>[]): Map<string, Informer<T>> {
  if (parts.length === 0) throw new Error('createMergedInformer: no informers to merge');
  const byNamespace = new Map<string, Informer<T>>();
  for (const part of parts) {
    const namespace = part.resource.namespace;
    if (namespace === undefined || namespace === '') throw new Error(`createMergedInformer: an informer of ${describe(part.resource)} watches every namespace`);
    if (byNamespace.has(namespace)) throw new Error(`createMergedInformer: namespace ${namespace} is watched twice`);
    byNamespace.set(namespace, part);
  }
  return byNamespace;
}

/** The kind every part watches, without a namespace: the merged one has several. */
function mergedResource(parts: readonly Informer[]): ResourceRef {
  const first = parts[0]?.resource;
  if (first === undefined) throw new Error('createMergedInformer: no informers to merge');
  for (const part of parts) {
    const kind = describe(part.resource);
    if (kind !== describe(first)) throw new Error(`createMergedInformer: ${kind} and ${describe(first)} are different kinds`);
  }
  return { group: first.group, version: first.version, plural: first.plural };
}

function describe(resource: ResourceRef): string {
  return `${resource.group === '' ? 'core' : resource.group}/${resource.version}/${resource.plural}`;
}

function sumStats(all: readonly Readonly<InformerStats>[]): InformerStats {
  const total: InformerStats = { lists: 0, relists: 0, watches: 0, gone: 0, stalls: 0, errors: 0, events: 0, bookmarks: 0 };
  for (const stats of all) {
    for (const field of Object.keys(total) as (keyof InformerStats)[]) total[field] += stats[field];
  }
  return total;
}
