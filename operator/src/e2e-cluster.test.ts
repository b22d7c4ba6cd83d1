import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { e2eTarget, operatorScopeEnv, skipUnlessControlPlane, suiteTimeoutMs, type E2eTarget } from './e2e-cluster.ts';

const controlPlane: E2eTarget = { type: 'control-plane' };
const existing: E2eTarget = { type: 'existing', kubeconfig: '/home/me/.kube/test-cluster' };

describe('e2eTarget', () => {
  const cases: { name: string; env: Record<string, string>; want: E2eTarget }[] = [
    { name: 'nothing set: a control plane of its own', env: {}, want: controlPlane },
    // A developer's KUBECONFIG may point at production: it never selects a cluster by itself.
    { name: 'only KUBECONFIG: still a control plane of its own', env: { KUBECONFIG: '/home/me/.kube/prod' }, want: controlPlane },
    { name: 'HEARTH_E2E_KUBECONFIG empty', env: { HEARTH_E2E_KUBECONFIG: ' ' }, want: controlPlane },
    { name: 'HEARTH_E2E_KUBECONFIG', env: { HEARTH_E2E_KUBECONFIG: '/home/me/.kube/test-cluster' }, want: existing },
    {
      name: 'both: the explicit one',
      env: { KUBECONFIG: '/home/me/.kube/prod', HEARTH_E2E_KUBECONFIG: '/home/me/.kube/test-cluster' },
      want: existing,
    },
  ];
  for (const { name, env, want } of cases) it(name, () => assert.deepEqual(e2eTarget(env), want));
});

describe('what a target changes', () => {
  it('skips only on an existing cluster, saying why', () => {
    assert.equal(skipUnlessControlPlane(controlPlane, 'restarts the API server'), false);
    assert.equal(skipUnlessControlPlane(existing, 'restarts the API server'), 'needs the test control plane: restarts the API server');
  });
  it('scopes the operator to the run’s namespace on an existing cluster, and not on its own control plane', () => {
    assert.deepEqual(operatorScopeEnv(existing, 'hearth-e2e-x'), {
      HEARTH_OPERATOR_NAMESPACE: 'hearth-e2e-x',
      HEARTH_OPERATOR_LEASE_NAMESPACE: 'hearth-e2e-x',
    });
    assert.deepEqual(operatorScopeEnv(controlPlane, 'hearth-e2e-x'), { HEARTH_OPERATOR_NAMESPACE: '', HEARTH_OPERATOR_LEASE_NAMESPACE: 'hearth-e2e-x' });
  });
  it('gives real pods time on an existing cluster', () => {
    assert.equal(suiteTimeoutMs(controlPlane, 300_000), 300_000);
    assert.equal(suiteTimeoutMs(existing, 300_000), 1_800_000);
  });
});
