import assert from 'node:assert/strict';
import { request, type RequestOptions } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import type { KubeConfig } from '@kubernetes/client-node';
import { applyKubeConnection } from './kube-connection.ts';
import { kubeConfigOf } from './testing.ts';

/** GET `path` with the kubeconfig's connection; the status, and whether the request went out on a socket already open. */
async function get(kubeConfig: KubeConfig, path: string): Promise<{ status: number; reused: boolean }> {
  const options: RequestOptions = { method: 'GET' };
  await applyKubeConnection(kubeConfig, options);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, kubeConfig.getCurrentCluster()!.server), options, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('applyKubeConnection', () => {
  let kube: ControlPlane;
  before(async () => {
    kube = await startControlPlane();
  });
  after(async () => {
    await kube.stop();
  });

  it("keeps the API server's connection open for the next request, with the kubeconfig's TLS and credentials", async () => {
    const kubeConfig = kubeConfigOf(kube);
    const first = await get(kubeConfig, '/api/v1/namespaces/default');
    const second = await get(kubeConfig, '/api/v1/namespaces/default');
    assert.deepEqual(first, { status: 200, reused: false });
    assert.deepEqual(second, { status: 200, reused: true }, "client-node's own agent opens a connection per request");
  });
});
