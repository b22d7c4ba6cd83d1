import { V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { sleep } from './backoff.ts';
import type { RequestRecorder } from './controller-metrics.ts';
import { createLeaseClient, isConflict, type LeaseClient } from './lease-client.ts';
import {
  decideAttempt,
  decideLeadership,
  initialObservation,
  nextLeaseSpec,
  observeLease,
  releasedLeaseSpec,
  type LeaseObservation,
} from './lease-decisions.ts';

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

interface Campaign {
  readonly identity: string;
  readonly leases: LeaseClient;
  readonly leaseDurationSeconds: number;
  readonly now: () => number;
  readonly onNewLeader: ((identity: string) => void) | undefined;
  readonly log: (event: LeaderElectionEvent) => void;
}

/**
 * The Lease as one candidate reads and writes it: what it last observed, what it last wrote (what
 * a release is conditioned on), and the one attempt to acquire or renew it.
 */
function createCampaign(campaign: Campaign) {
  const { identity, leases, leaseDurationSeconds, now, log } = campaign;
  let observed: LeaseObservation = initialObservation(leaseDurationSeconds * 1000);
  let written: V1Lease | null = null;

  const observe = (lease: V1Lease): void => {
    const record = {
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      holder: lease.spec?.holderIdentity ?? '',
      leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds,
    };
    const next = observeLease(observed, record, now());
    observed = next.observation;
    if (next.holderChanged) guarded(log, identity, () => campaign.onNewLeader?.(observed.holder));
  };
  const logFailure = (error: unknown): void => log(isConflict(error) ? { type: 'conflict', identity } : { type: 'error', identity, error });
  const write = async (send: () => Promise<V1Lease>): Promise<boolean> => {
    try {
      written = await send();
      observe(written);
      return true;
    } catch (error) {
      logFailure(error);
      return false;
    }
  };
  const ours = (previous: V1LeaseSpec): V1LeaseSpec => nextLeaseSpec(previous, { identity, leaseDurationSeconds }, new V1MicroTime());

  return {
    holder: (): string => observed.holder,
    /** One attempt: read the Lease, and write ourselves in if it is ours, free or expired. */
    async tryAcquireOrRenew(): Promise<boolean> {
      let current: V1Lease | undefined;
      try {
        current = await leases.read();
      } catch (error) {
        log({ type: 'error', identity, error });
        return false;
      }
      if (current === undefined) return write(() => leases.create({ ...ours({}), leaseTransitions: 0 }));
      observe(current);
      if (decideAttempt(observed, identity, now()) === 'wait') return false;
      const read = current;
      return write(() => leases.replace(read, ours(read.spec ?? {})));
    },
    /** Hands the Lease back, if what we last wrote is still ours. */
    async release(): Promise<void> {
      const lease = written;
      if (lease === null || lease.spec?.holderIdentity !== identity) return;
      try {
        written = await leases.replace(lease, releasedLeaseSpec(lease.spec, new V1MicroTime()));
        log({ type: 'released', identity });
      } catch (error) {
        // 409: someone wrote since our last renewal, so it is not ours to release any more.
        logFailure(error);
      }
    },
  };
}

/** Runs a caller's callback; a throw is logged, never let into the election loop. */
function guarded(log: (event: LeaderElectionEvent) => void, identity: string, callback: (() => void) | undefined): void {
  try {
    callback?.();
  } catch (error) {
    log({ type: 'error', identity, error });
  }
}

export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const timing = leaderElectionTiming(options);
  const { identity } = options;
  const random = options.random ?? Math.random;
  const log = options.log ?? ((): void => {});
  const now = (): number => performance.now();
  const leases = createLeaseClient({ ...options, requestTimeoutMs: timing.requestTimeoutMs });
  const leaseDurationSeconds = Math.max(1, Math.ceil(timing.leaseDurationMs / 1000));
  const campaign = createCampaign({ identity, leases, leaseDurationSeconds, now, onNewLeader: options.onNewLeader, log });
  const stopping = new AbortController();

  let state: LeaderElectorState = 'idle';
  let loop: Promise<void> | null = null;
  let lastRenewStart = -Infinity;
  let cancelStepDown: NodeJS.Timeout | undefined;

  const stepDown = (): void => {
    clearTimeout(cancelStepDown);
    if (state !== 'leader') return;
    state = stopping.signal.aborted ? 'stopped' : 'standby';
    log({ type: 'lost', identity });
    guarded(log, identity, options.onStoppedLeading);
  };

  const renewed = (attemptStart: number): void => {
    lastRenewStart = attemptStart;
    clearTimeout(cancelStepDown);
    cancelStepDown = setTimeout(stepDown, attemptStart + timing.renewDeadlineMs - now());
    if (state === 'leader') return;
    state = 'leader';
    log({ type: 'acquired', identity });
    guarded(log, identity, options.onStartedLeading);
  };

  const attempt = async (): Promise<void> => {
    const attemptStart = now();
    // Written while stop() began: stop() releases it rather than start leading now.
    const succeeded = (await campaign.tryAcquireOrRenew()) && !stopping.signal.aborted;
    const change = decideLeadership({
      succeeded,
      leading: state === 'leader',
      attemptStart,
      lastRenewStart,
      now: now(),
      renewDeadlineMs: timing.renewDeadlineMs,
    });
    if (change === 'renewed') renewed(attemptStart);
    else if (change === 'lost') stepDown();
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      await attempt();
      if (stopping.signal.aborted) break;
      const pause = state === 'leader' ? timing.retryPeriodMs : timing.retryPeriodMs * (1 + 0.2 * random());
      await sleep(pause, stopping.signal);
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
    leader: () => campaign.holder(),
    async stop(stopOptions = {}) {
      if (state === 'stopped') return;
      stopping.abort();
      await loop;
      // Stop leading before handing the Lease over, so that the next leader never overlaps.
      stepDown();
      if (stopOptions.release ?? true) await campaign.release();
      state = 'stopped';
    },
  };
}
