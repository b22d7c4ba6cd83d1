import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { isListening } from './tcp.ts';
import { kubeBinaries, removeDir, serviceClusterIpRange, startControlPlane, tempDir } from './index.ts';

const run = promisify(execFile);
const binaries = await kubeBinaries();

interface ConfigMap {
  metadata: { name: string; namespace: string; resourceVersion: string };
  data?: Record<string, string>;
}

// kube-apiserver is built from source by `make kube-bins`, which `make unit` and `make test` run first.
if (binaries === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

describe('the test Kubernetes control plane', () => {
  it('serves kubectl and HTTP clients with the admin token, keeps objects across an apiserver restart, and stops leaving the ports free', async () => {
    const kube = await startControlPlane();
    const work = await tempDir('kube-test');
    try {
      // fetch verifies kube-apiserver's certificate against the control plane's own CA.
      setDefaultCACertificates([...getCACertificates('default'), kube.caCert]);
      const kubectl = (...args: string[]): Promise<{ stdout: string }> => run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args]);

      const manifest = path.join(work, 'configmap.json');
      await writeFile(
        manifest,
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hearth-check', namespace: 'default' }, data: { answer: '42' } }),
      );
      const applied = await kubectl('apply', '-f', manifest);
      assert.match(applied.stdout, /configmap\/hearth-check created/);
      const got = JSON.parse((await kubectl('get', 'configmap', 'hearth-check', '-o', 'json')).stdout) as ConfigMap;
      assert.equal(got.metadata.namespace, 'default');
      assert.deepEqual(got.data, { answer: '42' });

      const list = async (token: string | null): Promise<Response> =>
        fetch(`${kube.url}/api/v1/namespaces/default/configmaps`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
      const listed = await list(kube.token);
      assert.equal(listed.status, 200);
      const items = ((await listed.json()) as { items: ConfigMap[] }).items;
      assert.deepEqual(items.find((item) => item.metadata.name === 'hearth-check')?.data, { answer: '42' });
      // RBAC is on: the anonymous user may not list, a wrong token is not authenticated at all.
      assert.equal((await list(null)).status, 403);
      assert.equal((await list('not-the-token')).status, 401);

      // Services get cluster IPs from a /16, not only the first 254 addresses.
      const cidr = JSON.parse((await kubectl('get', 'servicecidr', 'kubernetes', '-o', 'json')).stdout) as { spec: { cidrs: string[] } };
      assert.deepEqual(cidr.spec.cidrs, [serviceClusterIpRange]);
      await kubectl('create', 'service', 'clusterip', 'far', '--tcp=80:80', '--clusterip=10.96.200.10');
      assert.equal((await kubectl('get', 'service', 'far', '-o', 'jsonpath={.spec.clusterIP}')).stdout, '10.96.200.10');

      assert.ok((await kube.compactEtcd()) > 0);
      await kube.restartApiServer();
      const again = JSON.parse((await kubectl('get', 'configmap', 'hearth-check', '-o', 'json')).stdout) as ConfigMap;
      assert.equal(again.metadata.resourceVersion, got.metadata.resourceVersion);
    } finally {
      await kube.stop();
      await removeDir(work);
    }
    assert.equal(await isListening(Number(new URL(kube.url).port)), false);
    assert.equal(await isListening(Number(new URL(kube.etcdUrl).port)), false);
  });
});
