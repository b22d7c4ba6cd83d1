import type { BackoffPolicy } from './backoff.ts';
import { createHealthHandler, startHealthServer, type HealthCheck, type HealthServer } from './health-server.ts';
import { createControllerMetrics, createRequestRecorder, trackInformers, trackLeadership } from './controller-metrics.ts';
import type { Informer } from './informer.ts';
import { objectKey, ownerKeys, type KubeObject, type OwnerKind } from './kube-object.ts';
import { createLeaderElector, type LeaderElector, type LeaderElectorOptions } from './leader-election.ts';
import { createMetricsRegistry, type MetricsRegistry } from './metrics.ts';
import { objectPath, type OwnWrites } from './own-writes.ts';
import { createWorkQueue, type ReconcileResult, type WorkQueue } from './work-queue.ts';

/**
 * A controller: informers feed keys into a work queue whose workers call `reconcile(key)`.
 * The primary kind's changes enqueue the object's own key; an owned kind's changes enqueue the
 * keys of the owners its ownerReferences name (or whatever `keysOf` maps it to). Informers run
 * all the time, so a standby has a warm cache; the queue exists only while this process leads,
 * and on becoming leader every primary object is enqueued (level-triggered: nothing seen on
 * standby is lost). A periodic resync enqueues everything again.
 */

export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;

export interface OwnedKind {
  readonly informer: Informer;
  /** The primary kind as ownerReferences name it; or give `keysOf`. */
  readonly owner?: OwnerKind;
  readonly keysOf?: (object: KubeObject) => readonly string[];
}

export type LeaderElectionConfig = Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading'>;

export type ControllerEvent =
  | { readonly type: 'leading' | 'standby' }
  | { readonly type: 'reconcile-error'; readonly key: string; readonly error: unknown; readonly retryInMs: number }
  | { readonly type: 'drained'; readonly drained: boolean; readonly abandoned: number };

export interface ControllerOptions {
  /** Names the controller in metrics (the `controller` and `name` labels). */
  readonly name: string;
  /** The controller starts and stops its informers: give each controller its own. */
  readonly primary: Informer;
  readonly owned?: readonly OwnedKind[];
  /**
   * Whether an update of a primary object is news to the reconcile (default: every update). A
   * controller that writes its objects' status itself gives `specChanged`, so its own status
   * write does not queue the object for another reconcile.
   */
  readonly primaryChanged?: (previous: KubeObject, object: KubeObject) => boolean;
  /**
   * The reconcile's writes (its client calls `begin` around each): an owned object's event that is
   * only the echo of one of them does not queue its owners again.
   */
  readonly ownWrites?: OwnWrites;
  readonly reconcile: Reconcile;
  readonly workers?: number;
  readonly backoff?: Partial<BackoffPolicy>;
  /** Enqueue every primary object this often (default 10 min; 0: never). */
  readonly resyncPeriodMs?: number;
  /** How long stop() waits for in-flight reconciles (default 30 s). */
  readonly shutdownDeadlineMs?: number;
  /** Without it this process always leads (a single replica, or a test). */
  readonly leaderElection?: LeaderElectionConfig;
  /** Where the controller's metrics go (default: a registry of its own, without process metrics). */
  readonly registry?: MetricsRegistry;
  /** Serve /healthz, /readyz and /metrics on this port (0: any free port). */
  readonly http?: { readonly port: number; readonly host?: string };
  readonly log?: (event: ControllerEvent) => void;
}

export interface Controller {
  readonly registry: MetricsRegistry;
  /** Starts informers, leader election and the HTTP server; resolves once it listens. */
  start(): Promise<void>;
  /** Drains in-flight reconciles, releases the Lease, stops informers and the server. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Informers synced, and leader or standby. */
  isReady(): boolean;
  isHealthy(): boolean;
  /** Enqueues a key now (when leading). */
  enqueue(key: string): void;
  /** The HTTP server's port, or null without one. */
  port(): number | null;
  /** Health checks for a server the caller runs itself (several controllers in one process). */
  readonly liveness: readonly HealthCheck[];
  readonly readiness: readonly HealthCheck[];
}

interface Session {
  readonly queue: WorkQueue;
  readonly abort: AbortController;
  resync: NodeJS.Timeout | undefined;
}

/** Where the controller is in its life: start() sets `started`, stop() `stopping`, then `stopped`. */
interface Lifecycle {
  started: boolean;
  stopping: boolean;
  stopped: boolean;
}

export function createController(options: ControllerOptions): Controller {
  const registry = options.registry ?? createMetricsRegistry();
  const log = options.log ?? ((): void => {});
  const informers = [options.primary, ...(options.owned ?? []).map((owned) => owned.informer)];
  const lifecycle: Lifecycle = { started: false, stopping: false, stopped: false };
  let server: HealthServer | null = null;

  const sessions = createSessions({ options, registry, informers, log, isStopping: () => lifecycle.stopping });
  const enqueue = sessions.enqueue;
  enqueueOnChanges(options, enqueue);
  const elector = createElectorFor(options, registry, sessions);
  const isLeader = (): boolean => (elector === null ? sessions.isActive() : elector.isLeader());
  const { liveness, readiness } = controllerHealthChecks(options.name, { lifecycle, informers, elector });

  trackLeadership(registry, options.name, isLeader);
  trackInformers(registry, options.name, informers);

  return {
    registry,
    liveness,
    readiness,
    async start() {
      if (lifecycle.started) return;
      lifecycle.started = true;
      // The port first: if it is taken, nothing else has started and there is nothing to undo.
      if (options.http !== undefined) server = await startHealthServer(createHealthHandler({ registry, liveness, readiness }), options.http);
      for (const informer of informers) informer.start();
      if (elector === null) sessions.start();
      else elector.start();
    },
    async stop() {
      if (lifecycle.stopping) return;
      lifecycle.stopping = true;
      // The Lease is still held while reconciles drain, so no other leader overlaps them.
      await sessions.stop(options.shutdownDeadlineMs ?? 30_000);
      await sessions.drained();
      await elector?.stop({ release: true });
      await Promise.all(informers.map((informer) => informer.stop()));
      await server?.close();
      lifecycle.stopped = true;
    },
    isLeader,
    isReady: () => readiness.every((check) => check.ok()),
    isHealthy: () => liveness.every((check) => check.ok()),
    enqueue,
    port: () => server?.port ?? null,
  };
}

/**
 * The primary kind's changes enqueue the object's own key; an owned kind's enqueue its owners'.
 * Throws when an owned kind has neither `owner` nor `keysOf`.
 */
function enqueueOnChanges(options: ControllerOptions, enqueue: (key: string) => void): void {
  options.primary.addHandlers({
    onAdd: (object) => enqueue(objectKey(object)),
    onUpdate: (previous, object) => {
      if (options.primaryChanged?.(previous, object) ?? true) enqueue(objectKey(object));
    },
    onDelete: (object) => enqueue(objectKey(object)),
  });
  for (const owned of options.owned ?? []) {
    const keysOf = ownerKeysOf(owned);
    if (keysOf === undefined) throw new Error(`controller ${options.name}: an owned kind needs \`owner\` or \`keysOf\``);
    const enqueueOwners = (object: KubeObject, previous?: KubeObject): void => {
      // An owner reference can change: the old owner must hear of it as well as the new one.
      for (const key of previous === undefined ? keysOf(object) : new Set([...keysOf(previous), ...keysOf(object)])) enqueue(key);
    };
    const ownWrites = options.ownWrites;
    const sifted =
      ownWrites === undefined
        ? enqueueOwners
        : (object: KubeObject, previous?: KubeObject): void => {
            ownWrites.sift(objectPath(owned.informer.resource, object), object, () => enqueueOwners(object, previous));
          };
    owned.informer.addHandlers({
      onAdd: (object) => sifted(object),
      onUpdate: (previous, object) => sifted(object, previous),
      onDelete: (object) => enqueueOwners(object),
    });
  }
}

/** How an owned object maps to the keys to reconcile: `keysOf`, else its owner references; undefined without either. */
function ownerKeysOf(owned: OwnedKind): ((object: KubeObject) => readonly string[]) | undefined {
  if (owned.keysOf !== undefined) return owned.keysOf;
  const owner = owned.owner;
  return owner === undefined ? undefined : (object: KubeObject) => ownerKeys(object, owner);
}

/** The work done while leading: one session at a time, each with its own work queue. */
interface Sessions {
  /** Adds a key to the current session's queue; without a session (standby) it is dropped. */
  enqueue(key: string): void;
  isActive(): boolean;
  /** Starts a session, unless one runs or the controller is stopping. */
  start(): void;
  /** Ends the session: in-flight reconciles get `deadlineMs` to finish, then their signal aborts. */
  stop(deadlineMs: number): Promise<unknown>;
  /** Resolves once every ended session has drained. */
  drained(): Promise<unknown>;
}

interface SessionsDeps {
  readonly options: ControllerOptions;
  readonly registry: MetricsRegistry;
  readonly informers: readonly Informer[];
  readonly log: (event: ControllerEvent) => void;
  readonly isStopping: () => boolean;
}

function createSessions({ options, registry, informers, log, isStopping }: SessionsDeps): Sessions {
  let session: Session | null = null;
  const queueMetrics = createControllerMetrics(registry, options.name, () => session?.queue.inFlightMs() ?? []);
  const drains = new Set<Promise<unknown>>();

  const enqueue = (key: string): void => session?.queue.add(key);
  const enqueueAll = (): void => {
    for (const object of options.primary.list()) enqueue(objectKey(object));
  };

  /** Once the informers have synced, every primary object is enqueued, then again each resync period. */
  const enqueueAllWhenSynced = (current: Session): void => {
    void Promise.all(informers.map((informer) => informer.waitForSync(current.abort.signal))).then((synced) => {
      if (session !== current || !synced.every(Boolean)) return;
      enqueueAll();
      const period = options.resyncPeriodMs ?? 600_000;
      if (period > 0) current.resync = setInterval(enqueueAll, period);
    });
  };

  return {
    enqueue,
    isActive: () => session !== null,
    start(): void {
      if (session !== null || isStopping()) return;
      const queue = createWorkQueue({
        reconcile: options.reconcile,
        ...(options.workers === undefined ? {} : { workers: options.workers }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        metrics: queueMetrics,
        onError: (key, error, retryInMs) => log({ type: 'reconcile-error', key, error, retryInMs }),
      });
      const current: Session = { queue, abort: new AbortController(), resync: undefined };
      session = current;
      log({ type: 'leading' });
      enqueueAllWhenSynced(current);
    },
    stop(deadlineMs: number): Promise<unknown> {
      const current = session;
      if (current === null) return Promise.resolve();
      session = null;
      current.abort.abort();
      clearInterval(current.resync);
      queueMetrics.depth(0);
      log({ type: 'standby' });
      const drain = current.queue.shutdown({ deadlineMs }).then((result) => log({ type: 'drained', ...result }));
      drains.add(drain);
      void drain.finally(() => drains.delete(drain));
      return drain;
    },
    drained: () => Promise.all(drains),
  };
}

/** A Lease elector that starts and stops sessions, or null without leader election (this process always leads). */
function createElectorFor(options: ControllerOptions, registry: MetricsRegistry, sessions: Sessions): LeaderElector | null {
  if (options.leaderElection === undefined) return null;
  return createLeaderElector({
    recordRequest: createRequestRecorder(registry),
    ...options.leaderElection,
    onStartedLeading: () => sessions.start(),
    // Leadership lost: another may lead within seconds, so in-flight reconciles are aborted now.
    onStoppedLeading: () => void sessions.stop(0),
  });
}

function controllerHealthChecks(
  name: string,
  { lifecycle, informers, elector }: { lifecycle: Readonly<Lifecycle>; informers: readonly Informer[]; elector: LeaderElector | null },
): { liveness: HealthCheck[]; readiness: HealthCheck[] } {
  return {
    liveness: [{ name: `${name}-running`, ok: () => !lifecycle.stopped }],
    readiness: [
      { name: `${name}-started`, ok: () => lifecycle.started && !lifecycle.stopping },
      { name: `${name}-informers-synced`, ok: () => informers.every((informer) => informer.hasSynced()) },
      { name: `${name}-leader-or-standby`, ok: () => elector === null || elector.state() === 'leader' || elector.state() === 'standby' },
    ],
  };
}
