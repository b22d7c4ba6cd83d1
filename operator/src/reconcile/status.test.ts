import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Condition, HearthStatus } from '../api/index.ts';
import type { WorkloadRef } from '../tiers/index.ts';
import { pathOf } from './kinds.ts';
import { startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';
import { observeWorkloads, statusMergePatch } from './status.ts';

const ready: Condition = { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };
const paused: Condition = { type: 'Paused', status: 'True', reason: 'SpecPaused', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' };

describe('statusMergePatch', () => {
  const full: HearthStatus = { phase: 'Ready', tier: 'single', version: '0.1.0', url: 'http://a', observedGeneration: 2, conditions: [ready, paused] };
  const withoutUrl: HearthStatus = { phase: 'Ready', tier: 'single', version: '0.1.0', observedGeneration: 2, conditions: [ready] };
  const cases: { name: string; current: HearthStatus | undefined; next: HearthStatus; want: Record<string, unknown> }[] = [
    { name: 'no status yet: all of it', current: undefined, next: withoutUrl, want: { ...withoutUrl } },
    { name: 'the same keys: all of them, nothing cleared', current: full, next: { ...full, phase: 'Degraded' }, want: { ...full, phase: 'Degraded' } },
    // A merge patch would otherwise leave the old url in place.
    { name: 'a field gone: cleared with null', current: full, next: withoutUrl, want: { ...withoutUrl, url: null } },
    { name: 'a condition gone: the list is replaced whole', current: full, next: { ...full, conditions: [ready] }, want: { ...full, conditions: [ready] } },
    {
      name: 'everything gone',
      current: full,
      next: {},
      want: { phase: null, tier: null, version: null, url: null, observedGeneration: null, conditions: null },
    },
  ];
  for (const { name, current, next, want } of cases) it(name, () => assert.deepEqual(statusMergePatch(current, next), want));

  it('applied as RFC 7386 says, it leaves exactly `next`', () => {
    const apply = (target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> => {
      const out = { ...target };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete out[key];
        else out[key] = value;
      }
      return out;
    };
    for (const { current, next } of cases) assert.deepEqual(apply({ ...current }, statusMergePatch(current, next)), { ...next });
  });

  it('merges nested objects key by key, clearing what went', () => {
    const current = { phase: 'Ready', extra: { a: 1, b: 2 } } as unknown as HearthStatus;
    const next = { phase: 'Ready', extra: { a: 1 } } as unknown as HearthStatus;
    assert.deepEqual(statusMergePatch(current, next), { phase: 'Ready', extra: { a: 1, b: null } });
  });
});

describe('observeWorkloads on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('observe-workloads');
  });
  after(async () => {
    await bed.stop();
  });

  const selector = { app: 'observed' };
  const statefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'observed' },
    spec: {
      replicas: 1,
      serviceName: 'observed',
      selector: { matchLabels: selector },
      template: { metadata: { labels: selector }, spec: { containers: [{ name: 'c', image: 'registry.invalid/none:1' }] } },
    },
  };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'observed-0', labels: selector },
    spec: { containers: [{ name: 'c', image: 'registry.invalid/none:1' }] },
  };
  const refs: WorkloadRef[] = [{ kind: 'StatefulSet', name: 'observed', tier: 'single' }];
  const gets = (): number => bed.client.requests()['GET'] ?? 0;

  it('lists no pods for a workload its controller has not seen yet, and names them once it has and they are not ready', async () => {
    const hearth = await bed.createHearth('observed', 'single.yaml');
    await bed.createLabelled('StatefulSet', hearth, statefulSet);
    await bed.createLabelled('Pod', hearth, pod, false);
    const ctx = bed.context();

    const before = gets();
    const fresh = await observeWorkloads(ctx, hearth, refs);
    assert.equal(fresh.statefulSets.length, 1);
    assert.deepEqual(fresh.pods, [], 'a workload with no status yet: its pods would name nothing (its state is rolling out)');
    assert.equal(gets() - before, 2, 'the StatefulSets and Deployments listed, not the pods');

    await bed.client.mergePatch(pathOf('StatefulSet', bed.namespace, 'observed', 'status'), {
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 0 },
    });
    const seen = gets();
    const short = await observeWorkloads(ctx, hearth, refs);
    assert.deepEqual(
      short.pods?.map((p) => [p.name, p.ready]),
      [['observed-0', false]],
    );
    assert.equal(gets() - seen, 3, 'and now the pods too');
  });
});
