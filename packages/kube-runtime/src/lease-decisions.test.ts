import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { V1MicroTime } from '@kubernetes/client-node';
import {
  decideAttempt,
  decideLeadership,
  initialObservation,
  nextLeaseSpec,
  observeLease,
  releasedLeaseSpec,
  type AttemptResult,
  type LeaseAttempt,
  type LeadershipChange,
  type LeaseObservation,
} from './lease-decisions.ts';

const seen = (holder: string, at: number, leaseDurationMs = 15_000): LeaseObservation => ({ resourceVersion: '7', at, holder, leaseDurationMs });

describe('observeLease', () => {
  it('takes a first reading, noting the holder as new', () => {
    const { observation, holderChanged } = observeLease(initialObservation(15_000), { resourceVersion: '1', holder: 'a', leaseDurationSeconds: 10 }, 500);
    assert.deepEqual(observation, { resourceVersion: '1', at: 500, holder: 'a', leaseDurationMs: 10_000 });
    assert.equal(holderChanged, true);
  });
  it('keeps when it first saw an unchanged version: a lease expires from then, however often it is read', () => {
    const before = seen('a', 100);
    const after = observeLease(before, { resourceVersion: '7', holder: 'a', leaseDurationSeconds: 15 }, 9_000);
    assert.equal(after.observation, before);
    assert.equal(after.holderChanged, false);
  });
  it('starts the clock again on a renewal by the same holder, without calling it a new one', () => {
    const after = observeLease(seen('a', 100), { resourceVersion: '8', holder: 'a', leaseDurationSeconds: 15 }, 2_000);
    assert.equal(after.observation.at, 2_000);
    assert.equal(after.holderChanged, false);
  });
  it('notes a release as a change of holder to nobody', () => {
    const after = observeLease(seen('a', 100), { resourceVersion: '9', holder: '', leaseDurationSeconds: 1 }, 2_000);
    assert.deepEqual([after.observation.holder, after.observation.leaseDurationMs, after.holderChanged], ['', 1_000, true]);
  });
});

describe('decideAttempt', () => {
  const cases: { name: string; observation: LeaseObservation; now: number; expected: LeaseAttempt }[] = [
    { name: 'ours: renew', observation: seen('me', 0), now: 1_000, expected: 'renew' },
    { name: 'ours, even past its duration: renew', observation: seen('me', 0), now: 60_000, expected: 'renew' },
    { name: 'released: acquire at once', observation: seen('', 0), now: 1, expected: 'acquire' },
    { name: 'held by another and fresh: wait', observation: seen('other', 1_000), now: 15_999, expected: 'wait' },
    { name: 'held by another, unchanged for exactly its duration: acquire', observation: seen('other', 1_000), now: 16_000, expected: 'acquire' },
    { name: 'held by another, long unchanged: acquire', observation: seen('other', 1_000), now: 100_000, expected: 'acquire' },
    { name: 'the duration written on the Lease counts, not ours', observation: seen('other', 0, 3_000), now: 3_000, expected: 'acquire' },
    {
      name: 'never observed (a fresh candidate): an expired record',
      observation: { ...initialObservation(15_000), holder: 'other' },
      now: 0,
      expected: 'acquire',
    },
  ];
  for (const { name, observation, now, expected } of cases) it(name, () => assert.equal(decideAttempt(observation, 'me', now), expected));
});

describe('decideLeadership', () => {
  const base: AttemptResult = { succeeded: true, leading: false, attemptStart: 1_000, lastRenewStart: -Infinity, now: 1_200, renewDeadlineMs: 10_000 };
  const cases: { name: string; result: Partial<AttemptResult>; expected: LeadershipChange }[] = [
    { name: 'a quick write: leads', result: {}, expected: 'renewed' },
    { name: 'a quick renewal while leading: goes on leading', result: { leading: true, lastRenewStart: 0 }, expected: 'renewed' },
    { name: 'a write that answered after the deadline proves nothing', result: { now: 11_000 }, expected: 'unchanged' },
    {
      name: 'a renewal answered after the deadline: left to the step-down timer',
      result: { leading: true, lastRenewStart: 0, now: 11_000 },
      expected: 'unchanged',
    },
    { name: 'a failed attempt by a standby', result: { succeeded: false }, expected: 'unchanged' },
    {
      name: 'a failed renewal within the deadline: still leads',
      result: { succeeded: false, leading: true, lastRenewStart: 0, now: 9_999 },
      expected: 'unchanged',
    },
    { name: 'a failed renewal at the deadline: lost', result: { succeeded: false, leading: true, lastRenewStart: 0, now: 10_000 }, expected: 'lost' },
    { name: 'a failed renewal past the deadline: lost', result: { succeeded: false, leading: true, lastRenewStart: 0, now: 30_000 }, expected: 'lost' },
  ];
  for (const { name, result, expected } of cases) it(name, () => assert.equal(decideLeadership({ ...base, ...result }), expected));
});

describe('nextLeaseSpec and releasedLeaseSpec', () => {
  const stamp = new V1MicroTime('2026-01-01T00:00:00Z');
  const earlier = new V1MicroTime('2025-01-01T00:00:00Z');
  const me = { identity: 'me', leaseDurationSeconds: 15 };

  it('takes a Lease from another holder: a new acquireTime, one more transition', () => {
    assert.deepEqual(nextLeaseSpec({ holderIdentity: 'other', acquireTime: earlier, leaseTransitions: 3 }, me, stamp), {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: 4,
    });
  });
  it('renews its own: keeps acquireTime and the transition count', () => {
    const spec = nextLeaseSpec({ holderIdentity: 'me', acquireTime: earlier, leaseTransitions: 4 }, me, stamp);
    assert.deepEqual([spec.acquireTime, spec.renewTime, spec.leaseTransitions], [earlier, stamp, 4]);
  });
  it('takes an empty spec as a first transition', () => {
    assert.equal(nextLeaseSpec({}, me, stamp).leaseTransitions, 1);
  });
  it('releases: nobody holds it, and it lapses in a second', () => {
    const released = releasedLeaseSpec({ holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: earlier, leaseTransitions: 4 }, stamp);
    assert.deepEqual(released, { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, leaseTransitions: 4 });
  });
});
