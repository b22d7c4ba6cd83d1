import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { halfRolledOutStatus, isRolledOut, rolledOutStatus, type Item, type WorkloadStatus } from './operator-test-support.ts';

function workload(kind: 'Deployment' | 'StatefulSet', status: WorkloadStatus, replicas = 2, generation = 3): Item {
  return { kind, metadata: { name: 'w', namespace: 'n', uid: 'u', resourceVersion: '1', generation }, spec: { replicas }, status };
}

describe('isRolledOut (kubectl rollout status)', () => {
  const done = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
  const cases: { name: string; item: Item; want: boolean }[] = [
    { name: 'deployment done', item: workload('Deployment', done), want: true },
    { name: 'deployment: the new spec not observed', item: workload('Deployment', { ...done, observedGeneration: 2 }), want: false },
    { name: 'deployment: no status yet', item: workload('Deployment', {}), want: false },
    { name: 'deployment: one pod not updated', item: workload('Deployment', { ...done, updatedReplicas: 1 }), want: false },
    { name: 'deployment: an old pod left', item: workload('Deployment', { ...done, replicas: 3 }), want: false },
    { name: 'deployment: one pod not available', item: workload('Deployment', { ...done, availableReplicas: 1 }), want: false },
    { name: 'statefulset done', item: workload('StatefulSet', { ...done, currentRevision: 'a', updateRevision: 'a' }), want: true },
    { name: 'statefulset between revisions', item: workload('StatefulSet', { ...done, currentRevision: 'a', updateRevision: 'b' }), want: false },
    {
      name: 'statefulset: a pod not ready',
      item: workload('StatefulSet', { ...done, readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' }),
      want: false,
    },
    {
      name: 'statefulset of one, default replicas',
      item: { ...workload('StatefulSet', { observedGeneration: 3, updatedReplicas: 1, readyReplicas: 1 }), spec: {} },
      want: true,
    },
  ];
  for (const { name, item, want } of cases) it(name, () => assert.equal(isRolledOut(item), want));
});

describe('the status the kit writes in place of the workload controllers', () => {
  it('is rolled out once every pod is up, and not halfway through', () => {
    for (const kind of ['Deployment', 'StatefulSet'] as const) {
      const item = workload(kind, {});
      assert.equal(isRolledOut({ ...item, status: rolledOutStatus(item) }), true, kind);
      assert.equal(isRolledOut({ ...item, status: halfRolledOutStatus(item) }), false, kind);
    }
  });

  it('halfway: the new generation observed, one pod short of updated, the old ones still serving', () => {
    assert.deepEqual(halfRolledOutStatus(workload('Deployment', {}, 3)), {
      updatedReplicas: 2,
      observedGeneration: 3,
      replicas: 4,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    assert.deepEqual(halfRolledOutStatus(workload('StatefulSet', {}, 2)), {
      updatedReplicas: 1,
      observedGeneration: 3,
      replicas: 2,
      readyReplicas: 2,
      currentRevision: 'r1',
      updateRevision: 'r2',
    });
  });
});
