import {
  ApiException,
  CoordinationV1Api,
  createConfiguration,
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type HttpLibrary,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import { sleep } from './backoff.ts';
import type { RequestRecorder } from './controller-metrics.ts';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection package.
 *
 * Safety rests on two rules. Every write is a replace conditioned on the resourceVersion just
 * read, so of two candidates racing for one record only one succeeds. And time is only ever
 * compared on one's own monotonic clock: a candidate takes a held lease only once its record
 * has stayed unchanged for the lease duration since this candidate first saw it, while the
 * leader counts itself leader only until renewDeadline (< leaseDuration) after the start of its
 * last successful renewal. So the old leader has stopped before anyone else can start, without
 * trusting the renewTime another machine wrote.
 */

export interface LeaderElectorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The Lease's name. */
  readonly name: string;
  /** Unique per candidate (the pod name, say). */
  readonly identity: string;
  /** How long a lease holds without renewal (default 15 s; written in whole seconds). */
  readonly leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long (default 10 s, < leaseDuration). */
  readonly renewDeadlineMs?: number;
  /** Between attempts to acquire or renew (default 2 s, < renewDeadline). */
  readonly retryPeriodMs?: number;
  /** Each API request gives up after this long (default renewDeadline / 2). */
  readonly requestTimeoutMs?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** A new holder was observed (this candidate included); `` when the lease was released. */
  readonly onNewLeader?: (identity: string) => void;
  readonly log?: (event: LeaderElectionEvent) => void;
  readonly random?: () => number;
  /** Told of every request to the API server (rest_client_requests_total). */
  readonly recordRequest?: RequestRecorder;
}

export type LeaderElectionEvent =
  | { readonly type: 'acquired' | 'released' | 'lost'; readonly identity: string }
  | { readonly type: 'conflict'; readonly identity: string }
  | { readonly type: 'error'; readonly identity: string; readonly error: unknown };

export type LeaderElectorState = 'idle' | 'standby' | 'leader' | 'stopped';

export interface LeaderElector {
  readonly identity: string;
  start(): void;
  /** True while this candidate leads: checked against the clock, not only a timer. */
  isLeader(): boolean;
  state(): LeaderElectorState;
  /** The holder last observed on the Lease. */
  leader(): string;
  /** Stops campaigning; with `release` (the default) a leader hands the Lease back so another takes it at once. */
  stop(options?: { release?: boolean }): Promise<void>;
}

interface Timing {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  requestTimeoutMs: number;
}

/** Defaults and the orderings client-go insists on, refused with a message that names the options. */
export function leaderElectionTiming(options: Partial<Timing>): Timing {
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? renewDeadlineMs / 2;
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new Error(`leader election: leaseDurationMs (${leaseDurationMs}) must exceed renewDeadlineMs (${renewDeadlineMs})`);
  if (!(renewDeadlineMs > retryPeriodMs * 1.2))
    throw new Error(`leader election: renewDeadlineMs (${renewDeadlineMs}) must exceed 1.2 × retryPeriodMs (${retryPeriodMs})`);
  if (!(retryPeriodMs > 0 && requestTimeoutMs > 0)) throw new Error('leader election: retryPeriodMs and requestTimeoutMs must be positive');
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs, requestTimeoutMs };
}

/** Makes the generated client abort a request after `ms` (it has no timeout of its own). */
function timeoutMiddleware(ms: number): ObservableMiddleware {
  return {
    pre(context: RequestContext) {
      context.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
}

/**
 * The generated client's HTTP library, telling `record` of each request's status, or of its
 * failure (no response: refused, reset, timed out), which middleware's post() never sees.
 */
function recordingHttpApi(record: RequestRecorder): HttpLibrary {
  const inner = createConfiguration().httpApi;
  return {
    send(context: RequestContext) {
      const request = { method: context.getHttpMethod(), host: new URL(context.getUrl()).host };
      const sent = inner.send(context).toPromise();
      return new Observable(
        sent.then(
          (response) => {
            record({ ...request, status: response.httpStatusCode });
            return response;
          },
          (error: unknown) => {
            record({ ...request, status: undefined });
            throw error;
          },
        ),
      );
    },
  };
}

function isApiStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const timing = leaderElectionTiming(options);
  const { name, namespace, identity } = options;
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const requestOptions: ConfigurationOptions = {
    middleware: [timeoutMiddleware(timing.requestTimeoutMs)],
    middlewareMergeStrategy: 'append',
    ...(options.recordRequest === undefined ? {} : { httpApi: recordingHttpApi(options.recordRequest) }),
  };
  const leaseDurationSeconds = Math.max(1, Math.ceil(timing.leaseDurationMs / 1000));
  const random = options.random ?? Math.random;
  const log = options.log ?? ((): void => {});
  const now = (): number => performance.now();
  const stopping = new AbortController();

  let state: LeaderElectorState = 'idle';
  let loop: Promise<void> | null = null;
  /** The Lease as this candidate last wrote it (what a release is conditioned on). */
  let written: V1Lease | null = null;
  let lastRenewStart = -Infinity;
  let cancelStepDown: NodeJS.Timeout | undefined;
  let observed = { resourceVersion: '', at: -Infinity, holder: '', leaseDurationSeconds };

  const call = (callback: (() => void) | undefined): void => {
    try {
      callback?.();
    } catch (error) {
      log({ type: 'error', identity, error });
    }
  };

  const observe = (lease: V1Lease): void => {
    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    if (resourceVersion === observed.resourceVersion) return;
    const holder = lease.spec?.holderIdentity ?? '';
    const changedHolder = holder !== observed.holder;
    observed = { resourceVersion, at: now(), holder, leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds };
    if (changedHolder) {
      const notify = options.onNewLeader;
      if (notify !== undefined) call(() => notify(holder));
    }
  };

  const ourSpec = (previous: V1LeaseSpec): V1LeaseSpec => {
    const stamp = new V1MicroTime();
    const renewing = previous.holderIdentity === identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds,
      // acquireTime read back is a plain string (client-node does not revive MicroTime): kept as is.
      acquireTime: renewing && previous.acquireTime !== undefined ? previous.acquireTime : stamp,
      renewTime: stamp,
      leaseTransitions: (previous.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    };
  };

  const create = async (): Promise<boolean> => {
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { ...ourSpec({}), leaseTransitions: 0 } };
    try {
      written = await api.createNamespacedLease({ namespace, body }, requestOptions);
      observe(written);
      return true;
    } catch (error) {
      log(isApiStatus(error, 409) ? { type: 'conflict', identity } : { type: 'error', identity, error });
      return false;
    }
  };

  /** One attempt: read the Lease, and write ourselves in if it is ours, free or expired. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    let current: V1Lease;
    try {
      current = await api.readNamespacedLease({ name, namespace }, requestOptions);
    } catch (error) {
      if (isApiStatus(error, 404)) return create();
      log({ type: 'error', identity, error });
      return false;
    }
    observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    const expired = now() >= observed.at + observed.leaseDurationSeconds * 1000;
    if (holder !== '' && holder !== identity && !expired) return false;
    try {
      // current.metadata.resourceVersion rides along: the server refuses the write (409) if anyone wrote since.
      written = await api.replaceNamespacedLease({ name, namespace, body: { ...current, spec: ourSpec(current.spec ?? {}) } }, requestOptions);
      observe(written);
      return true;
    } catch (error) {
      log(isApiStatus(error, 409) ? { type: 'conflict', identity } : { type: 'error', identity, error });
      return false;
    }
  };

  const stepDown = (): void => {
    clearTimeout(cancelStepDown);
    if (state !== 'leader') return;
    state = stopping.signal.aborted ? 'stopped' : 'standby';
    log({ type: 'lost', identity });
    call(options.onStoppedLeading);
  };

  const renewed = (attemptStart: number): void => {
    const remaining = attemptStart + timing.renewDeadlineMs - now();
    // A write that took longer than the deadline proves nothing about now.
    if (remaining <= 0) return;
    lastRenewStart = attemptStart;
    clearTimeout(cancelStepDown);
    cancelStepDown = setTimeout(stepDown, remaining);
    if (state === 'leader') return;
    state = 'leader';
    log({ type: 'acquired', identity });
    call(options.onStartedLeading);
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      const attemptStart = now();
      const succeeded = await tryAcquireOrRenew();
      // Written while stop() began: stop() releases it rather than start leading now.
      if (succeeded && !stopping.signal.aborted) renewed(attemptStart);
      else if (state === 'leader' && now() - lastRenewStart >= timing.renewDeadlineMs) stepDown();
      if (stopping.signal.aborted) break;
      const pause = state === 'leader' ? timing.retryPeriodMs : timing.retryPeriodMs * (1 + 0.2 * random());
      await sleep(pause, stopping.signal);
    }
  };

  const release = async (): Promise<void> => {
    const lease = written;
    if (lease === null || lease.spec?.holderIdentity !== identity) return;
    const stamp = new V1MicroTime();
    const spec: V1LeaseSpec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp };
    try {
      written = await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }, requestOptions);
      log({ type: 'released', identity });
    } catch (error) {
      // 409: someone wrote since our last renewal, so it is not ours to release any more.
      log(isApiStatus(error, 409) ? { type: 'conflict', identity } : { type: 'error', identity, error });
    }
  };

  return {
    identity,
    start() {
      if (loop !== null || stopping.signal.aborted) return;
      state = 'standby';
      loop = run();
    },
    isLeader: () => state === 'leader' && now() - lastRenewStart < timing.renewDeadlineMs,
    state: () => state,
    leader: () => observed.holder,
    async stop(stopOptions = {}) {
      if (state === 'stopped') return;
      stopping.abort();
      await loop;
      // Stop leading before handing the Lease over, so that the next leader never overlaps.
      stepDown();
      if (stopOptions.release ?? true) await release();
      state = 'stopped';
    },
  };
}
