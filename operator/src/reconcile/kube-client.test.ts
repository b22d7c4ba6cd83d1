// The reconcile's client against a real kube-apiserver: every request it makes is counted by its
// real status (rest_client_requests_total), as the runtime's own transport counts the informers'.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createMetricsRegistry, createRequestRecorder } from '@hearth/kube-runtime';
import { kubeConfigOf, parseExposition, sampleValue } from '@hearth/kube-runtime/testing';
import { createKubeClient } from './kube-client.ts';

describe('the reconcile client against a real kube-apiserver', () => {
  let kube: ControlPlane;
  before(async () => {
    kube = await startControlPlane();
  });
  after(async () => {
    await kube.stop();
  });

  it('gets, creates by server-side apply and updates, each request counted by its status', async () => {
    const registry = createMetricsRegistry();
    const client = createKubeClient(kubeConfigOf(kube), { recordRequest: createRequestRecorder(registry) });
    const host = new URL(kube.url).host;
    const requests = async (labels: Record<string, string>): Promise<number | undefined> =>
      sampleValue(parseExposition(await registry.render(), 'prometheus'), 'rest_client_requests_total', { ...labels, host });

    const path = '/api/v1/namespaces/default/configmaps/applied';
    assert.equal(await client.get(path), undefined);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'default' }, data: { v: '1' } };
    await client.apply(path, configMap);
    const updated = await client.apply(path, { ...configMap, data: { v: '2' } });
    assert.deepEqual((updated as { data?: unknown }).data, { v: '2' });
    assert.equal(await requests({ code: '404', method: 'GET' }), 1);
    assert.equal(await requests({ code: '201', method: 'PATCH' }), 1, 'server-side apply created it');
    assert.equal(await requests({ code: '200', method: 'PATCH' }), 1, 'then updated it');
    assert.deepEqual(client.requests(), { GET: 1, PATCH: 2 });
  });
});
