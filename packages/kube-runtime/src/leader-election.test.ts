import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createServer, type Socket } from 'node:net';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createLeaderElector, leaderElectionTiming, type LeaderElector, type LeaderElectorOptions } from './leader-election.ts';
import { eventually, kubeConfigOf, startTcpProxy } from './testing.ts';

const timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

/** Samples every few milliseconds that no two electors lead at the same instant. */
function watchForOverlap(electors: LeaderElector[]): { stop(): number; samples(): number } {
  let overlaps = 0;
  let samples = 0;
  const timer = setInterval(() => {
    samples += 1;
    if (electors.filter((elector) => elector.isLeader()).length > 1) overlaps += 1;
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return overlaps;
    },
    samples: () => samples,
  };
}

describe('leader election on a Lease of a real kube-apiserver', () => {
  let kube: ControlPlane;
  let leases: CoordinationV1Api;
  const running: LeaderElector[] = [];

  before(async () => {
    kube = await startControlPlane();
    leases = kubeConfigOf(kube).makeApiClient(CoordinationV1Api);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((elector) => elector.stop({ release: false })));
  });
  after(async () => {
    await kube.stop();
  });

  const elector = (lease: string, identity: string, extra: Partial<LeaderElectorOptions> = {}): LeaderElector & { transitions: string[] } => {
    const transitions: string[] = [];
    const created = createLeaderElector({
      kubeConfig: kubeConfigOf(kube),
      namespace: 'default',
      name: lease,
      identity,
      ...timing,
      onStartedLeading: () => transitions.push('started'),
      onStoppedLeading: () => transitions.push('stopped'),
      ...extra,
    });
    running.push(created);
    return Object.assign(created, { transitions });
  };
  const holderOf = async (lease: string): Promise<{ holder: string; transitions: number }> => {
    const read = await leases.readNamespacedLease({ name: lease, namespace: 'default' });
    return { holder: read.spec?.holderIdentity ?? '', transitions: read.spec?.leaseTransitions ?? 0 };
  };

  it('lets exactly one of two candidates lead, and keeps it leading', async () => {
    const a = elector('one-of-two', 'a');
    const b = elector('one-of-two', 'b');
    const overlap = watchForOverlap([a, b]);
    a.start();
    b.start();
    await eventually('a leader', () => a.isLeader() || b.isLeader(), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // several renewals
    const leader = a.isLeader() ? a : b;
    const follower = leader === a ? b : a;
    assert.equal(leader.isLeader(), true);
    assert.equal(follower.isLeader(), false);
    assert.deepEqual(leader.transitions, ['started'], 'led without interruption');
    assert.deepEqual(follower.transitions, []);
    assert.equal(follower.state(), 'standby');
    assert.equal(follower.leader(), leader.identity);
    assert.equal((await holderOf('one-of-two')).holder, leader.identity);
    assert.equal(overlap.stop(), 0);
    assert.ok(overlap.samples() > 500);
  });

  it('hands over within the lease duration when the leader dies without releasing', async () => {
    const a = elector('killed', 'a');
    a.start();
    await eventually('a leads', () => a.isLeader(), 5_000);
    const b = elector('killed', 'b');
    b.start();
    const overlap = watchForOverlap([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // b has seen a's lease
    const before = await holderOf('killed');
    const killedAt = performance.now();
    await a.stop({ release: false }); // as if the process died: no release
    await eventually('b takes over', () => b.isLeader(), timing.leaseDurationMs + 3_000, 5);
    const tookMs = performance.now() - killedAt;
    assert.ok(tookMs <= timing.leaseDurationMs + timing.retryPeriodMs * 1.2 + 300, `took over after ${Math.round(tookMs)} ms`);
    assert.ok(tookMs >= timing.leaseDurationMs - 2 * timing.retryPeriodMs, `waited for the lease to expire (${Math.round(tookMs)} ms)`);
    const afterwards = await holderOf('killed');
    assert.equal(afterwards.holder, 'b');
    assert.equal(afterwards.transitions, before.transitions + 1);
    assert.equal(overlap.stop(), 0);
  });

  it('hands over at once on a graceful release', async () => {
    const a = elector('released', 'a');
    a.start();
    await eventually('a leads', () => a.isLeader(), 5_000);
    const b = elector('released', 'b');
    b.start();
    const overlap = watchForOverlap([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const releasedAt = performance.now();
    await a.stop();
    assert.deepEqual(a.transitions, ['started', 'stopped']);
    await eventually('b takes over', () => b.isLeader(), timing.leaseDurationMs, 5);
    const tookMs = performance.now() - releasedAt;
    assert.ok(tookMs < timing.retryPeriodMs * 1.2 + 500, `took over after ${Math.round(tookMs)} ms, far less than the lease duration`);
    assert.equal((await holderOf('released')).holder, 'b');
    assert.equal(overlap.stop(), 0);
  });

  it('steps down when it cannot renew past the deadline, before the other takes over', async () => {
    const proxy = await startTcpProxy(Number(new URL(kube.url).port));
    try {
      const a = elector('partitioned', 'a', { kubeConfig: kubeConfigOf(kube, `https://127.0.0.1:${proxy.port}`), requestTimeoutMs: 500 });
      a.start();
      await eventually('a leads', () => a.isLeader(), 5_000);
      const b = elector('partitioned', 'b');
      b.start();
      const overlap = watchForOverlap([a, b]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const cutAt = performance.now();
      proxy.cut();
      await eventually('a steps down', () => a.transitions.includes('stopped'), 5_000, 5);
      const steppedDownMs = performance.now() - cutAt;
      assert.ok(steppedDownMs <= timing.renewDeadlineMs + 100, `stepped down after ${Math.round(steppedDownMs)} ms`);
      assert.equal(a.isLeader(), false);
      await eventually('b takes over', () => b.isLeader(), 5_000, 5);
      assert.ok(performance.now() - cutAt > steppedDownMs);
      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // a is back, and stays a follower
      assert.equal(a.isLeader(), false);
      assert.equal(a.leader(), 'b');
      assert.equal(overlap.stop(), 0);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a request that hangs, instead of waiting on it forever', async () => {
    // A server that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'silent', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u', token: 't' });
    const errors: unknown[] = [];
    const hung = elector('silent', 'h', { kubeConfig, requestTimeoutMs: 200, log: (event) => event.type === 'error' && errors.push(event.error) });
    try {
      hung.start();
      await eventually('two timed-out attempts', () => errors.length >= 2, 3_000, 10);
      assert.equal(hung.isLeader(), false);
      const stopping = performance.now();
      await hung.stop();
      assert.ok(performance.now() - stopping < 1_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses timings that could let two lead at once', () => {
    assert.throws(
      () => leaderElectionTiming({ leaseDurationMs: 5_000, renewDeadlineMs: 5_000 }),
      /leaseDurationMs \(5000\) must exceed renewDeadlineMs \(5000\)/,
    );
    assert.throws(() => leaderElectionTiming({ renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadlineMs/);
    assert.deepEqual(leaderElectionTiming({}), { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, requestTimeoutMs: 5_000 });
  });
});
