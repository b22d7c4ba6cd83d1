// The operator end to end on a cluster that schedules pods (harness startKubeCluster: the real
// kube-controller-manager and kube-scheduler, KWOK's nodes running what is placed on them). The
// chart is installed with `helm install`; the operator runs outside the cluster as its
// ServiceAccount, with a token from the TokenRequest API, so it has the chart's RBAC and nothing
// more. Nothing writes a workload's status but the real controllers: a Hearth goes Ready because
// its pod did.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  freePort,
  helmBinary,
  neverReadyStage,
  removeDir,
  startKubeCluster,
  tempDir,
  thirdPartyCrd,
  thirdPartyCrds,
  type Child,
  type KubeCluster,
} from '@hearth/harness';
import { eventually } from '@hearth/kube-runtime/testing';
import { repoRoot } from './api/generate.ts';
import { e2eNamespaceLabel, type E2eCluster } from './e2e-cluster.ts';
import { examples, instanceSelector, isRolledOut, operatorTestKit, type Item } from './operator-test-support.ts';

const run = promisify(execFile);
const releaseNamespace = 'hearth-system';
const release = 'hearth-operator';
const image = 'ghcr.io/hearth/hearth';

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { image: string }[] };
  status: { conditions?: { type: string; status: string }[] };
}

describe('the operator on a cluster that schedules pods, as the chart’s ServiceAccount', { timeout: 600_000 }, () => {
  let kube: KubeCluster;
  let cluster: E2eCluster;
  let operator: Child | undefined;
  const { kubectl, getJson, exists, hearthOf, workloads, applyExample, isHearthReady, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => 0,
  );
  const pods = async (name: string): Promise<Pod[]> =>
    (await getJson<{ items: Pod[] }>('pods', '-l', instanceSelector(name))).items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
  const podReady = (pod: Pod): boolean => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

  before(async () => {
    kube = await startKubeCluster();
    const work = await tempDir('operator-kwok');
    const namespace = 'chat';
    await kube.kubectl('create', 'namespace', namespace);
    await kube.kubectl('label', 'namespace', namespace, `${e2eNamespaceLabel}=kwok`);
    cluster = {
      target: { type: 'existing', kubeconfig: kube.kubeconfigPath },
      kubeconfigPath: kube.kubeconfigPath,
      kubectlPath: kube.controlPlane.binaries.kubectl,
      controlPlane: kube.controlPlane,
      namespace,
      workloadControllers: true,
      image,
      work,
      kubectl: kube.kubectl,
      stop: async () => {
        await kube.stop();
        await removeDir(work);
      },
    };
    const operatorKubeconfig = await installChart(kube, work);
    const port = await freePort();
    operator = await startOperator(port, { KUBECONFIG: operatorKubeconfig, HEARTH_OPERATOR_LEASE_NAMESPACE: releaseNamespace });
  });
  after(async () => {
    await stopOperator(operator, { deleteHearths: false });
    await cluster?.stop();
  });

  it('embedded: the Hearth goes Ready only once its pod, made by the StatefulSet controller and placed by the scheduler, is Ready', async () => {
    await applyExample(examples.embedded);
    // Read the Hearth first, then the pod: a pod does not go unready again, so a Ready Hearth with an unready pod would show.
    await eventually(
      'acme Ready',
      async () => {
        const ready = await isHearthReady('acme');
        const readyPods = (await pods('acme')).filter(podReady).length;
        if (ready) assert.equal(readyPods, 1, 'acme went Ready before its pod');
        return ready;
      },
      120_000,
      250,
    );
    const claim = await getJson<{ status: { phase: string } }>('pvc', 'data-acme-0');
    assert.equal(claim.status.phase, 'Bound', 'the claim bound through the PV controller');
  });

  it('spec.version: the StatefulSet rolls its pod, and status.version moves only once the rollout is done', async () => {
    await kubectl('patch', 'hearth', 'acme', '--type=merge', '-p', JSON.stringify({ spec: { version: '0.2.0' } }));
    let sawOldVersionMidRollout = false;
    await eventually(
      'acme on 0.2.0',
      async () => {
        const version = (await hearthOf('acme')).status?.version;
        const rolledOut = rolledOutOn((await workloads('acme'))[0], `${image}:0.2.0`);
        if (version === '0.2.0') assert.ok(rolledOut, 'status.version ran ahead of the rollout');
        if (version === '0.1.0' && !rolledOut) sawOldVersionMidRollout = true;
        return version === '0.2.0';
      },
      120_000,
      100,
    );
    assert.ok(sawOldVersionMidRollout, 'status.version stayed 0.1.0 while the pod rolled');
    assert.deepEqual(
      (await pods('acme')).map((pod) => [pod.spec.containers[0]?.image, podReady(pod)]),
      [[`${image}:0.2.0`, true]],
    );
  });

  it('a pod that never goes Ready: the Hearth turns Degraded naming the workload and the pod', async () => {
    // A KWOK stage for acme's pod alone; the StatefulSet's replacement of it then never goes Ready.
    const stage = neverReadyStage('acme-0-never-ready', [
      { key: '.metadata.namespace', operator: 'In', values: [cluster.namespace] },
      { key: '.metadata.name', operator: 'In', values: ['acme-0'] },
    ]);
    const file = path.join(cluster.work, 'stage.json');
    await writeFile(file, JSON.stringify(stage));
    await kube.kubectl('apply', '-f', file);
    await kubectl('delete', 'pod', 'acme-0', '--wait=false');
    await eventually('acme Degraded', async () => (await hearthOf('acme')).status?.phase === 'Degraded', 120_000, 250);
    const degraded = (await hearthOf('acme')).status?.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.status, 'True');
    assert.equal(degraded?.message, 'StatefulSet acme: 0 of 1 pods ready (not ready: acme-0)');
    assert.equal(await isHearthReady('acme'), false);
    await kube.kubectl('delete', '-f', file);
  });

  it('single: every backend’s claim binds and the Hearth goes Ready; scaling a service changes its pods', async () => {
    await applyExample(examples.single);
    await eventually('globex Ready', () => isHearthReady('globex'), 180_000, 500);
    const gatewayPods = async (): Promise<Pod[]> => (await pods('globex')).filter((pod) => pod.metadata.name.startsWith('globex-gateway-'));
    assert.equal((await gatewayPods()).length, 2);
    const claims = await getJson<{ items: { status: { phase: string } }[] }>('pvc', '-l', instanceSelector('globex'));
    assert.ok(claims.items.length >= 2 && claims.items.every((claim) => claim.status.phase === 'Bound'), 'the backends’ claims bound');
    for (const replicas of [3, 1]) {
      await kubectl('patch', 'hearth', 'globex', '--type=merge', '-p', JSON.stringify({ spec: { services: { gateway: { replicas } } } }));
      await eventually(
        `${replicas} gateway pods, all Ready, and globex Ready`,
        async () => {
          const now = await gatewayPods();
          return now.length === replicas && now.every(podReady) && (await isHearthReady('globex'));
        },
        120_000,
        250,
      );
    }
    await kubectl('delete', 'hearth', 'globex', '--wait=false');
  });

  it('deletion: the Hearth’s pods go through the garbage collector, its claim stays', async () => {
    await kubectl('delete', 'hearth', 'acme', '--wait=false');
    await eventually('acme gone', async () => !(await exists('hearth', 'acme')), 60_000, 250);
    await eventually('acme’s pods gone', async () => (await pods('acme')).length === 0, 120_000, 250);
    assert.ok(await exists('pvc', 'data-acme-0'));
  });
});

/** Whether the StatefulSet has rolled out, every pod Ready, on the image. */
function rolledOutOn(set: Item | undefined, wanted: string): boolean {
  return set !== undefined && isRolledOut(set) && set.spec?.template?.spec?.containers?.[0]?.image === wanted;
}

/**
 * helm install of the chart (one replica: KWOK runs no process, so its pods only stand for the
 * operator that runs here), then a kubeconfig of its ServiceAccount's token (TokenRequest).
 */
async function installChart(kube: KubeCluster, work: string): Promise<string> {
  for (const name of Object.keys(thirdPartyCrds) as (keyof typeof thirdPartyCrds)[]) {
    await kube.kubectl('apply', '--server-side', '-f', await thirdPartyCrd(name));
  }
  const env = { ...process.env, HELM_CACHE_HOME: `${work}/helm/cache`, HELM_CONFIG_HOME: `${work}/helm/config`, HELM_DATA_HOME: `${work}/helm/data` };
  const chart = path.join(repoRoot, 'charts', 'hearth-operator');
  const installArgs = ['install', release, chart, '--namespace', releaseNamespace, '--create-namespace', '--set', 'replicas=1', '--wait', '--timeout', '120s'];
  await run(await helmBinary(), ['--kubeconfig', kube.kubeconfigPath, ...installArgs], { env });
  const token = (await kube.kubectl('-n', releaseNamespace, 'create', 'token', release, '--duration=1h')).trim();
  // The admin kubeconfig (JSON) with the ServiceAccount's token in place of the admin's.
  const config = JSON.parse(await readFile(kube.kubeconfigPath, 'utf8')) as { users: { name: string; user: { token: string } }[] };
  config.users = [{ name: release, user: { token } }];
  const file = path.join(work, 'operator.kubeconfig');
  await writeFile(file, JSON.stringify({ ...config, contexts: [{ name: 'hearth', context: { cluster: 'hearth', user: release } }] }), { mode: 0o600 });
  return file;
}
