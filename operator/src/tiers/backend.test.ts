import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBackend, buildDisruptionBudget, imageTag, type BackendDefinition } from './backend.ts';
import { containerOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const hearth = hearthFixture({ tier: 'single' });
const selector = { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': 'nats' };
const definition: BackendDefinition = {
  backend: 'nats',
  name: 'acme-nats',
  image: 'nats:2.15.3',
  port: { name: 'client', port: 4222 },
  user: 1000,
  container: { args: ['-js'] },
};
/** A backend of several pods that talk to each other, as the clustered tier's NATS. */
const cluster: BackendDefinition = {
  ...definition,
  replicas: 3,
  podsService: 'acme-nats-routes',
  peerPorts: [{ name: 'cluster', port: 6222 }],
  probePorts: [{ name: 'monitor', port: 8222 }],
};

describe('buildBackend', () => {
  it('builds these kinds and names, the NetworkPolicy first', () => {
    const cases: { name: string; definition: BackendDefinition; want: string[] }[] = [
      { name: 'one pod', definition, want: ['NetworkPolicy/acme-nats', 'Service/acme-nats', 'StatefulSet/acme-nats'] },
      {
        name: 'a cluster: its pods’ Service and a disruption budget',
        definition: cluster,
        want: ['NetworkPolicy/acme-nats', 'Service/acme-nats', 'Service/acme-nats-routes', 'StatefulSet/acme-nats', 'PodDisruptionBudget/acme-nats'],
      },
      {
        name: 'found through its pods only (Sentinels)',
        definition: { ...cluster, clientService: false },
        want: ['NetworkPolicy/acme-nats', 'Service/acme-nats-routes', 'StatefulSet/acme-nats', 'PodDisruptionBudget/acme-nats'],
      },
      {
        name: 'two pods, no pods’ Service',
        definition: { ...definition, replicas: 2 },
        want: ['NetworkPolicy/acme-nats', 'Service/acme-nats', 'StatefulSet/acme-nats', 'PodDisruptionBudget/acme-nats'],
      },
    ];
    for (const { name, definition, want } of cases) assert.deepEqual(kindsAndNames(buildBackend(hearth, definition)), want, name);
  });

  it('runs its container as the backend, from its image, on its ports, under the restricted standard', () => {
    const set = find(buildBackend(hearth, cluster), 'StatefulSet', 'acme-nats');
    const container = containerOf(set);
    assert.equal(container.name, 'nats');
    assert.equal(container.image, 'nats:2.15.3');
    assert.deepEqual(container.args, ['-js']);
    assert.deepEqual(container.ports, [
      { name: 'client', containerPort: 4222, protocol: 'TCP' },
      { name: 'cluster', containerPort: 6222, protocol: 'TCP' },
      { name: 'monitor', containerPort: 8222, protocol: 'TCP' },
    ]);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    const pod = podSpecOf(set);
    assert.deepEqual([pod.securityContext?.runAsUser, pod.securityContext?.fsGroup], [1000, 1000]);
    assert.deepEqual([pod.automountServiceAccountToken, pod.enableServiceLinks, pod.terminationGracePeriodSeconds], [false, false, 60]);
  });

  it('lists a port used both by clients and peers once', () => {
    const set = find(
      buildBackend(hearth, { ...definition, replicas: 2, podsService: 'acme-nats-routes', peerPorts: [definition.port] }),
      'StatefulSet',
      'acme-nats',
    );
    assert.deepEqual(containerOf(set).ports, [{ name: 'client', containerPort: 4222, protocol: 'TCP' }]);
  });

  it('selects its pods by the stable labels, and names its pods’ Service when it has one', () => {
    const cases: { name: string; definition: BackendDefinition; replicas: number; serviceName: string }[] = [
      { name: 'one pod', definition, replicas: 1, serviceName: 'acme-nats' },
      { name: 'a cluster', definition: cluster, replicas: 3, serviceName: 'acme-nats-routes' },
    ];
    for (const { name, definition, replicas, serviceName } of cases) {
      const set = find(buildBackend(hearth, definition), 'StatefulSet', 'acme-nats');
      assert.deepEqual([set.spec?.replicas, set.spec?.serviceName], [replicas, serviceName], name);
      assert.deepEqual(set.spec?.selector.matchLabels, selector, name);
      assert.equal(set.metadata.labels['app.kubernetes.io/version'], '2.15.3', name);
      assert.deepEqual(set.spec?.updateStrategy, { type: 'RollingUpdate' }, name);
      assert.deepEqual(set.spec?.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' }, name);
    }
  });

  it('spreads a cluster’s pods over nodes, preferably; one pod has no affinity', () => {
    assert.equal(podSpecOf(find(buildBackend(hearth, definition), 'StatefulSet', 'acme-nats')).affinity, undefined);
    assert.deepEqual(podSpecOf(find(buildBackend(hearth, cluster), 'StatefulSet', 'acme-nats')).affinity, {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
        ],
      },
    });
  });

  it('mounts the volumes and claim templates given, and no templates when none are', () => {
    const volume = { name: 'run', emptyDir: { sizeLimit: '16Mi' } };
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } };
    const withStorage = find(buildBackend(hearth, { ...definition, volumes: [volume], claims: [claim] }), 'StatefulSet', 'acme-nats');
    assert.deepEqual(podSpecOf(withStorage).volumes, [volume]);
    assert.deepEqual(withStorage.spec?.volumeClaimTemplates, [claim]);
    const without = find(buildBackend(hearth, definition), 'StatefulSet', 'acme-nats');
    assert.deepEqual(podSpecOf(without).volumes, []);
    assert.equal(without.spec?.volumeClaimTemplates, undefined);
  });

  it('serves the client port by name; its pods’ Service also the peer ports, before the pods are ready', () => {
    const objects = buildBackend(hearth, cluster);
    const client = find(objects, 'Service', 'acme-nats').spec;
    assert.deepEqual([client?.type, client?.selector], ['ClusterIP', selector]);
    assert.deepEqual(client?.ports, [{ name: 'client', port: 4222, targetPort: 'client', protocol: 'TCP' }]);
    const pods = find(objects, 'Service', 'acme-nats-routes').spec;
    assert.deepEqual([pods?.clusterIP, pods?.publishNotReadyAddresses, pods?.selector], ['None', true, selector]);
    assert.deepEqual(pods?.ports, [
      { name: 'client', port: 4222, targetPort: 'client', protocol: 'TCP' },
      { name: 'cluster', port: 6222, targetPort: 'cluster', protocol: 'TCP' },
    ]);
  });

  it('admits the Hearth’s services (and the components named) on the client port, its own pods on the peer ports', () => {
    const peer = (components: string[]) => ({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme' },
        matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: components }],
      },
    });
    const cases: { name: string; definition: BackendDefinition; want: unknown }[] = [
      { name: 'one pod', definition, want: [{ from: [peer(['gateway', 'realtime', 'messaging'])], ports: [{ protocol: 'TCP', port: 4222 }] }] },
      {
        name: 'a cluster admitting the Sentinels',
        definition: { ...cluster, admit: ['sentinel'] },
        want: [
          { from: [peer(['gateway', 'realtime', 'messaging', 'sentinel'])], ports: [{ protocol: 'TCP', port: 4222 }] },
          { from: [peer(['nats'])], ports: [{ protocol: 'TCP', port: 6222 }] },
        ],
      },
    ];
    for (const { name, definition, want } of cases) {
      const policy = find(buildBackend(hearth, definition), 'NetworkPolicy', 'acme-nats');
      assert.deepEqual([policy.spec.podSelector, policy.spec.policyTypes], [{ matchLabels: selector }, ['Ingress']], name);
      assert.deepEqual(policy.spec.ingress, want, name);
    }
  });
});

describe('buildDisruptionBudget', () => {
  it('lets one pod of the component go at a time', () => {
    const labels = { 'app.kubernetes.io/instance': 'acme' };
    const budget = buildDisruptionBudget(hearth, 'acme-gateway', 'gateway', labels);
    assert.deepEqual(
      [budget.apiVersion, budget.kind, budget.metadata.name, budget.metadata.labels],
      ['policy/v1', 'PodDisruptionBudget', 'acme-gateway', labels],
    );
    assert.deepEqual(budget.spec, { maxUnavailable: 1, selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'gateway' } } });
    assert.equal(budget.metadata.ownerReferences?.[0]?.name, 'acme');
  });
});

describe('imageTag', () => {
  it('is what follows the last colon of the name, not a registry’s port', () => {
    const cases: [string, string | undefined][] = [
      ['postgres:16', '16'],
      ['ghcr.io/cloudnative-pg/postgresql:15.18', '15.18'],
      ['registry.local:5000/redis:7.0.15', '7.0.15'],
      ['registry.local:5000/redis', undefined],
      ['redis', undefined],
    ];
    for (const [image, want] of cases) assert.equal(imageTag(image), want, image);
  });
});
