import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesApiOf, type Environment } from './kubernetes-secrets.ts';

describe('where --secrets-namespace finds the Kubernetes API', () => {
  const token = '/var/run/secrets/kubernetes.io/serviceaccount/token';
  const ca = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
  const cases: readonly (readonly [string, Environment, unknown])[] = [
    ['a pod', { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, { url: 'https://10.96.0.1:443', tokenFile: token, caFile: ca }],
    ['a pod on IPv6', { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, { url: 'https://[fd00::1]:6443', tokenFile: token, caFile: ca }],
    [
      'the overrides',
      {
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        HEARTH_KUBERNETES_URL: 'https://127.0.0.1:6443/',
        HEARTH_KUBERNETES_TOKEN_FILE: '/t',
        HEARTH_KUBERNETES_CA_FILE: '/c',
      },
      { url: 'https://127.0.0.1:6443', tokenFile: '/t', caFile: '/c' },
    ],
  ];
  for (const [name, env, api] of cases) it(`in ${name}`, () => assert.deepEqual(kubernetesApiOf(env), api));

  it('outside a pod, refuses with one line', () => {
    assert.throws(() => kubernetesApiOf({}), /^Error: --secrets-namespace creates the Secrets from inside a pod: KUBERNETES_SERVICE_HOST is not set/);
  });
});
