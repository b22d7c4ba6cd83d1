import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { HearthSpec } from '../api/index.ts';
import { desiredClustered } from './clustered.ts';
import { defaultTierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { desiredObjects } from './desired-objects.ts';
import { containerOf, envOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const run = promisify(execFile);
const ctx = { ...defaultTierContext, cloudNativePG: true };
const clustered = (spec: HearthSpec = {}): DesiredObject[] => desiredClustered(hearthFixture({ tier: 'clustered', ...spec }), ctx);
const external = (name: string) => ({ external: { secretRef: { name } } });

const postgres = ['Cluster/acme-postgres'];
const nats = ['NetworkPolicy/acme-nats', 'Service/acme-nats', 'Service/acme-nats-routes', 'StatefulSet/acme-nats', 'PodDisruptionBudget/acme-nats'];
const redis = [
  'NetworkPolicy/acme-redis',
  'Service/acme-redis-pods',
  'StatefulSet/acme-redis',
  'PodDisruptionBudget/acme-redis',
  'NetworkPolicy/acme-sentinel',
  'Service/acme-sentinel',
  'StatefulSet/acme-sentinel',
  'PodDisruptionBudget/acme-sentinel',
];
const services = ['gateway', 'realtime', 'messaging'].flatMap((service) => [
  `Deployment/acme-${service}`,
  ...(service === 'messaging' ? [] : [`Service/acme-${service}`]),
  `HorizontalPodAutoscaler/acme-${service}`,
  `PodDisruptionBudget/acme-${service}`,
]);

describe('desiredClustered', () => {
  it('builds these kinds and names', () => {
    const cases: { name: string; spec: HearthSpec; want: string[] }[] = [
      { name: 'CloudNativePG, a NATS cluster, Redis with Sentinels', spec: {}, want: [...postgres, ...nats, ...redis, ...services] },
      { name: 'external PostgreSQL', spec: { database: external('pg') }, want: [...nats, ...redis, ...services] },
      { name: 'external NATS and Redis', spec: { nats: external('nats'), redis: external('redis') }, want: [...postgres, ...services] },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(kindsAndNames(clustered(spec)), want, name);
  });

  it('runs two of each service by default, each autoscaled from the replicas asked for, never set on the Deployment', () => {
    const cases: { name: string; spec: HearthSpec; want: [number, number, number] }[] = [
      { name: 'defaults', spec: {}, want: [2, 6, 80] },
      { name: 'replicas 3', spec: { services: { gateway: { replicas: 3 } } }, want: [3, 9, 80] },
      {
        name: 'autoscaling of its own',
        spec: { services: { gateway: { replicas: 3, autoscaling: { minReplicas: 4, maxReplicas: 20, targetCPUUtilizationPercentage: 60 } } } },
        want: [4, 20, 60],
      },
      { name: 'autoscaling without a floor', spec: { services: { gateway: { autoscaling: { maxReplicas: 5 } } } }, want: [1, 5, 80] },
    ];
    for (const { name, spec, want } of cases) {
      const objects = clustered(spec);
      const autoscaler = find(objects, 'HorizontalPodAutoscaler', 'acme-gateway').spec;
      assert.deepEqual([autoscaler?.minReplicas, autoscaler?.maxReplicas, autoscaler?.metrics?.[0]?.resource?.target.averageUtilization], want, name);
      assert.equal(find(objects, 'Deployment', 'acme-gateway').spec?.replicas, undefined, `${name}: the autoscaler sets the count`);
    }
  });

  it('keeps each service up through a drain and spreads it over nodes and zones', () => {
    const objects = clustered();
    for (const service of ['gateway', 'realtime', 'messaging']) {
      const budget = find(objects, 'PodDisruptionBudget', `acme-${service}`);
      assert.deepEqual(budget.spec, {
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': service } },
      });
      const spread = podSpecOf(find(objects, 'Deployment', `acme-${service}`)).topologySpreadConstraints?.map((c) => [
        c.topologyKey,
        c.maxSkew,
        c.whenUnsatisfiable,
      ]);
      assert.deepEqual(spread, [
        ['kubernetes.io/hostname', 1, 'ScheduleAnyway'],
        ['topology.kubernetes.io/zone', 1, 'ScheduleAnyway'],
      ]);
    }
  });

  it('delegates PostgreSQL to a CloudNativePG Cluster the Hearth does not own, with a synchronous standby', () => {
    const cases: { name: string; spec: HearthSpec; want: unknown }[] = [
      { name: 'defaults', spec: {}, want: [3, '10Gi', undefined, 'required', 'ghcr.io/cloudnative-pg/postgresql:15.18'] },
      {
        name: 'two instances, a class, a size and an image',
        spec: {
          database: { instances: 2, storage: { size: '50Gi' }, image: 'registry.acme.example/postgresql:15.19' },
          storage: { storageClassName: 'fast' },
        },
        // With one standby, requiring it would stop every write while it is down.
        want: [2, '50Gi', 'fast', 'preferred', 'registry.acme.example/postgresql:15.19'],
      },
    ];
    for (const { name, spec, want } of cases) {
      const cluster = find(clustered(spec), 'Cluster', 'acme-postgres');
      assert.equal(cluster.metadata.ownerReferences, undefined, name);
      assert.deepEqual(cluster.spec.bootstrap.initdb, { database: 'hearth', owner: 'hearth' }, name);
      assert.deepEqual(
        [
          cluster.spec.instances,
          cluster.spec.storage.size,
          cluster.spec.storage.storageClass,
          cluster.spec.postgresql.synchronous.dataDurability,
          cluster.spec.imageName,
        ],
        want,
        name,
      );
    }
  });

  it('gives the services the Cluster’s primary and app Secret, the NATS cluster with its password and R3, and the Sentinels', () => {
    const env = envOf(containerOf(find(clustered(), 'Deployment', 'acme-messaging')));
    assert.equal(env['DATABASE_PASSWORD'], 'secret:acme-postgres-app/password');
    assert.equal(env['HEARTH_DATABASE_URL'], 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres-rw:5432/hearth');
    assert.equal(env['NATS_PASSWORD'], 'secret:acme-nats-credentials/password');
    assert.equal(env['HEARTH_NATS_URL'], 'nats://hearth:$(NATS_PASSWORD)@acme-nats:4222');
    assert.equal(env['HEARTH_NATS_STREAM_REPLICAS'], '3');
    assert.equal(
      env['HEARTH_REDIS_URL'],
      'redis-sentinel://:$(REDIS_PASSWORD)@acme-sentinel-0.acme-sentinel:26379,acme-sentinel-1.acme-sentinel:26379,acme-sentinel-2.acme-sentinel:26379/hearth',
    );
    const externals = envOf(
      containerOf(find(clustered({ database: external('pg'), nats: external('nats'), redis: external('redis') }), 'Deployment', 'acme-gateway')),
    );
    assert.deepEqual(
      [externals['HEARTH_DATABASE_URL'], externals['HEARTH_NATS_URL'], externals['HEARTH_REDIS_URL']],
      ['secret:pg/url', 'secret:nats/url', 'secret:redis/url'],
    );
  });

  it('runs NATS as a cluster of 3 or 5 routed to each other with passwords, spread over nodes, the stream on at most 3', () => {
    for (const replicas of [3, 5]) {
      const objects = clustered({ nats: { replicas } });
      const set = find(objects, 'StatefulSet', 'acme-nats');
      assert.deepEqual([set.spec?.replicas, set.spec?.serviceName], [replicas, 'acme-nats-routes']);
      const args = containerOf(set).args ?? [];
      const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
      assert.deepEqual([after('--user'), after('--pass'), after('--cluster_name')], ['hearth', '$(NATS_PASSWORD)', 'acme']);
      assert.equal(after('--cluster'), 'nats://route:$(NATS_ROUTE_PASSWORD)@0.0.0.0:6222');
      assert.deepEqual(
        after('--routes')?.split(','),
        Array.from({ length: replicas }, (_, i) => `nats://route:$(NATS_ROUTE_PASSWORD)@acme-nats-${i}.acme-nats-routes:6222`),
      );
      assert.equal(envOf(containerOf(find(objects, 'Deployment', 'acme-realtime')))['HEARTH_NATS_STREAM_REPLICAS'], '3');
      const antiAffinity = podSpecOf(set).affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm.topologyKey;
      assert.equal(antiAffinity, 'kubernetes.io/hostname');
    }
  });

  it('gives the NATS servers a headless Service for their routes, the route port open to NATS servers only', () => {
    for (const replicas of [3, 5]) {
      const objects = clustered({ nats: { replicas } });
      const routes = find(objects, 'Service', 'acme-nats-routes').spec;
      assert.deepEqual([routes?.clusterIP, routes?.publishNotReadyAddresses, routes?.ports?.map((p) => p.port)], ['None', true, [4222, 6222]]);
      const policy = find(objects, 'NetworkPolicy', 'acme-nats').spec;
      assert.deepEqual(
        policy.ingress?.map((rule) => [rule.from?.[0]?.podSelector?.matchExpressions?.[0]?.values, rule.ports?.map((p) => p.port)]),
        [
          [['gateway', 'realtime', 'messaging'], [4222]],
          [['nats'], [6222]],
        ],
        'clients on 4222, other NATS servers on the route port',
      );
    }
  });

  it('generates the NATS passwords, and no PostgreSQL password (CloudNativePG makes its own)', () => {
    const result = desiredObjects(hearthFixture({ tier: 'clustered' }), ctx);
    assert.ok(result.ok);
    assert.deepEqual(
      result.secrets.map((secret) => [secret.name, secret.keys.map((key) => key.key)]),
      [
        ['acme-session-key', ['key']],
        ['acme-nats-credentials', ['password', 'routePassword']],
        ['acme-redis-credentials', ['password']],
      ],
    );
  });

  it('runs Redis as a master and a replica, with three Sentinels; only they and the services reach Redis', () => {
    const objects = clustered();
    assert.deepEqual([find(objects, 'StatefulSet', 'acme-redis').spec?.replicas, find(objects, 'StatefulSet', 'acme-sentinel').spec?.replicas], [2, 3]);
    const redisPolicy = find(objects, 'NetworkPolicy', 'acme-redis').spec;
    assert.deepEqual(
      redisPolicy.ingress?.map((rule) => rule.from?.[0]?.podSelector?.matchExpressions?.[0]?.values),
      [['gateway', 'realtime', 'messaging', 'sentinel'], ['redis']],
    );
    const env = envOf(containerOf(find(objects, 'StatefulSet', 'acme-redis')));
    assert.deepEqual([env['ME'], env['FIRST_MASTER']], ['$(POD_NAME).acme-redis-pods', 'acme-redis-0.acme-redis-pods']);
  });

  it('starts Redis and the Sentinels with scripts a POSIX shell parses', async () => {
    const objects = clustered();
    for (const name of ['acme-redis', 'acme-sentinel']) {
      const [shell, flag, script] = containerOf(find(objects, 'StatefulSet', name)).command ?? [];
      assert.deepEqual([shell, flag], ['sh', '-c'], name);
      // dash is Debian's sh, as in the official redis image; -n reads without running.
      await run('dash', ['-n', '-c', script ?? '']);
      assert.match(script ?? '', /exec redis-server/, name);
    }
  });

  it('says there is no PostgreSQL to run on when CloudNativePG is missing and nothing is external', () => {
    const missing = desiredObjects(hearthFixture({ tier: 'clustered' }), defaultTierContext);
    assert.equal(missing.ok ? '' : missing.error.code, 'DatabaseNotAvailable');
    assert.ok(
      desiredObjects(hearthFixture({ tier: 'clustered', database: external('pg') }), defaultTierContext).ok,
      'an external database needs no CloudNativePG',
    );
  });
});
