// The simulated cluster: real controllers and scheduler act, KWOK's nodes run what is placed on them.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterObjects, neverReadyLabel, neverReadyRegistry, simulatedNodes, startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import { waitUntil } from './process.ts';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}

const ready = (pod: Pod): boolean => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('the simulated cluster (kube-controller-manager, kube-scheduler, KWOK)', () => {
  let cluster: KubeCluster;
  const namespace = 'cluster-check';
  const pods = async (selector: string): Promise<Pod[]> =>
    (JSON.parse(await cluster.kubectl('-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json')) as { items: Pod[] }).items;
  const apply = async (name: string, objects: object): Promise<void> => {
    const file = path.join(cluster.controlPlane.dir, name);
    await writeFile(file, JSON.stringify(objects));
    await cluster.kubectl('apply', '-f', file);
  };

  before(async () => {
    cluster = await startKubeCluster({ volumesPerNode: 2 });
    await cluster.kubectl('create', 'namespace', namespace);
  });
  after(() => cluster?.stop());

  it('has three Ready nodes in two zones, and the standard StorageClass as the default', async () => {
    const nodes = JSON.parse(await cluster.kubectl('get', 'nodes', '-o', 'json')) as {
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    };
    const zones = nodes.items.map((node) => [node.metadata.name, node.metadata.labels['topology.kubernetes.io/zone']]).sort();
    assert.deepEqual(zones, simulatedNodes.map((node) => [node.name, node.zone]).sort());
    assert.equal(new Set(zones.map(([, zone]) => zone)).size, 2);
    const classes = await cluster.kubectl('get', 'storageclass', '-o', 'jsonpath={.items[*].metadata.name}');
    assert.equal(classes.trim(), 'standard');
    assert.equal((await cluster.kubectl('get', 'pv', '-o', 'name')).trim().split('\n').length, 6);
  });

  it('runs each controller as its own ServiceAccount, and the token controller fills a service-account token Secret', async () => {
    const accounts = await cluster.kubectl('-n', 'kube-system', 'get', 'serviceaccounts', '-o', 'name');
    for (const controller of ['deployment-controller', 'statefulset-controller', 'persistent-volume-binder']) {
      assert.match(accounts, new RegExp(`serviceaccount/${controller}\n`));
    }
    await apply('token.json', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'default-token', namespace, annotations: { 'kubernetes.io/service-account.name': 'default' } },
    });
    const token = async (): Promise<boolean> =>
      (await cluster.kubectl('-n', namespace, 'get', 'secret', 'default-token', '-o', 'jsonpath={.data.token}')).trim() !== '';
    await waitUntil('the token controller to fill the Secret', token, null, 30_000);
  });

  it('turns a Deployment into scheduled, Ready pods, and a StatefulSet claim into a bound volume on its pod’s node', async () => {
    await apply('workloads.json', {
      apiVersion: 'v1',
      kind: 'List',
      items: [deployment(namespace, 'web', 3), statefulSet(namespace, 'db')],
    });
    await waitUntil('3 Ready web pods', async () => (await pods('app=web')).filter(ready).length === 3, null, 90_000);
    const placed = new Set((await pods('app=web')).map((pod) => pod.spec.nodeName));
    assert.ok(placed.size >= 2, `the scheduler spread the pods over nodes: ${[...placed].join(', ')}`);

    await waitUntil('the db pod Ready', async () => (await pods('app=db')).some(ready), null, 90_000);
    const claim = JSON.parse(await cluster.kubectl('-n', namespace, 'get', 'pvc', 'data-db-0', '-o', 'json')) as {
      status: { phase: string };
      spec: { volumeName: string };
    };
    assert.equal(claim.status.phase, 'Bound');
    const [pod] = await pods('app=db');
    assert.ok(claim.spec.volumeName.startsWith(`${pod?.spec.nodeName}-pv-`), `${claim.spec.volumeName} is on ${pod?.spec.nodeName}`);
  });

  it(`leaves a pod labelled ${neverReadyLabel}, or of an image under ${neverReadyRegistry}/, Running but never Ready`, async () => {
    await apply('stuck.json', {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        deployment(namespace, 'stuck', 1, { labels: { [neverReadyLabel]: 'true', stuck: 'yes' } }),
        deployment(namespace, 'stuck-image', 1, { labels: { stuck: 'yes' }, image: `${neverReadyRegistry}/hearth:1` }),
      ],
    });
    const running = async (): Promise<boolean> => (await pods('stuck=yes')).filter((pod) => pod.status.phase === 'Running').length === 2;
    await waitUntil('the stuck pods Running', running, null, 90_000);
    // Long enough for KWOK to have played any further stage on them.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const stuck = await pods('stuck=yes');
    assert.deepEqual(
      stuck.map((pod) => [pod.status.phase, ready(pod)]),
      [
        ['Running', false],
        ['Running', false],
      ],
    );
  });

  it('finishes deleting a namespace: the namespace controller and garbage collector act', async () => {
    await cluster.kubectl('delete', 'namespace', namespace, '--wait=true', '--timeout=90s');
    assert.equal((await cluster.kubectl('get', 'namespace', namespace, '--ignore-not-found', '-o', 'name')).trim(), '');
  });
});

describe('clusterObjects', () => {
  it('pins each volume to its node and zone', () => {
    const list = clusterObjects([{ name: 'n', zone: 'z' }], { volumesPerNode: 1, volumeSize: '1Gi' }) as { items: Record<string, unknown>[] };
    assert.deepEqual(
      list.items.map((item) => item.kind),
      ['Node', 'StorageClass', 'PersistentVolume'],
    );
    assert.match(JSON.stringify(list.items[2]), /"values":\["n"\]/);
    assert.match(JSON.stringify(list.items[2]), /"storage":"1Gi"/);
  });
});

function deployment(namespace: string, name: string, replicas: number, pod: { labels?: Record<string, string>; image?: string } = {}): object {
  const image = pod.image ?? 'registry.invalid/none:1';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, ...pod.labels } }, spec: { containers: [{ name, image }], terminationGracePeriodSeconds: 0 } },
    },
  };
}

function statefulSet(namespace: string, name: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'registry.invalid/none:1' }], terminationGracePeriodSeconds: 0 } },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } } },
      ],
    },
  };
}
