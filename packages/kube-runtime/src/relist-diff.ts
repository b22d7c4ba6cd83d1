import { objectKey, type KubeObject } from './kube-object.ts';

/** What a fresh LIST changed against the cache: handlers hear of each, in this order. */
export interface RelistDiff<T extends KubeObject> {
  /** The new cache, keyed by namespace/name, in the LIST's order. */
  readonly cache: Map<string, T>;
  readonly added: readonly T[];
  /** Objects whose resourceVersion moved, as [as cached, as listed]. */
  readonly updated: readonly (readonly [T, T])[];
  /** Objects the LIST no longer has, as last cached: they went while no watch was there to say so. */
  readonly deleted: readonly T[];
}

/**
 * The difference between the cache and a LIST that replaces it. An object whose resourceVersion
 * is unchanged is no update: a relist after 410 Gone would otherwise wake every reconcile at once.
 */
export function diffRelist<T extends KubeObject>(cached: ReadonlyMap<string, T>, listed: readonly T[]): RelistDiff<T> {
  const cache = new Map<string, T>();
  for (const item of listed) cache.set(objectKey(item), item);
  const added: T[] = [];
  const updated: (readonly [T, T])[] = [];
  for (const [key, object] of cache) {
    const old = cached.get(key);
    if (old === undefined) added.push(object);
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) updated.push([old, object]);
  }
  const deleted = [...cached].filter(([key]) => !cache.has(key)).map(([, object]) => object);
  return { cache, added, updated, deleted };
}
