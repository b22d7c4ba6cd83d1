import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Condition, Hearth, HearthStatus } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import type { WorkloadRef } from './desired-object.ts';
import { desiredObjects, type DesiredTier } from './desired-objects.ts';
import {
  conditionTime,
  deriveStatus,
  isStatusEqual,
  pausedMessage,
  pausedStatus,
  workloadState,
  type ObservedWorkloads,
  type WorkloadState,
} from './status.ts';
import { hearthFixture } from './testing.ts';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-01-02T15:04:05Z';

function desiredOf(hearth: Hearth): DesiredTier {
  const result = desiredObjects(hearth, defaultTierContext);
  if (!result.ok) throw new Error(result.error.message);
  return result;
}

/** The desired workloads as the API server would hold them once their controllers are done. */
function readyWorkloads(desired: DesiredTier, only?: (name: string) => boolean): ObservedWorkloads {
  const statefulSets: V1StatefulSet[] = [];
  const deployments: V1Deployment[] = [];
  for (const object of desired.objects) {
    if (only !== undefined && !only(object.metadata.name)) continue;
    const metadata = { ...object.metadata, generation: 1 };
    const replicas = object.kind === 'StatefulSet' || object.kind === 'Deployment' ? (object.spec?.replicas ?? 1) : 0;
    if (object.kind === 'StatefulSet') {
      statefulSets.push({
        ...object,
        metadata,
        status: { observedGeneration: 1, replicas, readyReplicas: replicas, currentRevision: 'r1', updateRevision: 'r1' },
      });
    }
    if (object.kind === 'Deployment') {
      deployments.push({
        ...object,
        metadata,
        status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas },
      });
    }
  }
  return { statefulSets, deployments };
}

function patch(workloads: ObservedWorkloads, name: string, change: (workload: V1Deployment | V1StatefulSet) => void): ObservedWorkloads {
  const copy = structuredClone(workloads) as { statefulSets: V1StatefulSet[]; deployments: V1Deployment[] };
  for (const workload of [...copy.statefulSets, ...copy.deployments]) if (workload.metadata?.name === name) change(workload);
  return copy;
}

const summary = (status: HearthStatus) => ({
  phase: status.phase,
  tier: status.tier,
  version: status.version,
  conditions: Object.fromEntries((status.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}${c.message === '' ? '' : `: ${c.message}`}`])),
});

const readyStatus = (version: string, tier: 'embedded' | 'single'): HearthStatus => ({ phase: 'Ready', tier, version, observedGeneration: 1 });

describe('deriveStatus', () => {
  const embedded = hearthFixture({ ingress: { host: 'chat.acme.example' } });
  const single = hearthFixture({ tier: 'single', services: { gateway: { replicas: 2 } } });
  const singleRan = hearthFixture({ tier: 'single', services: { gateway: { replicas: 2 } } }, {}, readyStatus('0.1.0', 'single'));
  const upgraded = hearthFixture(
    { tier: 'single', version: '0.2.0', services: { gateway: { replicas: 2 } } },
    { generation: 2 },
    readyStatus('0.1.0', 'single'),
  );
  const migrating = hearthFixture({ tier: 'single' }, { generation: 2 }, readyStatus('0.1.0', 'embedded'));

  const cases: { name: string; hearth: Hearth; workloads: (desired: DesiredTier) => ObservedWorkloads; want: ReturnType<typeof summary> }[] = [
    {
      name: 'embedded, nothing created yet',
      hearth: embedded,
      workloads: () => ({ statefulSets: [], deployments: [] }),
      want: {
        phase: 'Pending',
        tier: 'embedded',
        version: undefined,
        conditions: {
          Ready: 'False Creating: StatefulSet acme: not created yet',
          Progressing: 'True RollingOut: StatefulSet acme: not created yet',
          Degraded: 'False AsExpected',
        },
      },
    },
    {
      name: 'embedded, its pod not ready yet',
      hearth: embedded,
      workloads: (desired) => patch(readyWorkloads(desired), 'acme', (set) => Object.assign(set.status ?? {}, { readyReplicas: 0 })),
      want: {
        phase: 'Provisioning',
        tier: 'embedded',
        version: undefined,
        conditions: {
          Ready: 'False ComponentsNotReady: StatefulSet acme: 0 of 1 pods ready',
          Progressing: 'False RolloutComplete',
          Degraded: 'False AsExpected',
        },
      },
    },
    {
      name: 'embedded, ready',
      hearth: embedded,
      workloads: (desired) => readyWorkloads(desired),
      want: {
        phase: 'Ready',
        tier: 'embedded',
        version: '0.1.0',
        conditions: { Ready: 'True AllComponentsReady', Progressing: 'False RolloutComplete', Degraded: 'False AsExpected' },
      },
    },
    {
      name: 'single, ready',
      hearth: single,
      workloads: (desired) => readyWorkloads(desired),
      want: {
        phase: 'Ready',
        tier: 'single',
        version: '0.1.0',
        conditions: { Ready: 'True AllComponentsReady', Progressing: 'False RolloutComplete', Degraded: 'False AsExpected' },
      },
    },
    {
      name: 'single, a spec the StatefulSet controller has not seen yet',
      hearth: single,
      workloads: (desired) => patch(readyWorkloads(desired), 'acme-postgres', (set) => Object.assign(set.metadata ?? {}, { generation: 2 })),
      want: {
        phase: 'Provisioning',
        tier: 'single',
        version: undefined,
        conditions: {
          Ready: 'False ComponentsNotReady: StatefulSet acme-postgres: the new spec is not observed yet',
          Progressing: 'True RollingOut: StatefulSet acme-postgres: the new spec is not observed yet',
          Degraded: 'False AsExpected',
        },
      },
    },
    {
      name: 'single, it ran before and a gateway pod is gone',
      hearth: singleRan,
      workloads: (desired) => patch(readyWorkloads(desired), 'acme-gateway', (d) => Object.assign(d.status ?? {}, { availableReplicas: 1 })),
      want: {
        phase: 'Degraded',
        tier: 'single',
        version: '0.1.0',
        conditions: {
          Ready: 'False ComponentsNotReady: Deployment acme-gateway: 1 of 2 pods available',
          Progressing: 'False RolloutComplete',
          Degraded: 'True ComponentsNotReady: Deployment acme-gateway: 1 of 2 pods available',
        },
      },
    },
    {
      name: 'single, a new version applied and rolling out: the old version still serves',
      hearth: upgraded,
      workloads: (desired) =>
        patch(readyWorkloads(desired), 'acme-gateway', (d) => {
          Object.assign(d.metadata ?? {}, { generation: 2 });
          d.status = { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 };
        }),
      want: {
        phase: 'Upgrading',
        tier: 'single',
        version: '0.1.0',
        conditions: {
          Ready: 'False RollingOut: Deployment acme-gateway: 1 of 2 pods updated',
          Progressing: 'True RollingOut: Deployment acme-gateway: 1 of 2 pods updated',
          Degraded: 'False AsExpected',
        },
      },
    },
    {
      name: 'single, a new version not applied yet',
      hearth: upgraded,
      workloads: (desired) =>
        patch(readyWorkloads(desired), 'acme-messaging', (d) => {
          const container = d.spec?.template.spec?.containers[0];
          if (container !== undefined) container.image = 'ghcr.io/hearth/hearth:0.1.0';
        }),
      want: {
        phase: 'Upgrading',
        tier: 'single',
        version: '0.1.0',
        conditions: {
          Ready: 'False RollingOut: Deployment acme-messaging: runs ghcr.io/hearth/hearth:0.1.0, not ghcr.io/hearth/hearth:0.2.0',
          Progressing: 'True RollingOut: Deployment acme-messaging: runs ghcr.io/hearth/hearth:0.1.0, not ghcr.io/hearth/hearth:0.2.0',
          Degraded: 'False AsExpected',
        },
      },
    },
    {
      name: 'embedded to single before the switch: the embedded tier keeps serving, the single tier’s backends come up beside it',
      hearth: migrating,
      workloads: (desired) => readyWorkloads(desired, (name) => name === 'acme'),
      want: {
        phase: 'Migrating',
        tier: 'embedded',
        version: '0.1.0',
        conditions: {
          Ready: 'True AllComponentsReady',
          Progressing:
            'True RollingOut: StatefulSet acme-postgres: not created yet; StatefulSet acme-nats: not created yet; StatefulSet acme-redis: not created yet',
          Degraded: 'False AsExpected',
        },
      },
    },
  ];

  for (const { name, hearth, workloads, want } of cases) {
    it(name, () => {
      const desired = desiredOf(hearth);
      const status = deriveStatus(hearth, { desired, workloads: workloads(desired), now: NOW });
      assert.deepEqual(summary(status), want);
      assert.equal(status.observedGeneration, hearth.metadata.generation);
      for (const condition of status.conditions ?? []) assert.equal(condition.observedGeneration, hearth.metadata.generation);
    });
  }

  it('status.newestVersion: the newest release served, kept through a tag that is none and past an older one', () => {
    const cases: { name: string; version: string; status: HearthStatus; want: [string | undefined, string | undefined] }[] = [
      { name: 'first served', version: '0.1.0', status: {}, want: ['0.1.0', '0.1.0'] },
      { name: 'an upgrade served', version: '0.3.0', status: { version: '0.2.0', newestVersion: '0.2.0' }, want: ['0.3.0', '0.3.0'] },
      { name: 'a tag that is none', version: 'nightly', status: { version: '0.3.0', newestVersion: '0.3.0' }, want: ['nightly', '0.3.0'] },
      { name: 'written by an earlier release, without it', version: '0.2.0', status: { version: '0.2.0' }, want: ['0.2.0', '0.2.0'] },
    ];
    for (const { name, version, status: previous, want } of cases) {
      const hearth = hearthFixture({ version }, { generation: 1 }, previous);
      const desired = desiredObjects(hearth, defaultTierContext);
      assert.ok(desired.ok, name);
      const status = deriveStatus(hearth, { desired, workloads: readyWorkloads(desired), now: NOW });
      assert.deepEqual([status.version, status.newestVersion], want, name);
    }
  });

  it('a clustered Hearth with no PostgreSQL to run on: Pending, Ready=False saying what to install or set', () => {
    const hearth = hearthFixture({ tier: 'clustered' }, { generation: 4 });
    const status = deriveStatus(hearth, { desired: desiredObjects(hearth, defaultTierContext), workloads: { statefulSets: [], deployments: [] }, now: NOW });
    assert.equal(status.phase, 'Pending');
    assert.deepEqual(
      status.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`),
      ['Ready=False DatabaseNotAvailable', 'Progressing=False DatabaseNotAvailable', 'Degraded=True DatabaseNotAvailable'],
    );
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    assert.match(ready?.message ?? '', /install CloudNativePG .*or set spec\.database\.external\.secretRef/);
  });

  it('a clustered Hearth: Ready only once CloudNativePG says every PostgreSQL instance is', () => {
    const hearth = hearthFixture({ tier: 'clustered', database: { instances: 3 } }, { generation: 1 });
    const desired = desiredObjects(hearth, { ...defaultTierContext, cloudNativePG: true });
    assert.ok(desired.ok);
    const ready = readyWorkloads(desired);
    const cluster = (readyInstances: number) => ({
      metadata: { name: 'acme-postgres' },
      spec: { instances: 3 },
      status: { readyInstances, phase: 'Creating replica' },
    });
    const waiting = deriveStatus(hearth, { desired, workloads: { ...ready, postgresClusters: [cluster(2)] }, now: NOW });
    assert.equal(waiting.phase, 'Provisioning');
    assert.match(
      waiting.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
      /Cluster acme-postgres: 2 of 3 PostgreSQL instances ready \(Creating replica\)/,
    );
    assert.equal(deriveStatus(hearth, { desired, workloads: { ...ready, postgresClusters: [cluster(3)] }, now: NOW }).phase, 'Ready');
    assert.equal(deriveStatus(hearth, { desired, workloads: ready, now: NOW }).phase, 'Provisioning', 'no Cluster yet');
  });

  it('a migration that failed: the old tier serves, and MigrationFailed says why and how to retry', () => {
    const migration = {
      from: 'single' as const,
      to: 'clustered' as const,
      stage: 'Failed' as const,
      startedAt: NOW,
      reason: 'CopyFailed',
      message: 'disk full; retry',
    };
    const hearth = hearthFixture({ tier: 'clustered' }, { generation: 4 }, { ...readyStatus('0.1.0', 'single'), url: 'http://x.example', migration });
    const desired = desiredObjects(hearth, defaultTierContext);
    assert.ok(desired.ok);
    const status = deriveStatus(hearth, { desired, workloads: { statefulSets: [], deployments: [] }, now: NOW });
    assert.equal(status.phase, 'Migrating');
    assert.deepEqual([status.tier, status.url, status.observedGeneration], ['single', 'http://acme-gateway.chat.svc', 4]);
    const failed = status.conditions?.find((c) => c.type === 'MigrationFailed');
    assert.deepEqual([failed?.status, failed?.reason, failed?.message], ['True', 'CopyFailed', 'disk full; retry']);
    assert.deepEqual(status.migration, migration, 'kept as it was when the migration step decided nothing');
    const retried = deriveStatus(hearth, {
      desired,
      workloads: { statefulSets: [], deployments: [] },
      now: NOW,
      migration: { ...migration, stage: 'Copying' },
    });
    assert.equal(
      retried.conditions?.find((c) => c.type === 'MigrationFailed'),
      undefined,
      'gone once it runs again',
    );
    assert.equal(retried.migration?.stage, 'Copying');
  });

  it('isStatusEqual sees a change of the migration, in whatever order its fields come', () => {
    const migration = { from: 'embedded' as const, to: 'single' as const, stage: 'Copying' as const, startedAt: NOW, copied: 10, total: 20 };
    const reordered = { total: 20, copied: 10, startedAt: NOW, stage: 'Copying' as const, to: 'single' as const, from: 'embedded' as const };
    assert.ok(isStatusEqual({ migration }, { migration: reordered }));
    assert.ok(!isStatusEqual({ migration }, { migration: { ...migration, copied: 11 } }));
    assert.ok(!isStatusEqual({}, { migration }));
  });

  it('a reconcile problem: Degraded (or Failed for a refused spec) with its reason, the workload conditions kept', () => {
    const hearth = hearthFixture({}, { generation: 2 }, readyStatus('0.1.0', 'embedded'));
    const desired = desiredObjects(hearth, defaultTierContext);
    const cases = [
      { problem: { code: 'CredentialsMissing' as const, message: 'Secret x is missing' }, phase: 'Degraded' },
      { problem: { code: 'InvalidResource' as const, message: 'the API server refused Service acme' }, phase: 'Failed' },
      { problem: { code: 'ReconcileError' as const, message: 'HTTP 503' }, phase: 'Degraded' },
    ];
    for (const { problem, phase } of cases) {
      const status = deriveStatus(hearth, { desired, workloads: { statefulSets: [], deployments: [] }, now: NOW, problem });
      assert.equal(status.phase, phase, problem.code);
      const degraded = status.conditions?.find((c) => c.type === 'Degraded');
      assert.deepEqual([degraded?.status, degraded?.reason, degraded?.message], ['True', problem.code, problem.message]);
      assert.ok(
        status.conditions?.some((c) => c.type === 'Ready'),
        'Ready stays derived from the workloads',
      );
    }
  });

  it('a storage change the volumes cannot take: a StorageUnchanged condition, only then', () => {
    const hearth = hearthFixture({}, {}, readyStatus('0.1.0', 'embedded'));
    const desired = desiredObjects(hearth, defaultTierContext);
    const none = deriveStatus(hearth, { desired, workloads: { statefulSets: [], deployments: [] }, now: NOW });
    assert.equal(
      none.conditions?.some((c) => c.type === 'StorageUnchanged'),
      false,
    );
    const storage = { reason: 'CannotShrink', message: 'PersistentVolumeClaim data-acme-0 stays at 10Gi' };
    const refused = deriveStatus(hearth, { desired, workloads: { statefulSets: [], deployments: [] }, now: NOW, storage });
    const condition = refused.conditions?.find((c) => c.type === 'StorageUnchanged');
    assert.deepEqual([condition?.status, condition?.reason, condition?.message], ['True', storage.reason, storage.message]);
  });

  it('moves a condition’s transition time only when its status changes', () => {
    const previous: Condition[] = [
      { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: '', lastTransitionTime: T0, observedGeneration: 1 },
      { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '', lastTransitionTime: T0, observedGeneration: 1 },
    ];
    const hearth = hearthFixture({}, {}, { ...readyStatus('0.1.0', 'embedded'), conditions: previous });
    const desired = desiredOf(hearth);
    const cases = [
      { name: 'still ready', workloads: readyWorkloads(desired), want: { Ready: T0, Progressing: NOW, Degraded: T0 } },
      {
        name: 'no longer ready',
        workloads: patch(readyWorkloads(desired), 'acme', (set) => Object.assign(set.status ?? {}, { readyReplicas: 0 })),
        want: { Ready: NOW, Progressing: NOW, Degraded: NOW },
      },
    ];
    for (const { name, workloads, want } of cases) {
      const status = deriveStatus(hearth, { desired, workloads, now: NOW });
      assert.deepEqual(Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.lastTransitionTime])), want, name);
    }
  });

  it('derives the same status twice: an unchanged Hearth is not written', () => {
    const desired = desiredOf(singleRan);
    const first = deriveStatus(singleRan, { desired, workloads: readyWorkloads(desired), now: T0 });
    const again = hearthFixture(singleRan.spec, {}, first);
    assert.ok(isStatusEqual(first, deriveStatus(again, { desired: desiredOf(again), workloads: readyWorkloads(desired), now: NOW })));
  });
});

describe('pausedStatus', () => {
  const readyCondition: Condition = { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: '', lastTransitionTime: T0, observedGeneration: 1 };
  const pausedAt = (time: string, generation: number): Condition => ({
    type: 'Paused',
    status: 'True',
    reason: 'SpecPaused',
    message: pausedMessage,
    lastTransitionTime: time,
    observedGeneration: generation,
  });
  const ran: HearthStatus = { ...readyStatus('0.1.0', 'single'), url: 'http://a', conditions: [readyCondition] };
  const cases: { name: string; hearth: Hearth; want: HearthStatus }[] = [
    { name: 'never reconciled: only the condition', hearth: hearthFixture({ paused: true }), want: { conditions: [pausedAt(NOW, 1)] } },
    {
      // observedGeneration stays at 1: generation 2 (the pause itself) is not acted on.
      name: 'ready before: all of it kept, the condition added for the current generation',
      hearth: hearthFixture({ paused: true }, { generation: 2 }, ran),
      want: { ...ran, conditions: [readyCondition, pausedAt(NOW, 2)] },
    },
    {
      name: 'already paused: its transition time kept',
      hearth: hearthFixture({ paused: true }, { generation: 2 }, { ...ran, conditions: [readyCondition, pausedAt(T0, 2)] }),
      want: { ...ran, conditions: [readyCondition, pausedAt(T0, 2)] },
    },
  ];
  for (const { name, hearth, want } of cases) it(name, () => assert.deepEqual(pausedStatus(hearth, NOW), want));

  it('is written once: paused again, nothing changes', () => {
    const hearth = hearthFixture({ paused: true }, { generation: 2 }, ran);
    const first = pausedStatus(hearth, T0);
    assert.ok(isStatusEqual(first, pausedStatus(hearthFixture({ paused: true }, { generation: 2 }, first), NOW)));
  });

  it('goes once reconciling resumes', () => {
    const hearth = hearthFixture({}, { generation: 3 }, pausedStatus(hearthFixture({ paused: true }, { generation: 2 }, ran), T0));
    const desired = desiredOf(hearth);
    const status = deriveStatus(hearth, { desired, workloads: readyWorkloads(desired), now: NOW });
    assert.deepEqual(
      status.conditions?.map((c) => c.type),
      ['Ready', 'Progressing', 'Degraded'],
    );
  });
});

describe('workloadState', () => {
  const deployment = (status: V1Deployment['status'], replicas = 2, generation = 3): V1Deployment => ({
    metadata: { name: 'acme-gateway', generation },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ name: 'hearth', image: 'hearth:1' }] } } },
    status: { observedGeneration: 3, ...status },
  });
  const statefulSet = (status: Partial<NonNullable<V1StatefulSet['status']>>): V1StatefulSet => ({
    metadata: { name: 'acme-postgres', generation: 1 },
    spec: { replicas: 1, selector: {}, template: { spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] } } },
    status: { observedGeneration: 1, replicas: 1, ...status },
  });
  const gateway: WorkloadRef = { kind: 'Deployment', name: 'acme-gateway', tier: 'single' };
  const postgres: WorkloadRef = { kind: 'StatefulSet', name: 'acme-postgres', tier: 'single' };
  const cases: { name: string; ref: WorkloadRef; live: ObservedWorkloads; want: WorkloadState }[] = [
    { name: 'absent', ref: gateway, live: { statefulSets: [], deployments: [] }, want: { state: 'missing' } },
    {
      name: 'deployment done',
      ref: gateway,
      live: { statefulSets: [], deployments: [deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 })] },
      want: { state: 'ready' },
    },
    {
      name: 'deployment spec not observed',
      ref: gateway,
      live: { statefulSets: [], deployments: [deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })] },
      want: { state: 'rollingOut', detail: 'the new spec is not observed yet' },
    },
    {
      name: 'deployment with old pods left',
      ref: gateway,
      live: { statefulSets: [], deployments: [deployment({ replicas: 3, updatedReplicas: 2, availableReplicas: 3 })] },
      want: { state: 'rollingOut', detail: '1 old pods still running' },
    },
    {
      name: 'deployment short of available pods',
      ref: gateway,
      live: { statefulSets: [], deployments: [deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 0 })] },
      want: { state: 'unavailable', detail: '0 of 2 pods available' },
    },
    { name: 'statefulset ready', ref: postgres, live: { statefulSets: [statefulSet({ readyReplicas: 1 })], deployments: [] }, want: { state: 'ready' } },
    {
      name: 'statefulset between revisions',
      ref: postgres,
      live: { statefulSets: [statefulSet({ readyReplicas: 0, currentRevision: 'a', updateRevision: 'b' })], deployments: [] },
      want: { state: 'rollingOut', detail: '0 of 1 pods updated' },
    },
    {
      name: 'statefulset with no ready pod',
      ref: postgres,
      live: { statefulSets: [statefulSet({ readyReplicas: 0 })], deployments: [] },
      want: { state: 'unavailable', detail: '0 of 1 pods ready' },
    },
    {
      name: 'statefulset with no ready pod, its pods read: the unready one of its own named',
      ref: postgres,
      live: {
        statefulSets: [{ ...statefulSet({ readyReplicas: 0 }), spec: { ...statefulSet({}).spec!, selector: { matchLabels: { component: 'postgres' } } } }],
        deployments: [],
        pods: [
          { name: 'acme-postgres-0', labels: { component: 'postgres' }, ready: false },
          { name: 'acme-gateway-5d8f-x2x', labels: { component: 'gateway' }, ready: false },
          { name: 'acme-postgres-1', labels: { component: 'postgres' }, ready: true },
        ],
      },
      want: { state: 'unavailable', detail: '0 of 1 pods ready (not ready: acme-postgres-0)' },
    },
  ];
  for (const { name, ref, live, want } of cases) {
    it(name, () => assert.deepEqual(workloadState(ref, live, 'hearth:1'), want));
  }

  it('a Hearth pod on another image is still rolling out', () => {
    const live = { statefulSets: [], deployments: [deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 })] };
    assert.deepEqual(workloadState(gateway, live, 'hearth:2'), { state: 'rollingOut', detail: 'runs hearth:1, not hearth:2' });
  });
});

describe('isStatusEqual', () => {
  const ready: Condition = { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: '', lastTransitionTime: T0, observedGeneration: 1 };
  const progressing: Condition = {
    type: 'Progressing',
    status: 'False',
    reason: 'RolloutComplete',
    message: '',
    lastTransitionTime: T0,
    observedGeneration: 1,
  };
  const base: HearthStatus = { phase: 'Ready', tier: 'embedded', version: '0.1.0', url: 'http://a', observedGeneration: 1, conditions: [ready, progressing] };
  const withoutUrl: HearthStatus = { ...base };
  delete withoutUrl.url;
  const cases: { name: string; a: HearthStatus | undefined; b: HearthStatus | undefined; want: boolean }[] = [
    { name: 'identical', a: base, b: structuredClone(base), want: true },
    { name: 'conditions in another order', a: base, b: { ...base, conditions: [progressing, ready] }, want: true },
    { name: 'no status and an empty one', a: undefined, b: {}, want: true },
    { name: 'another phase', a: base, b: { ...base, phase: 'Degraded' }, want: false },
    { name: 'another generation', a: base, b: { ...base, observedGeneration: 2 }, want: false },
    { name: 'a condition message', a: base, b: { ...base, conditions: [{ ...ready, message: 'x' }, progressing] }, want: false },
    { name: 'a transition time', a: base, b: { ...base, conditions: [{ ...ready, lastTransitionTime: NOW }, progressing] }, want: false },
    { name: 'a condition fewer', a: base, b: { ...base, conditions: [ready] }, want: false },
    { name: 'the url gone', a: base, b: withoutUrl, want: false },
  ];
  for (const { name, a, b, want } of cases) it(name, () => assert.equal(isStatusEqual(a, b), want));
});

describe('conditionTime', () => {
  it('writes RFC 3339 to the second', () => assert.equal(conditionTime(new Date('2026-01-02T15:04:05.678Z')), '2026-01-02T15:04:05Z'));
});
