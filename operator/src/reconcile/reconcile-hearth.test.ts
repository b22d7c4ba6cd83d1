import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { done, requeue, type StepResult } from '@hearth/kube-runtime';
import { lookAgain } from './reconcile-hearth.ts';

describe('lookAgain', () => {
  const cases: { name: string; settled: boolean; storageHeldBack: boolean; monitoringRetry: boolean; expected: StepResult }[] = [
    { name: 'Ready, nothing held back: done', settled: true, storageHeldBack: false, monitoringRetry: false, expected: done },
    { name: 'not Ready: look again', settled: false, storageHeldBack: false, monitoringRetry: false, expected: requeue(30, 'not ready') },
    {
      name: 'Ready with a storage change held back',
      settled: true,
      storageHeldBack: true,
      monitoringRetry: false,
      expected: requeue(30, 'a storage change is held back'),
    },
    {
      name: 'Ready, waiting for the Prometheus Operator',
      settled: true,
      storageHeldBack: false,
      monitoringRetry: true,
      expected: requeue(30, 'the Prometheus Operator is not installed'),
    },
    { name: 'not Ready says so first', settled: false, storageHeldBack: true, monitoringRetry: true, expected: requeue(30, 'not ready') },
  ];
  for (const { name, expected, ...found } of cases) it(name, () => assert.deepEqual(lookAgain(found, 30), expected));
});
