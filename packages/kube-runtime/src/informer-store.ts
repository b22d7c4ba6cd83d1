import { objectKey, type KubeObject } from './kube-object.ts';
import { diffRelist } from './relist-diff.ts';

/** Told of each change to the store, synchronously and in order. */
export interface StoreHandlers<T extends KubeObject> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, object: T): void;
  /** The object as last seen: after a relist it may predate the deletion by several versions. */
  onDelete?(object: T): void;
}

/**
 * An informer's cache keyed by namespace/name, and the handlers it tells of every change. A
 * handler that throws is reported to `onHandlerError` and the others still run: one consumer's
 * bug must not starve another.
 */
export interface InformerStore<T extends KubeObject> {
  addHandlers(handlers: StoreHandlers<T>): () => void;
  /** Replaces the whole cache with a LIST, telling handlers what changed; returns how many objects it holds. */
  replace(listed: readonly T[]): number;
  /** An ADDED or MODIFIED event: an update only when the resourceVersion moved. */
  upsert(object: T): void;
  /** A DELETED event; nothing for an object the cache did not hold. */
  remove(object: T): void;
  list(): T[];
  /** The objects in `namespace`, from an index kept with the cache: a reconcile asks for its namespace's often, and copying the whole cache each time grew with the square of the objects. */
  listIn(namespace: string): T[];
  get(key: string): T | undefined;
}

/** The cache by namespace ('' for cluster-scoped objects), each by key. */
class NamespaceIndex<T extends KubeObject> {
  readonly #namespaces = new Map<string, Map<string, T>>();

  static of<T extends KubeObject>(cache: ReadonlyMap<string, T>): NamespaceIndex<T> {
    const index = new NamespaceIndex<T>();
    for (const [key, object] of cache) index.set(key, object);
    return index;
  }

  set(key: string, object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    let objects = this.#namespaces.get(namespace);
    if (objects === undefined) this.#namespaces.set(namespace, (objects = new Map()));
    objects.set(key, object);
  }

  delete(key: string, object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const objects = this.#namespaces.get(namespace);
    objects?.delete(key);
    if (objects?.size === 0) this.#namespaces.delete(namespace);
  }

  list(namespace: string): T[] {
    return [...(this.#namespaces.get(namespace)?.values() ?? [])];
  }
}

export function createInformerStore<T extends KubeObject>(onHandlerError: (error: unknown) => void): InformerStore<T> {
  let cache = new Map<string, T>();
  let index = new NamespaceIndex<T>();
  const handlers = new Set<StoreHandlers<T>>();

  const emit = (call: (handler: StoreHandlers<T>) => void): void => {
    for (const handler of [...handlers]) {
      try {
        call(handler);
      } catch (error) {
        onHandlerError(error);
      }
    }
  };

  return {
    addHandlers(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    replace(listed) {
      const diff = diffRelist(cache, listed);
      cache = diff.cache;
      index = NamespaceIndex.of(cache);
      for (const object of diff.added) emit((handler) => handler.onAdd?.(object));
      for (const [old, object] of diff.updated) emit((handler) => handler.onUpdate?.(old, object));
      for (const old of diff.deleted) emit((handler) => handler.onDelete?.(old));
      return cache.size;
    },
    upsert(object) {
      const key = objectKey(object);
      const old = cache.get(key);
      cache.set(key, object);
      index.set(key, object);
      if (old === undefined) emit((handler) => handler.onAdd?.(object));
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) emit((handler) => handler.onUpdate?.(old, object));
    },
    remove(object) {
      const key = objectKey(object);
      const old = cache.get(key);
      if (old === undefined) return;
      cache.delete(key);
      index.delete(key, old);
      emit((handler) => handler.onDelete?.(object));
    },
    list: () => [...cache.values()],
    listIn: (namespace) => index.list(namespace),
    get: (key) => cache.get(key),
  };
}

/** Whether the first LIST has filled the cache, and who waits for it. */
export interface SyncGate {
  isSynced(): boolean;
  /** The first LIST is in: every waiter hears true. */
  open(): void;
  /** Stopped: every waiter hears whether it had synced. */
  close(): void;
  /** Resolves true once synced, false if closed (or `signal` aborted) first. */
  wait(signal?: AbortSignal): Promise<boolean>;
}

export function createSyncGate(): SyncGate {
  let synced = false;
  let closed = false;
  const waiters = new Set<(synced: boolean) => void>();
  const settle = (value: boolean): void => {
    for (const waiter of waiters) waiter(value);
    waiters.clear();
  };
  return {
    isSynced: () => synced,
    open() {
      if (synced) return;
      synced = true;
      settle(true);
    },
    close() {
      closed = true;
      settle(synced);
    },
    wait(signal) {
      if (synced) return Promise.resolve(true);
      if (closed || signal?.aborted === true) return Promise.resolve(false);
      return new Promise((resolve) => {
        const onAbort = (): void => {
          waiters.delete(waiter);
          resolve(false);
        };
        const waiter = (value: boolean): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        };
        waiters.add(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
