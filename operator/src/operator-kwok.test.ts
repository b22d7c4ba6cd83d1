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
  metadata: { name: string; generateName?: string; deletionTimestamp?: string };
  spec: { containers: { image: string }[]; nodeName?: string };
  status: { conditions?: { type: string; status: string }[] };
}

describe('the operator on a cluster that schedules pods, as the chart’s ServiceAccount', { timeout: 900_000 }, () => {
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

  /** The workloads that run Hearth itself: a version change rolls them, and not the backends. */
  const hearthWorkloads = async (name: string): Promise<Item[]> =>
    (await workloads(name)).filter((item) => item.spec?.template?.spec?.containers?.[0]?.image?.startsWith(`${image}:`) === true);

  /** Step 1: the Hearth goes Ready, and never before every one of its pods is (read first: a pod does not go unready again). */
  const readyOnlyWithItsPods = async (name: string): Promise<void> => {
    await eventually(
      `${name} Ready`,
      async () => {
        const ready = await isHearthReady(name);
        const unready = (await pods(name)).filter((pod) => !podReady(pod)).map((pod) => pod.metadata.name);
        if (ready) assert.deepEqual(unready, [], `${name} went Ready before its pods`);
        return ready;
      },
      180_000,
      250,
    );
  };

  /** Step 2: spec.version rolls the Hearth workloads, and status.version moves only once every one has rolled out. */
  const versionRollsOut = async (name: string, version: string): Promise<void> => {
    const before = (await hearthOf(name)).status?.version;
    await kubectl('patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec: { version } }));
    let sawOldVersionMidRollout = false;
    await eventually(
      `${name} on ${version}`,
      async () => {
        const served = (await hearthOf(name)).status?.version;
        const rolledOut = (await hearthWorkloads(name)).every((item) => rolledOutOn(item, `${image}:${version}`));
        if (served === version) assert.ok(rolledOut, 'status.version ran ahead of the rollout');
        if (served === before && !rolledOut) sawOldVersionMidRollout = true;
        return served === version;
      },
      180_000,
      100,
    );
    assert.ok(sawOldVersionMidRollout, `status.version stayed ${String(before)} while the pods rolled`);
    const names = (await hearthWorkloads(name)).map((item) => item.metadata.name);
    const hearthPods = (await pods(name)).filter((pod) => names.some((workload) => pod.metadata.name.startsWith(`${workload}-`)));
    assert.ok(hearthPods.length >= names.length);
    for (const pod of hearthPods) assert.deepEqual([pod.spec.containers[0]?.image, podReady(pod)], [`${image}:${version}`, true], pod.metadata.name);
  };

  /**
   * Step 3: one pod of `workload` replaced by one that never goes Ready (a KWOK stage for its
   * StatefulSet name, or its ReplicaSet's generated names): Degraded, naming the workload and the pod.
   */
  const unreadyPodDegrades = async (name: string, workload: string): Promise<void> => {
    const victim = (await pods(name)).find((pod) => pod.metadata.name.startsWith(`${workload}-`));
    assert.ok(victim !== undefined, `a pod of ${workload}`);
    const generated = victim.metadata.generateName;
    const stage = neverReadyStage(`${workload}-never-ready`, [
      { key: '.metadata.namespace', operator: 'In', values: [cluster.namespace] },
      generated === undefined || generated === ''
        ? { key: '.metadata.name', operator: 'In', values: [victim.metadata.name] }
        : { key: '.metadata.generateName', operator: 'In', values: [generated] },
    ]);
    const file = path.join(cluster.work, `${workload}-stage.json`);
    await writeFile(file, JSON.stringify(stage));
    await kube.kubectl('apply', '-f', file);
    try {
      await kubectl('delete', 'pod', victim.metadata.name, '--wait=false');
      await eventually(`${name} Degraded`, async () => (await hearthOf(name)).status?.phase === 'Degraded', 120_000, 250);
      const degraded = (await hearthOf(name)).status?.conditions?.find((c) => c.type === 'Degraded');
      assert.equal(degraded?.status, 'True');
      assert.match(
        degraded?.message ?? '',
        new RegExp(`(StatefulSet|Deployment) ${workload}: \\d+ of \\d+ pods (ready|available) \\(not ready: ${workload}-[^)]+\\)`),
      );
      assert.equal(await isHearthReady(name), false);
    } finally {
      await kube.kubectl('delete', '-f', file);
    }
  };

  /** Step 6: deleting the Hearth removes its pods through the garbage collector and keeps its claims. */
  const deletionKeepsClaims = async (name: string): Promise<void> => {
    const claims = async (): Promise<string[]> =>
      (await getJson<{ items: { metadata: { name: string; deletionTimestamp?: string } }[] }>('pvc', '-l', `app.kubernetes.io/instance=${name}`)).items
        .filter((claim) => claim.metadata.deletionTimestamp === undefined)
        .map((claim) => claim.metadata.name)
        .sort();
    const before = await claims();
    assert.ok(before.length > 0, `${name} has claims`);
    await kubectl('delete', 'hearth', name, '--wait=false');
    await eventually(`${name} gone`, async () => !(await exists('hearth', name)), 60_000, 250);
    await eventually(`${name}’s pods gone`, async () => (await pods(name)).length === 0, 120_000, 250);
    assert.deepEqual(await claims(), before, 'every claim kept');
  };

  it('embedded: the Hearth goes Ready only once its pod, made by the StatefulSet controller and placed by the scheduler, is Ready', async () => {
    await applyExample(examples.embedded);
    await readyOnlyWithItsPods('acme');
    const claim = await getJson<{ status: { phase: string } }>('pvc', 'data-acme-0');
    assert.equal(claim.status.phase, 'Bound', 'the claim bound through the PV controller');
  });

  it('embedded: spec.version rolls the StatefulSet’s pod, and status.version moves only once the rollout is done', async () => {
    await versionRollsOut('acme', '0.2.0');
  });

  it('embedded: a pod that never goes Ready: the Hearth turns Degraded naming the workload and the pod', async () => {
    await unreadyPodDegrades('acme', 'acme');
    const degraded = (await hearthOf('acme')).status?.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.message, 'StatefulSet acme: 0 of 1 pods ready (not ready: acme-0)');
  });

  it('single: every backend’s claim binds, the Hearth goes Ready with its pods; scaling, a new version, a pod never Ready, deletion', async () => {
    await applyExample(examples.single);
    await readyOnlyWithItsPods('globex');
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
    await versionRollsOut('globex', '0.2.0');
    await unreadyPodDegrades('globex', 'globex-realtime');
    await deletionKeepsClaims('globex');
  });

  it('clustered: Ready with its pods, a new version, a node drain within the disruption budgets, a pod never Ready, deletion', async () => {
    await applyExample(examples.clustered);
    // CloudNativePG cannot run here (its instances are real PostgreSQL containers, which KWOK does not
    // run), so the test writes the status its operator would give a healthy Cluster: a stand-in, the only one.
    await eventually('the CloudNativePG Cluster', () => exists('clusters.postgresql.cnpg.io', 'umbrella-postgres'), 60_000, 250);
    await kube.kubectl(
      '-n',
      cluster.namespace,
      'patch',
      'clusters.postgresql.cnpg.io',
      'umbrella-postgres',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { instances: 3, readyInstances: 3, phase: 'Cluster in healthy state' } }),
    );
    await readyOnlyWithItsPods('umbrella');
    await versionRollsOut('umbrella', '0.2.0');
    // Four gateways on three nodes: one node holds two, which only the budget keeps from going together.
    await kubectl('patch', 'hearth', 'umbrella', '--type=merge', '-p', JSON.stringify({ spec: { services: { gateway: { replicas: 4 } } } }));
    const services = ['gateway', 'realtime', 'messaging'];
    const servicePods = async (): Promise<Pod[]> =>
      (await pods('umbrella')).filter((pod) => services.some((service) => pod.metadata.name.startsWith(`umbrella-${service}-`)));
    const readyOf = (all: Pod[], service: string): number => all.filter((pod) => pod.metadata.name.startsWith(`umbrella-${service}-`) && podReady(pod)).length;
    const replicas: Record<string, number> = { gateway: 4, realtime: 3, messaging: 2 };
    await eventually(
      'every service pod of umbrella Ready, with its disruption budget',
      async () => {
        const all = await servicePods();
        const budgets = await getJson<{ items: unknown[] }>('pdb', '-l', instanceSelector('umbrella'));
        return services.every((service) => readyOf(all, service) === replicas[service]) && budgets.items.length >= services.length;
      },
      180_000,
      500,
    );
    // Watch the services while the node drains: a budget of maxUnavailable 1 leaves each at most one pod short.
    let fewest: Record<string, number> = { ...replicas };
    let draining = true;
    const watching = (async () => {
      while (draining) {
        const all = await servicePods();
        fewest = Object.fromEntries(services.map((service) => [service, Math.min(fewest[service] ?? 0, readyOf(all, service))]));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const node = await nodeWithMost(async () => (await servicePods()).filter((pod) => pod.metadata.name.startsWith('umbrella-gateway-')));
    try {
      await kube.kubectl(
        'drain',
        node,
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        `--pod-selector=app.kubernetes.io/instance=umbrella`,
        '--timeout=180s',
      );
    } finally {
      draining = false;
      await watching;
    }
    for (const service of services) assert.ok((fewest[service] ?? 0) >= (replicas[service] ?? 0) - 1, `${service} fell to ${fewest[service]} Ready pods`);
    await eventually(
      'the services whole again, none on the drained node',
      async () => {
        const all = await servicePods();
        const onNode = (
          await getJson<{ items: { spec: { nodeName?: string }; metadata: { name: string } }[] }>('pods', '-l', instanceSelector('umbrella'))
        ).items.filter((pod) => pod.spec.nodeName === node && services.some((service) => pod.metadata.name.startsWith(`umbrella-${service}-`)));
        return onNode.length === 0 && services.every((service) => readyOf(all, service) === replicas[service]);
      },
      120_000,
      500,
    );
    await kube.kubectl('uncordon', node);
    await unreadyPodDegrades('umbrella', 'umbrella-messaging');
    await deletionKeepsClaims('umbrella');
  });

  it('embedded: deletion removes the Hearth’s pods through the garbage collector and keeps its claim', async () => {
    await deletionKeepsClaims('acme');
    assert.ok(await exists('pvc', 'data-acme-0'));
  });
});

/** The node that runs the most of these pods; it must run at least two, or a drain of it tests no budget. */
async function nodeWithMost(list: () => Promise<{ spec: { nodeName?: string } }[]>): Promise<string> {
  const counts = new Map<string, number>();
  for (const pod of await list()) if (pod.spec.nodeName !== undefined) counts.set(pod.spec.nodeName, (counts.get(pod.spec.nodeName) ?? 0) + 1);
  const [node, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  assert.ok(count >= 2, `no node runs two of these pods: ${JSON.stringify([...counts])}`);
  return node;
}

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
