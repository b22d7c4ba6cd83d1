import type { KubeConfig } from '@kubernetes/client-node';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.ts';
import { createKubeHttp, isStatus, KubeApiError, parseJson, readText, type KubeHttp, type Query } from './kube-http.ts';
import { createInformerStore, createSyncGate, type StoreHandlers } from './informer-store.ts';
import { withoutManagedFields, type KubeObject } from './kube-object.ts';
import { listAllPages } from './list-pages.ts';
import { createSilenceTimer, readWatchEvents, watchTimeoutSeconds, type WatchEvent, type WatchOutcome } from './watch-stream.ts';

/**
 * List-then-watch for one resource kind, with an in-memory cache keyed by namespace/name.
 *
 * LIST (paged), then WATCH from the list's resourceVersion with bookmarks and a server-side
 * timeout; when a watch ends normally it resumes from the last resourceVersion seen (an event
 * or a bookmark). 410 Gone, as an HTTP status or as an ERROR event, means that version left the
 * server's history: LIST again and reconcile the cache, emitting deletes for objects that went
 * meanwhile. Any other failure, and a stream silent for longer than the server-side timeout plus
 * a margin, restarts the watch after an exponential back-off with jitter. It never gives up:
 * only stop() ends it.
 */

export interface ResourceRef {
  /** The API group, `` for the core group (ConfigMap, Secret, Service…). */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** One namespace, or undefined for all namespaces (and for cluster-scoped kinds). */
  readonly namespace?: string | undefined;
}

export type InformerHandlers<T extends KubeObject> = StoreHandlers<T>;

export type InformerEvent =
  | { readonly type: 'listed'; readonly items: number; readonly resourceVersion: string; readonly relist: boolean }
  | { readonly type: 'watch-ended'; readonly resourceVersion: string }
  | { readonly type: 'gone'; readonly resourceVersion: string }
  | { readonly type: 'stalled'; readonly silentMs: number }
  | { readonly type: 'error'; readonly error: unknown; readonly retryInMs: number }
  | { readonly type: 'handler-error'; readonly error: unknown };

export interface InformerStats {
  lists: number;
  relists: number;
  watches: number;
  gone: number;
  stalls: number;
  errors: number;
  events: number;
  bookmarks: number;
}

export interface InformerOptions {
  /** Where to connect; or `http`, a transport made from one. */
  readonly kubeConfig?: KubeConfig;
  readonly http?: KubeHttp;
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** The server-side timeout of each watch (default 300 s), jittered by ±watchTimeoutJitter (default 0.1). */
  readonly watchTimeoutSeconds?: number;
  readonly watchTimeoutJitter?: number;
  /** A watch silent for its timeout plus this long (default 30 s) is taken for dead. */
  readonly stallMarginMs?: number;
  /** Items per LIST page (default 500). */
  readonly pageSize?: number;
  /** Back-off between failed attempts (default 800 ms doubling to 30 s, ±20 %). */
  readonly backoff?: Partial<BackoffPolicy>;
  readonly random?: () => number;
  readonly log?: (event: InformerEvent) => void;
}

export interface Informer<T extends KubeObject = KubeObject> {
  readonly resource: ResourceRef;
  /** Handlers run synchronously, in order, for every change; the returned function removes them. */
  addHandlers(handlers: InformerHandlers<T>): () => void;
  /** Starts listing and watching; a second call does nothing. */
  start(): void;
  /** True once the first LIST has filled the cache. */
  hasSynced(): boolean;
  /** Resolves true once synced, false if stopped (or `signal` aborted) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  list(): T[];
  get(key: string): T | undefined;
  /** The resourceVersion a watch would resume from. */
  resourceVersion(): string;
  stats(): Readonly<InformerStats>;
  stop(): Promise<void>;
}

const defaultBackoff: BackoffPolicy = { baseMs: 800, capMs: 30_000, jitter: 0.2 };
/** A watch that lasted this long (or delivered anything) was healthy: the back-off starts over. */
const healthyWatchMs = 1_000;

export function resourcePath(resource: ResourceRef): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const namespace = resource.namespace;
  return namespace === undefined || namespace === '' ? `${base}/${resource.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
}

/** A resource as a label value: `core/v1/secrets`, `apps/v1/statefulsets`. */
export function resourceLabel(resource: ResourceRef): string {
  return `${resource.group === '' ? 'core' : resource.group}/${resource.version}/${resource.plural}`;
}

/** 410 Gone / Expired: the resourceVersion is older than the server's history. */
export function isGone(error: unknown): boolean {
  return error instanceof KubeApiError && (error.status === 410 || error.reason === 'Expired' || error.reason === 'Gone');
}

class StalledError extends Error {
  constructor(silentMs: number) {
    super(`watch silent for ${silentMs} ms`);
    this.name = 'StalledError';
  }
}

export function createInformer<T extends KubeObject = KubeObject>(options: InformerOptions): Informer<T> {
  const http = options.http ?? (options.kubeConfig === undefined ? undefined : createKubeHttp(options.kubeConfig));
  if (http === undefined) throw new Error('createInformer: give `kubeConfig` or `http`');
  const path = resourcePath(options.resource);
  const policy: BackoffPolicy = { ...defaultBackoff, ...options.backoff };
  const random = options.random ?? Math.random;
  const watchTimeout = options.watchTimeoutSeconds ?? 300;
  const watchTimeoutJitter = options.watchTimeoutJitter ?? 0.1;
  const stallMarginMs = options.stallMarginMs ?? 30_000;
  const pageSize = options.pageSize ?? 500;
  const log = options.log ?? ((): void => {});

  let resourceVersion = '';
  let running: Promise<void> | null = null;
  const stopping = new AbortController();
  const store = createInformerStore<T>((error) => log({ type: 'handler-error', error }));
  const sync = createSyncGate();
  const stats: InformerStats = { lists: 0, relists: 0, watches: 0, gone: 0, stalls: 0, errors: 0, events: 0, bookmarks: 0 };

  const selectors = (): Query => ({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });

  /** Replaces the cache with a fresh LIST and tells handlers what changed since the last one. */
  const relist = async (): Promise<void> => {
    const listed = await listAllPages<T>(http, path, { selectors: selectors(), pageSize, signal: stopping.signal });
    resourceVersion = listed.resourceVersion;
    const isRelist = stats.lists > 0;
    stats.lists += 1;
    if (isRelist) stats.relists += 1;
    log({ type: 'listed', items: listed.items.length, resourceVersion, relist: isRelist });
    store.replace(listed.items);
    sync.open();
  };

  /** Applies one watch event; 'gone' when the server says the version expired. */
  const applyEvent = (event: WatchEvent): 'gone' | undefined => {
    if (event.type === 'ERROR') return watchError(event.object, path);
    const object = event.object === undefined ? undefined : withoutManagedFields(event.object as T);
    const version = object?.metadata?.resourceVersion;
    if (object === undefined || version === undefined) throw new Error(`watch ${path}: ${event.type ?? 'an'} event without an object`);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        store.upsert(object);
        break;
      case 'DELETED':
        store.remove(object);
        break;
      case 'BOOKMARK':
        stats.bookmarks += 1;
        break;
      default:
        throw new Error(`watch ${path}: unknown event type ${String(event.type)}`);
    }
    if (event.type !== 'BOOKMARK') stats.events += 1;
    resourceVersion = version;
    return undefined;
  };

  /** One WATCH from the current resourceVersion; throws on failure (a stall included). */
  const watchOnce = async (): Promise<{ outcome: WatchOutcome; healthy: boolean }> => {
    const timeoutSeconds = watchTimeoutSeconds(watchTimeout, watchTimeoutJitter, random);
    const silentLimitMs = timeoutSeconds * 1000 + stallMarginMs;
    const abort = new AbortController();
    // stop() may have come while the LIST was finishing: an already aborted signal counts too.
    const signal = AbortSignal.any([abort.signal, stopping.signal]);
    let stalled = false;
    const silence = createSilenceTimer(silentLimitMs, () => {
      stalled = true;
      abort.abort();
    });
    const onActivity = (): void => silence.touch();
    const started = performance.now();
    const eventsBefore = stats.events + stats.bookmarks;
    stats.watches += 1;
    onActivity();
    try {
      const query = { ...selectors(), watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      const response = await http.openStream(path, query, signal);
      if (response.statusCode !== 200) throw new KubeApiError(response.statusCode ?? 0, parseJson(await readText(response)), `watch ${path}`);
      const outcome = await readWatchEvents(response, { path, onActivity, apply: applyEvent });
      const healthy = performance.now() - started >= healthyWatchMs || stats.events + stats.bookmarks > eventsBefore;
      return { outcome, healthy };
    } catch (error) {
      if (stalled && !stopping.signal.aborted) {
        stats.stalls += 1;
        log({ type: 'stalled', silentMs: silentLimitMs });
        throw new StalledError(silentLimitMs);
      }
      throw error;
    } finally {
      silence.clear();
      abort.abort();
    }
  };

  const run = async (): Promise<void> => {
    let needList = true;
    let failures = 0;
    let goneStreak = 0;
    const backOff = async (error: unknown): Promise<void> => {
      failures += 1;
      stats.errors += 1;
      const retryInMs = backoffDelay(failures, policy, random);
      log({ type: 'error', error, retryInMs });
      await sleep(retryInMs, stopping.signal);
    };
    while (!stopping.signal.aborted) {
      try {
        if (needList) {
          // Twice Gone in a row (a LIST answered 410, or a watch right after a LIST did): slow down.
          if (goneStreak > 1) await sleep(backoffDelay(goneStreak - 1, policy, random), stopping.signal);
          await relist();
          needList = false;
          failures = 0;
        }
        const { outcome, healthy } = await watchOnce();
        if (outcome === 'gone') throw new KubeApiError(410, undefined, `watch ${path}`);
        log({ type: 'watch-ended', resourceVersion });
        if (healthy) {
          failures = 0;
          goneStreak = 0;
        } else await backOff(new Error(`watch ${path} ended at once`));
      } catch (error) {
        if (stopping.signal.aborted) break;
        if (isGone(error)) {
          stats.gone += 1;
          goneStreak += 1;
          log({ type: 'gone', resourceVersion });
          needList = true;
        } else await backOff(error);
      }
    }
  };

  return {
    resource: options.resource,
    addHandlers: (handler) => store.addHandlers(handler),
    start() {
      if (running !== null || stopping.signal.aborted) return;
      running = run();
    },
    hasSynced: () => sync.isSynced(),
    waitForSync: (signal) => sync.wait(signal),
    list: () => store.list(),
    get: (key) => store.get(key),
    resourceVersion: () => resourceVersion,
    stats: () => ({ ...stats }),
    async stop() {
      stopping.abort();
      sync.close();
      await running;
    },
  };
}
/** An ERROR event: 'gone' for 410, else the error to restart on. */
function watchError(object: unknown, path: string): 'gone' {
  if (isStatus(object) && object.code === 410) return 'gone';
  const code = isStatus(object) ? (object.code ?? 500) : 500;
  throw new KubeApiError(code, object, `watch ${path}`);
}
