import type { KubeConfig } from '@kubernetes/client-node';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.ts';
import { createKubeHttp, isStatus, KubeApiError, parseJson, readText, type KubeHttp, type Query } from './kube-http.ts';
import { createInformerStore, createSyncGate, type InformerStore, type StoreHandlers } from './informer-store.ts';
import { afterAttempt, afterList, initialLoopState, listDelayAttempt, type AttemptOutcome } from './list-watch-loop.ts';
import { forCache, type KubeObject } from './kube-object.ts';
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
  /** A label the cache is also indexed by, with the namespace: listIn(namespace, value). */
  readonly indexLabel?: string;
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
  /** The objects in `namespace` (an index, not a filter of list()); with `labelValue`, those whose `indexLabel` has it. */
  listIn(namespace: string, labelValue?: string): T[];
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
  const settings = informerSettings(options);
  const { policy, random, log, pageSize } = settings;

  let resourceVersion = '';
  let loop = initialLoopState;
  let running: Promise<void> | null = null;
  const stopping = new AbortController();
  const store = createInformerStore<T>((error) => log({ type: 'handler-error', error }), options.indexLabel);
  const sync = createSyncGate();
  const stats: InformerStats = { lists: 0, relists: 0, watches: 0, gone: 0, stalls: 0, errors: 0, events: 0, bookmarks: 0 };

  const selectors = (): Query => ({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });

  /** Replaces the cache with a fresh LIST and tells handlers what changed since the last one. */
  const relist = async (): Promise<void> => {
    const listed = await listAllPages<T>(http, path, { selectors: selectors(), pageSize, signal: stopping.signal });
    resourceVersion = listed.resourceVersion;
    const isRelist = countList(stats);
    log({ type: 'listed', items: listed.items.length, resourceVersion, relist: isRelist });
    store.replace(listed.items);
    sync.open();
  };

  const applyEvent = (event: WatchEvent): 'gone' | undefined => {
    const applied = applyWatchEvent(event, { store, stats, path });
    if (applied !== 'gone') resourceVersion = applied;
    return applied === 'gone' ? 'gone' : undefined;
  };

  const watchOnce = (): Promise<{ outcome: WatchOutcome; healthy: boolean }> =>
    watchOnceFrom({ http, path, settings, stats, log, stopping: stopping.signal, query: { ...selectors(), resourceVersion }, apply: applyEvent });

  /** One turn of the loop: LIST when needed, then WATCH until it ends. */
  const attempt = async (): Promise<{ outcome: AttemptOutcome; error?: unknown }> => {
    try {
      if (loop.needList) {
        const delay = listDelayAttempt(loop);
        if (delay !== undefined) await sleep(backoffDelay(delay, policy, random), stopping.signal);
        await relist();
        loop = afterList(loop);
      }
      const { outcome, healthy } = await watchOnce();
      if (outcome === 'gone') return { outcome: 'gone' };
      log({ type: 'watch-ended', resourceVersion });
      return healthy ? { outcome: 'healthy' } : { outcome: 'ended-at-once', error: new Error(`watch ${path} ended at once`) };
    } catch (error) {
      return isGone(error) ? { outcome: 'gone' } : { outcome: 'failed', error };
    }
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      const { outcome, error } = await attempt();
      if (stopping.signal.aborted) break;
      const next = afterAttempt(loop, outcome);
      loop = next.state;
      if (outcome === 'gone') {
        stats.gone += 1;
        log({ type: 'gone', resourceVersion });
      }
      if (next.backOff !== undefined) await backOffAfterFailure({ attempt: next.backOff, error, settings, stats, stopping: stopping.signal });
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
    listIn: (namespace, labelValue) => store.listIn(namespace, labelValue),
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

/** Counts a LIST in `stats`: true when it is a relist (not the first). */
function countList(stats: InformerStats): boolean {
  const isRelist = stats.lists > 0;
  stats.lists += 1;
  if (isRelist) stats.relists += 1;
  return isRelist;
}

interface FailedAttempt {
  /** The back-off attempt number (failures in a row). */
  readonly attempt: number;
  readonly error: unknown;
  readonly settings: InformerSettings;
  readonly stats: InformerStats;
  /** Aborted by stop(), which cuts the wait short. */
  readonly stopping: AbortSignal;
}

/** Counts and logs a failed attempt, then waits out its back-off. */
async function backOffAfterFailure({ attempt, error, settings, stats, stopping }: FailedAttempt): Promise<void> {
  stats.errors += 1;
  const retryInMs = backoffDelay(attempt, settings.policy, settings.random);
  settings.log({ type: 'error', error, retryInMs });
  await sleep(retryInMs, stopping);
}

/** The options with their defaults. */
interface InformerSettings {
  readonly policy: BackoffPolicy;
  readonly random: () => number;
  readonly log: (event: InformerEvent) => void;
  readonly pageSize: number;
  readonly watchTimeoutSeconds: number;
  readonly watchTimeoutJitter: number;
  readonly stallMarginMs: number;
}

function informerSettings(options: InformerOptions): InformerSettings {
  return {
    policy: { ...defaultBackoff, ...options.backoff },
    random: options.random ?? Math.random,
    log: options.log ?? ((): void => {}),
    pageSize: options.pageSize ?? 500,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
    watchTimeoutJitter: options.watchTimeoutJitter ?? 0.1,
    stallMarginMs: options.stallMarginMs ?? 30_000,
  };
}

interface WatchContext {
  readonly http: KubeHttp;
  readonly path: string;
  readonly settings: InformerSettings;
  readonly stats: InformerStats;
  readonly log: (event: InformerEvent) => void;
  /** Aborted by stop(). */
  readonly stopping: AbortSignal;
  /** The selectors and the resourceVersion to watch from. */
  readonly query: Query;
  readonly apply: (event: WatchEvent) => 'gone' | undefined;
}

/**
 * One WATCH with bookmarks and a jittered server-side timeout; throws on failure, a stall (no byte
 * for the timeout plus the margin) included. Healthy when it lasted or delivered anything.
 */
async function watchOnceFrom(watch: WatchContext): Promise<{ outcome: WatchOutcome; healthy: boolean }> {
  const { http, path, settings, stats } = watch;
  const timeoutSeconds = watchTimeoutSeconds(settings.watchTimeoutSeconds, settings.watchTimeoutJitter, settings.random);
  const silentLimitMs = timeoutSeconds * 1000 + settings.stallMarginMs;
  const abort = new AbortController();
  // stop() may have come while the LIST was finishing: an already aborted signal counts too.
  const signal = AbortSignal.any([abort.signal, watch.stopping]);
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
    const query = { ...watch.query, watch: 1, allowWatchBookmarks: true, timeoutSeconds };
    const response = await http.openStream(path, query, signal);
    if (response.statusCode !== 200) throw new KubeApiError(response.statusCode ?? 0, parseJson(await readText(response)), `watch ${path}`);
    const outcome = await readWatchEvents(response, { path, onActivity, apply: watch.apply });
    const healthy = performance.now() - started >= healthyWatchMs || stats.events + stats.bookmarks > eventsBefore;
    return { outcome, healthy };
  } catch (error) {
    if (stalled && !watch.stopping.aborted) {
      stats.stalls += 1;
      watch.log({ type: 'stalled', silentMs: silentLimitMs });
      throw new StalledError(silentLimitMs);
    }
    throw error;
  } finally {
    silence.clear();
    abort.abort();
  }
}

/**
 * Applies one watch event to the store: the resourceVersion to resume from, or 'gone' when the
 * server says that version expired. Throws on an event it cannot read: the watch restarts.
 */
function applyWatchEvent<T extends KubeObject>(event: WatchEvent, target: { store: InformerStore<T>; stats: InformerStats; path: string }): string | 'gone' {
  const { store, stats, path } = target;
  if (event.type === 'ERROR') return watchError(event.object, path);
  const { object, version } = watchedObject<T>(event, path);
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
      return version;
    default:
      throw new Error(`watch ${path}: unknown event type ${String(event.type)}`);
  }
  stats.events += 1;
  return version;
}

/** The event's object, trimmed for the cache (forCache), and its resourceVersion; throws when either is missing. */
function watchedObject<T extends KubeObject>(event: WatchEvent, path: string): { object: T; version: string } {
  const object = event.object === undefined ? undefined : forCache(event.object as T);
  const version = object?.metadata?.resourceVersion;
  if (object === undefined || version === undefined) throw new Error(`watch ${path}: ${event.type ?? 'an'} event without an object`);
  return { object, version };
}

/** An ERROR event: 'gone' for 410, else the error to restart on. */
function watchError(object: unknown, path: string): 'gone' {
  if (isStatus(object) && object.code === 410) return 'gone';
  const code = isStatus(object) ? (object.code ?? 500) : 500;
  throw new KubeApiError(code, object, `watch ${path}`);
}
