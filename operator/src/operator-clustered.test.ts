// The clustered tier, reconciled by `node operator/src/main.ts` against a real kube-apiserver: with
// no PostgreSQL to run on it says what to install and creates nothing; once CloudNativePG's CRDs
// are installed (the published ones, ../shared/fixtures/crds) it creates every object, the
// Cluster among them, and the API server accepts each; deleting the Hearth keeps the Cluster (and
// the volumes it owns) unless spec.storage.retainOnDelete is false.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, thirdPartyCrd, type Child } from '@hearth/harness';
import type { Condition } from './api/index.ts';
import { eventually } from '@hearth/kube-runtime/testing';
import { e2eTarget, skipUnlessControlPlane, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { examples, operatorTestKit, type Item } from './operator-test-support.ts';

interface StoredCluster {
  metadata: { name: string; uid: string; ownerReferences?: { uid: string }[] };
  spec: { instances: number; storage: { size: string }; bootstrap: { initdb: { database: string; owner: string } } };
}

const target = e2eTarget(process.env);
/** Installing CloudNativePG's CRDs into someone's cluster is not a test's to do. */
const onTheTestControlPlane = { skip: skipUnlessControlPlane(target, 'installs CloudNativePG’s CRDs') };

describe('the clustered tier on a real API server', { timeout: suiteTimeoutMs(target, 300_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;
  const { kubectl, getJson, exists, hearthOf, owned, applyExample, markReady, isHearthReady, statusPatch, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const condition = async (name: string, type: string): Promise<Condition | undefined> =>
    (await hearthOf(name)).status?.conditions?.find((c) => c.type === type);
  const postgresCluster = (name: string): Promise<StoredCluster> => getJson<StoredCluster>('clusters.postgresql.cnpg.io', `${name}-postgres`);

  before(async () => {
    cluster = await startE2eCluster('clustered');
    metricsPort = await freePort();
    operator = await startOperator(metricsPort, { HEARTH_OPERATOR_LEADER_ELECTION: 'false', HEARTH_OPERATOR_DISCOVERY_SECONDS: '1' });
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it(
    'without CloudNativePG nor an external database: Pending, Ready=False saying what to install or set, and nothing created',
    onTheTestControlPlane,
    async () => {
      await applyExample(examples.clustered, 'umbrella');
      await eventually(
        'the DatabaseNotAvailable condition',
        async () => (await condition('umbrella', 'Ready'))?.reason === 'DatabaseNotAvailable',
        20_000,
        200,
      );
      const ready = await condition('umbrella', 'Ready');
      assert.equal(ready?.status, 'False');
      assert.match(ready?.message ?? '', /install CloudNativePG \(its postgresql\.cnpg\.io CRDs and operator\), or set spec\.database\.external\.secretRef/);
      assert.equal((await hearthOf('umbrella')).status?.phase, 'Pending');
      assert.deepEqual(
        (await owned('umbrella')).map((item) => `${item.kind}/${item.metadata.name}`),
        [],
        'no pod that would crash for want of a database',
      );
    },
  );

  it(
    'once CloudNativePG is installed: every object, the Cluster not owned by the Hearth, and Ready once the Cluster and every workload are',
    onTheTestControlPlane,
    async () => {
      // prometheus-operator's too, as a cluster that runs Hearth usually has them: nothing of Hearth may clash with them.
      for (const crd of ['cloudNativePG', 'serviceMonitors', 'podMonitors', 'prometheusRules'] as const)
        await kubectl('apply', '--server-side', '-f', await thirdPartyCrd(crd));
      await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/clusters.postgresql.cnpg.io', 'crd/servicemonitors.monitoring.coreos.com');
      await eventually('the Cluster', () => exists('clusters.postgresql.cnpg.io', 'umbrella-postgres'), 30_000, 250);
      const expected = [
        'Deployment/umbrella-gateway',
        'Deployment/umbrella-messaging',
        'Deployment/umbrella-realtime',
        'HorizontalPodAutoscaler/umbrella-gateway',
        'HorizontalPodAutoscaler/umbrella-messaging',
        'HorizontalPodAutoscaler/umbrella-realtime',
        'Ingress/umbrella',
        'NetworkPolicy/umbrella-nats',
        'NetworkPolicy/umbrella-redis',
        'NetworkPolicy/umbrella-sentinel',
        'PodDisruptionBudget/umbrella-gateway',
        'PodDisruptionBudget/umbrella-messaging',
        'PodDisruptionBudget/umbrella-nats',
        'PodDisruptionBudget/umbrella-realtime',
        'PodDisruptionBudget/umbrella-redis',
        'PodDisruptionBudget/umbrella-sentinel',
        'Secret/umbrella-nats-credentials',
        'Secret/umbrella-redis-credentials',
        'Secret/umbrella-session-key',
        'Service/umbrella-gateway',
        'Service/umbrella-nats',
        'Service/umbrella-nats-routes',
        'Service/umbrella-realtime',
        'Service/umbrella-redis-pods',
        'Service/umbrella-sentinel',
        'StatefulSet/umbrella-nats',
        'StatefulSet/umbrella-redis',
        'StatefulSet/umbrella-sentinel',
      ];
      const names = async (): Promise<string[]> => (await owned('umbrella')).map((item) => `${item.kind}/${item.metadata.name}`).sort();
      await eventually('every object of the clustered tier', async () => (await names()).length === expected.length, 30_000, 250);
      assert.deepEqual(await names(), expected);

      const postgres = await postgresCluster('umbrella');
      assert.equal(
        postgres.metadata.ownerReferences,
        undefined,
        'the Hearth does not own the Cluster: the garbage collector would delete the database with it',
      );
      assert.deepEqual(
        [postgres.spec.instances, postgres.spec.storage.size, postgres.spec.bootstrap.initdb],
        [3, '20Gi', { database: 'hearth', owner: 'hearth' }],
      );
      const sets = await getJson<{ items: Item[] }>('statefulsets', '-l', 'app.kubernetes.io/instance=umbrella');
      assert.deepEqual(
        sets.items.map((set) => [set.metadata.name, set.spec?.replicas]),
        [
          ['umbrella-nats', 3],
          ['umbrella-redis', 2],
          ['umbrella-sentinel', 3],
        ],
      );
      const gateway = await getJson<{ spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(
        'deployment',
        'umbrella-gateway',
      );
      const env = Object.fromEntries((gateway.spec.template.spec.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
      assert.equal(env['HEARTH_DATABASE_URL'], 'postgres://hearth:$(DATABASE_PASSWORD)@umbrella-postgres-rw:5432/hearth');
      assert.equal(env['HEARTH_NATS_URL'], 'nats://hearth:$(NATS_PASSWORD)@umbrella-nats:4222');
      assert.equal(env['HEARTH_NATS_STREAM_REPLICAS'], '3');
      assert.match(env['HEARTH_REDIS_URL'] ?? '', /^redis-sentinel:\/\/:\$\(REDIS_PASSWORD\)@umbrella-sentinel-0\.umbrella-sentinel:26379,.*\/hearth$/);

      await markReady('umbrella');
      await eventually(
        'waiting on the Cluster',
        async () => /Cluster umbrella-postgres: 0 of 3 PostgreSQL instances ready/.test((await condition('umbrella', 'Ready'))?.message ?? ''),
        20_000,
        200,
      );
      assert.equal(await isHearthReady('umbrella'), false);
      // What CloudNativePG reports once its instances run.
      await statusPatch('clusters.postgresql.cnpg.io', 'umbrella-postgres', { instances: 3, readyInstances: 3, phase: 'Cluster in healthy state' });
      await eventually('umbrella Ready', () => isHearthReady('umbrella'), 20_000, 200);
    },
  );

  it('deleted with retainOnDelete true: the Cluster stays, and with it the owner chain of its volumes; with false it goes', onTheTestControlPlane, async () => {
    const postgres = await postgresCluster('umbrella');
    // A volume claim as CloudNativePG makes it: owned by its Cluster.
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'umbrella-postgres-1',
        labels: { 'cnpg.io/cluster': 'umbrella-postgres' },
        ownerReferences: [{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: postgres.metadata.name, uid: postgres.metadata.uid, controller: true }],
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
    };
    const file = path.join(cluster.work, 'cnpg-claim.json');
    await writeFile(file, JSON.stringify(claim));
    await kubectl('create', '-f', file);

    await kubectl('delete', 'hearth', 'umbrella', '--wait=false');
    await eventually('umbrella gone', async () => !(await exists('hearth', 'umbrella')), 30_000, 250);
    const kept = await postgresCluster('umbrella');
    assert.equal(kept.metadata.uid, postgres.metadata.uid, 'the same Cluster, never deleted');
    assert.equal(kept.metadata.ownerReferences, undefined);
    const volume = await getJson<{ metadata: { ownerReferences?: { kind: string; uid: string }[]; deletionTimestamp?: string } }>('pvc', 'umbrella-postgres-1');
    assert.deepEqual(
      volume.metadata.ownerReferences?.map((owner) => [owner.kind, owner.uid]),
      [['Cluster', postgres.metadata.uid]],
    );
    assert.equal(volume.metadata.deletionTimestamp, undefined);
    const events = await getJson<{ items: { reason: string; message: string }[] }>('events', '--field-selector', 'involvedObject.name=umbrella');
    assert.ok(
      events.items.some((event) => event.reason === 'Retained' && event.message.includes('Cluster umbrella-postgres')),
      'the Retained event names the Cluster',
    );

    // A new Hearth of the same name takes the kept Cluster over; deleted with retainOnDelete false, the Cluster goes.
    await applyExample(examples.clustered, 'umbrella');
    await kubectl('patch', 'hearth', 'umbrella', '--type=merge', '-p', JSON.stringify({ spec: { storage: { retainOnDelete: false } } }));
    await eventually('the new Hearth reconciled', async () => (await owned('umbrella')).some((item) => item.kind === 'Deployment'), 30_000, 250);
    await kubectl('delete', 'hearth', 'umbrella', '--wait=false');
    await eventually('umbrella gone', async () => !(await exists('hearth', 'umbrella')), 30_000, 250);
    assert.equal(await exists('clusters.postgresql.cnpg.io', 'umbrella-postgres'), false, 'the Cluster deleted with the Hearth');
  });

  it('a tier change from single down, or up with a spec the clustered tier refuses, is refused; the single tier goes on being reconciled', async () => {
    await applyExample(examples.single, 'globex');
    await eventually('the gateway Service', () => exists('service', 'globex-gateway'), 30_000, 250);
    await assert.rejects(
      kubectl('patch', 'hearth', 'globex', '--type=merge', '-p', JSON.stringify({ spec: { tier: 'embedded' } })),
      /spec\.tier: Forbidden: spec\.tier may only move one step up from the tier that serves/,
    );
    // The example's standalone Redis would be a single point of failure: a move must drop it (docs/operator.md#migrate-to-a-higher-tier).
    await assert.rejects(
      kubectl('patch', 'hearth', 'globex', '--type=merge', '-p', JSON.stringify({ spec: { tier: 'clustered' } })),
      /spec\.redis\.mode standalone would be a single point of failure/,
    );
    await kubectl('delete', 'service', 'globex-gateway');
    await eventually('the gateway Service restored', () => exists('service', 'globex-gateway'), 30_000, 250);
  });
});
