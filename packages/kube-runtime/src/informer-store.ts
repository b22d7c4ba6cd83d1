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
  /**
   * The objects in `namespace`, from an index kept with the cache: a reconcile asks for its
   * namespace's often, and copying the whole cache each time grew with the square of the objects.
   * With `labelValue`, only those whose index label (the store's `indexLabel`) has that value,
   * from a second index: an operator's reconcile of one instance among thousands in a namespace
   * asks for that instance's objects only.
   */
  listIn(namespace: string, labelValue?: string): T[];
  get(key: string): T | undefined;
}

/** The cache in groups (by namespace, or by namespace and a label's value), each group by key. */
class GroupIndex<T extends KubeObject> {
  readonly #groups = new Map<string, Map<string, T>>();
  readonly #groupOf: (object: T) => string;

  constructor(groupOf: (object: T) => string, cache: ReadonlyMap<string, T> = new Map()) {
    this.#groupOf = groupOf;
    for (const [key, object] of cache) this.set(key, object);
  }

  /** A new index of `cache`, grouped the same way. */
  rebuilt(cache: ReadonlyMap<string, T>): GroupIndex<T> {
    return new GroupIndex(this.#groupOf, cache);
  }

  /** Files `object` under its group; `previous`, the version it replaces, may have been in another (a label changed). */
  set(key: string, object: T, previous?: T): void {
    const group = this.#groupOf(object);
    if (previous !== undefined && this.#groupOf(previous) !== group) this.delete(key, previous);
    let objects = this.#groups.get(group);
    if (objects === undefined) this.#groups.set(group, (objects = new Map()));
    objects.set(key, object);
  }

  delete(key: string, object: T): void {
    const group = this.#groupOf(object);
    const objects = this.#groups.get(group);
    objects?.delete(key);
    if (objects?.size === 0) this.#groups.delete(group);
  }

  list(group: string): T[] {
    return [...(this.#groups.get(group)?.values() ?? [])];
  }
}

const namespaceOf = (object: KubeObject): string => object.metadata?.namespace ?? '';
/** A namespace and a label value as one group name: neither holds a NUL. */
const labelGroup = (namespace: string, value: string): string => `${namespace}\0${value}`;

/** `indexLabel`: a label the cache is also indexed by, with the namespace (listIn's `labelValue`). */
export function createInformerStore<T extends KubeObject>(onHandlerError: (error: unknown) => void, indexLabel?: string): InformerStore<T> {
  let cache = new Map<string, T>();
  let index = new GroupIndex<T>(namespaceOf);
  let byLabel =
    indexLabel === undefined ? undefined : new GroupIndex<T>((object) => labelGroup(namespaceOf(object), object.metadata?.labels?.[indexLabel] ?? ''));
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
      index = index.rebuilt(cache);
      byLabel = byLabel?.rebuilt(cache);
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
      byLabel?.set(key, object, old);
      if (old === undefined) emit((handler) => handler.onAdd?.(object));
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) emit((handler) => handler.onUpdate?.(old, object));
    },
    remove(object) {
      const key = objectKey(object);
      const old = cache.get(key);
      if (old === undefined) return;
      cache.delete(key);
      index.delete(key, old);
      byLabel?.delete(key, old);
      emit((handler) => handler.onDelete?.(object));
    },
    list: () => [...cache.values()],
    listIn(namespace, labelValue) {
      if (labelValue === undefined) return index.list(namespace);
      if (byLabel === undefined) throw new Error('listIn: this cache has no index label');
      return byLabel.list(labelGroup(namespace, labelValue));
    },
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
