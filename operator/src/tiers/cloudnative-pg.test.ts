import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { buildPostgresCluster, cloudNativePGEnv, cloudNativePGGroupVersion, postgresInstances } from './cloudnative-pg.ts';
import { defaultTierContext, type TierContext } from './context.ts';
import { envOf, hearthFixture } from './testing.ts';

const clustered = (spec: HearthSpec = {}) => hearthFixture({ tier: 'clustered', ...spec });

describe('buildPostgresCluster', () => {
  it('is a Cluster of CloudNativePG’s group, not owned by the Hearth (it owns the data)', () => {
    const cluster = buildPostgresCluster(clustered(), defaultTierContext);
    assert.deepEqual(
      [cluster.apiVersion, cluster.kind, cluster.metadata.name, cluster.metadata.namespace],
      [cloudNativePGGroupVersion, 'Cluster', 'acme-postgres', 'chat'],
    );
    assert.equal(cloudNativePGGroupVersion, 'postgresql.cnpg.io/v1');
    assert.equal(cluster.metadata.ownerReferences, undefined);
    assert.equal(cluster.metadata.labels['app.kubernetes.io/component'], 'postgres');
    assert.deepEqual(cluster.spec.bootstrap, { initdb: { database: 'hearth', owner: 'hearth' } });
    assert.deepEqual(cluster.spec.affinity, { enablePodAntiAffinity: true, podAntiAffinityType: 'preferred', topologyKey: 'kubernetes.io/hostname' });
  });

  it('requires a synchronous standby from 3 instances, prefers one with 2', () => {
    const cases: { instances: number | undefined; want: [number, string] }[] = [
      { instances: undefined, want: [3, 'required'] },
      { instances: 2, want: [2, 'preferred'] },
      { instances: 3, want: [3, 'required'] },
      { instances: 5, want: [5, 'required'] },
    ];
    for (const { instances, want } of cases) {
      const hearth = clustered(instances === undefined ? {} : { database: { instances } });
      const { spec } = buildPostgresCluster(hearth, defaultTierContext);
      assert.deepEqual([spec.instances, spec.postgresql.synchronous.dataDurability], want, String(instances));
      assert.deepEqual([spec.postgresql.synchronous.method, spec.postgresql.synchronous.number], ['any', 1], String(instances));
      assert.equal(postgresInstances(hearth), want[0]);
    }
  });

  it('takes the size, class and image from the spec, else the operator’s pinned image, never CloudNativePG’s moving default', () => {
    const mirror = { ...defaultTierContext, backendImages: { ...defaultTierContext.backendImages, cloudNativePG: 'mirror.acme.example/postgresql:15.18' } };
    const cases: { name: string; spec: HearthSpec; ctx: TierContext; storage: unknown; imageName: string }[] = [
      { name: 'defaults', spec: {}, ctx: defaultTierContext, storage: { size: '10Gi' }, imageName: 'ghcr.io/cloudnative-pg/postgresql:15.18' },
      { name: 'the operator’s mirror', spec: {}, ctx: mirror, storage: { size: '10Gi' }, imageName: 'mirror.acme.example/postgresql:15.18' },
      {
        name: 'a size in bytes, a class, an image',
        spec: { database: { storage: { size: 21474836480 }, image: 'registry.acme.example/postgresql:15.19' }, storage: { storageClassName: 'fast' } },
        ctx: mirror,
        storage: { size: '21474836480', storageClass: 'fast' },
        imageName: 'registry.acme.example/postgresql:15.19',
      },
    ];
    for (const { name, spec, ctx, storage, imageName } of cases) {
      const cluster = buildPostgresCluster(clustered(spec), ctx);
      assert.deepEqual(cluster.spec.storage, storage, name);
      assert.equal(cluster.spec.imageName, imageName, name);
    }
  });
});

describe('cloudNativePGEnv', () => {
  it('reaches the primary through its Service with the app user’s generated password, defined first', () => {
    const env = cloudNativePGEnv(clustered());
    assert.deepEqual(envOf({ name: 'hearth', env }), {
      DATABASE_PASSWORD: 'secret:acme-postgres-app/password',
      HEARTH_DATABASE_URL: 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres-rw:5432/hearth',
    });
    assert.deepEqual(
      env.map((variable) => variable.name),
      ['DATABASE_PASSWORD', 'HEARTH_DATABASE_URL'],
    );
  });
});
