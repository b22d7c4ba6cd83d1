// The chart installed the way users install it: `helm install` into the simulated cluster
// (harness/src/kube-cluster.ts), where the real Deployment controller and scheduler make and place
// the operator's pods and KWOK's nodes run them; then `helm upgrade` with a changed value rolls
// them, and `helm uninstall` removes the release but keeps the CRDs and the Hearths.
// helm comes from `make helm-bin`, the cluster's binaries from `make kube-bins kwok-bin`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { helmBinary, startKubeCluster, thirdPartyCrd, thirdPartyCrds, waitUntil, type KubeCluster } from '../../harness/src/index.ts';

const run = promisify(execFile);
const chartDir = import.meta.dirname;
const repoRoot = path.resolve(chartDir, '..', '..');
const release = 'hearth-operator';
const releaseNamespace = 'hearth-system';
const helm = await helmBinary();
const shortGrace = ['--set', 'shutdownSeconds=1', '--set', 'terminationGracePeriodSeconds=2'];

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { conditions?: { type: string; status: string }[] };
}

describe('helm install, upgrade and uninstall of the chart on a cluster that schedules pods', () => {
  let cluster: KubeCluster;
  /** helm against the cluster, its caches and config in the cluster's directory rather than the user's. */
  const helmRun = async (...args: string[]): Promise<string> => {
    const home = path.join(cluster.controlPlane.dir, 'helm');
    const env = { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data` };
    return (await run(helm, ['--kubeconfig', cluster.kubeconfigPath, ...args], { env, cwd: repoRoot })).stdout;
  };
  const operatorPods = async (): Promise<Pod[]> => {
    const list = JSON.parse(await cluster.kubectl('-n', releaseNamespace, 'get', 'pods', '-l', 'app.kubernetes.io/component=operator', '-o', 'json')) as {
      items: Pod[];
    };
    return list.items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
  };
  const isReady = (pod: Pod): boolean => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

  before(async () => {
    cluster = await startKubeCluster();
    // The CRDs of the operators Hearth works with, as on a cluster that runs them.
    for (const name of Object.keys(thirdPartyCrds) as (keyof typeof thirdPartyCrds)[]) {
      await cluster.kubectl('apply', '--server-side', '-f', await thirdPartyCrd(name));
    }
  });
  after(() => cluster?.stop());

  it('installs: the CRDs, and the Deployment’s two pods placed on the nodes and Ready', async () => {
    // --wait: helm itself waits for the Deployment to be available, which only real pods make it.
    // A short grace period: KWOK's pods have no process to stop, and the upgrade waits out the old ones'.
    await helmRun('install', release, chartDir, '--namespace', releaseNamespace, '--create-namespace', ...shortGrace, '--wait', '--timeout', '120s');
    const crds = await cluster.kubectl('get', 'crd', '-o', 'name');
    for (const crd of ['hearths.hearth.dev', 'hearthbackups.hearth.dev', 'hearthrestores.hearth.dev'])
      assert.match(crds, new RegExp(`customresourcedefinition.apiextensions.k8s.io/${crd}`));
    const pods = await operatorPods();
    assert.equal(pods.length, 2);
    assert.ok(pods.every(isReady), 'both pods Ready');
    assert.ok(
      pods.every((pod) => pod.spec.nodeName?.startsWith('kwok-node-')),
      'placed by the scheduler',
    );
    assert.ok(pods.every((pod) => pod.spec.containers[0]?.image === 'ghcr.io/hearth/hearth:0.1.0'));
  });

  it('upgrades with a changed value: the pods roll to the new image, and the ServiceMonitor appears', async () => {
    await helmRun(
      'upgrade',
      release,
      chartDir,
      '--namespace',
      releaseNamespace,
      '--reuse-values',
      '--set',
      'image.tag=0.2.0',
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--wait',
      '--timeout',
      '120s',
    );
    await waitUntil(
      'the pods of 0.2.0 only, all Ready',
      async () => {
        const pods = await operatorPods();
        return pods.length === 2 && pods.every((pod) => isReady(pod) && pod.spec.containers[0]?.image === 'ghcr.io/hearth/hearth:0.2.0');
      },
      null,
      60_000,
    );
    assert.equal(
      (await cluster.kubectl('-n', releaseNamespace, 'get', 'servicemonitor', '-o', 'name')).trim(),
      `servicemonitor.monitoring.coreos.com/${release}`,
    );
    const history = JSON.parse(await helmRun('history', release, '--namespace', releaseNamespace, '-o', 'json')) as { revision: number; status: string }[];
    assert.deepEqual(
      history.map((entry) => [entry.revision, entry.status]),
      [
        [1, 'superseded'],
        [2, 'deployed'],
      ],
    );
  });

  it('uninstalls: the release’s objects go, the CRD and the Hearths stay', async () => {
    await cluster.kubectl('create', 'namespace', 'chat');
    await cluster.kubectl('-n', 'chat', 'apply', '-f', path.join(repoRoot, 'docs', 'examples', 'embedded.yaml'));
    await helmRun('uninstall', release, '--namespace', releaseNamespace, '--wait', '--timeout', '120s');
    assert.equal(
      (await cluster.kubectl('-n', releaseNamespace, 'get', 'deployments,serviceaccounts', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name')).trim(),
      '',
    );
    await waitUntil('the operator pods gone', async () => (await operatorPods()).length === 0, null, 60_000);
    assert.equal(
      (await cluster.kubectl('get', 'crd', 'hearths.hearth.dev', '-o', 'name')).trim(),
      'customresourcedefinition.apiextensions.k8s.io/hearths.hearth.dev',
    );
    assert.equal((await cluster.kubectl('-n', 'chat', 'get', 'hearth', '-o', 'name')).trim(), 'hearth.hearth.dev/acme');
  });
});
