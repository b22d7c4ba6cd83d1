import type { V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';

/**
 * The decisions of leader election, apart from the API calls and the timers: what a candidate
 * does with the Lease it just read, and what an attempt to write it means for its leadership.
 * Times are milliseconds on the candidate's own monotonic clock; the renewTime another machine
 * wrote is never compared with it.
 */

/** The Lease as this candidate last saw it change. */
export interface LeaseObservation {
  readonly resourceVersion: string;
  /** When this candidate first saw this resourceVersion. */
  readonly at: number;
  readonly holder: string;
  readonly leaseDurationMs: number;
}

/** What a read of the Lease says, in the terms the decisions need. */
export interface LeaseRecord {
  readonly resourceVersion: string;
  /** `` when nobody holds it (released). */
  readonly holder: string;
  /** As written on the Lease, or this candidate's own when the Lease has none. */
  readonly leaseDurationSeconds: number;
}

export function initialObservation(leaseDurationMs: number): LeaseObservation {
  return { resourceVersion: '', at: -Infinity, holder: '', leaseDurationMs };
}

/**
 * The observation after reading `lease` at `now`. The same resourceVersion keeps the time it was
 * first seen: a lease expires only after staying unchanged for its duration since then.
 */
export function observeLease(
  previous: LeaseObservation,
  lease: LeaseRecord,
  now: number,
): { readonly observation: LeaseObservation; readonly holderChanged: boolean } {
  if (lease.resourceVersion === previous.resourceVersion) return { observation: previous, holderChanged: false };
  return {
    observation: { resourceVersion: lease.resourceVersion, at: now, holder: lease.holder, leaseDurationMs: lease.leaseDurationSeconds * 1000 },
    holderChanged: lease.holder !== previous.holder,
  };
}

/** acquire: it is free or expired; renew: it is ours; wait: another holds it and has not let it lapse. */
export type LeaseAttempt = 'acquire' | 'renew' | 'wait';

export function decideAttempt(observation: LeaseObservation, identity: string, now: number): LeaseAttempt {
  if (observation.holder === identity) return 'renew';
  if (observation.holder === '' || now >= observation.at + observation.leaseDurationMs) return 'acquire';
  return 'wait';
}

export interface AttemptResult {
  /** Whether the write went through. */
  readonly succeeded: boolean;
  readonly leading: boolean;
  /** When the attempt began: a renewal proves leadership from then, not from when it answered. */
  readonly attemptStart: number;
  /** When the last successful renewal began. */
  readonly lastRenewStart: number;
  readonly now: number;
  readonly renewDeadlineMs: number;
}

/**
 * renewed: lead (or go on leading) until attemptStart + renewDeadline; lost: step down, the
 * deadline passed with no renewal; unchanged: nothing to do (a write that took longer than the
 * deadline proves nothing about now, and a failed one leaves a leader leading until its deadline).
 */
export type LeadershipChange = 'renewed' | 'lost' | 'unchanged';

export function decideLeadership(result: AttemptResult): LeadershipChange {
  if (result.succeeded) return result.attemptStart + result.renewDeadlineMs - result.now > 0 ? 'renewed' : 'unchanged';
  if (result.leading && result.now - result.lastRenewStart >= result.renewDeadlineMs) return 'lost';
  return 'unchanged';
}

/**
 * The spec this candidate writes over `previous`: itself as holder, stamped now; acquireTime and
 * the transition count change only when the holder does.
 */
export function nextLeaseSpec(
  previous: V1LeaseSpec,
  candidate: { readonly identity: string; readonly leaseDurationSeconds: number },
  stamp: V1MicroTime,
): V1LeaseSpec {
  const renewing = previous.holderIdentity === candidate.identity;
  return {
    holderIdentity: candidate.identity,
    leaseDurationSeconds: candidate.leaseDurationSeconds,
    // acquireTime read back is a plain string (client-node does not revive MicroTime): kept as is.
    acquireTime: renewing && previous.acquireTime !== undefined ? previous.acquireTime : stamp,
    renewTime: stamp,
    leaseTransitions: (previous.leaseTransitions ?? 0) + (renewing ? 0 : 1),
  };
}

/** The spec of a released Lease: nobody holds it, and it lapses a second after it is read. */
export function releasedLeaseSpec(previous: V1LeaseSpec, stamp: V1MicroTime): V1LeaseSpec {
  return { ...previous, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp };
}
