import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { buildPostgresCluster, cloudNativePGEnv, cloudNativePGGroupVersion, postgresInstances } from './cloudnative-pg.ts';
import { envOf, hearthFixture } from './testing.ts';

const clustered = (spec: HearthSpec = {}) => hearthFixture({ tier: 'clustered', ...spec });

describe('buildPostgresCluster', () => {
  it('is a Cluster of CloudNativePG’s group, not owned by the Hearth (it owns the data)', () => {
    const cluster = buildPostgresCluster(clustered());
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
      const { spec } = buildPostgresCluster(hearth);
      assert.deepEqual([spec.instances, spec.postgresql.synchronous.dataDurability], want, String(instances));
      assert.deepEqual([spec.postgresql.synchronous.method, spec.postgresql.synchronous.number], ['any', 1], String(instances));
      assert.equal(postgresInstances(hearth), want[0]);
    }
  });

  it('takes the size, class and image from the spec, and leaves CloudNativePG its own image otherwise', () => {
    const cases: { name: string; spec: HearthSpec; storage: unknown; imageName: string | undefined }[] = [
      { name: 'defaults', spec: {}, storage: { size: '10Gi' }, imageName: undefined },
      {
        name: 'a size in bytes, a class, an image',
        spec: { database: { storage: { size: 21474836480 }, image: 'ghcr.io/cloudnative-pg/postgresql:15.18' }, storage: { storageClassName: 'fast' } },
        storage: { size: '21474836480', storageClass: 'fast' },
        imageName: 'ghcr.io/cloudnative-pg/postgresql:15.18',
      },
    ];
    for (const { name, spec, storage, imageName } of cases) {
      const cluster = buildPostgresCluster(clustered(spec));
      assert.deepEqual(cluster.spec.storage, storage, name);
      assert.equal(cluster.spec.imageName, imageName, name);
      assert.equal('imageName' in cluster.spec, imageName !== undefined, `${name}: no imageName key without an image`);
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
