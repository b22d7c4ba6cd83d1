import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredPostgres, postgresEnv, postgresSecrets } from './postgres.ts';
import { commonLabels } from './labels.ts';
import { claimsOf, containerOf, envOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const ctx = defaultTierContext;
const external = { external: { secretRef: { name: 'pg' } } };
const single = (spec: HearthSpec = {}) => hearthFixture({ tier: 'single', ...spec });
const clustered = (spec: HearthSpec = {}) => hearthFixture({ tier: 'clustered', ...spec });

describe('desiredPostgres', () => {
  it('is a StatefulSet of its own in the single tier, CloudNativePG’s Cluster in the clustered one, nothing when external', () => {
    const cases: { name: string; hearth: ReturnType<typeof single>; want: string[] }[] = [
      { name: 'single', hearth: single(), want: ['NetworkPolicy/acme-postgres', 'Service/acme-postgres', 'StatefulSet/acme-postgres'] },
      { name: 'clustered', hearth: clustered(), want: ['Cluster/acme-postgres'] },
      { name: 'single, external', hearth: single({ database: external }), want: [] },
      { name: 'clustered, external', hearth: clustered({ database: external }), want: [] },
    ];
    for (const { name, hearth, want } of cases) assert.deepEqual(kindsAndNames(desiredPostgres(hearth, ctx)), want, name);
  });

  it('runs the official image as its user, with the data in a subdirectory of the volume', () => {
    const set = find(desiredPostgres(single(), ctx), 'StatefulSet', 'acme-postgres');
    const container = containerOf(set);
    assert.equal(container.image, 'postgres:15.18');
    assert.deepEqual(container.ports, [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }]);
    assert.equal(podSpecOf(set).securityContext?.runAsUser, 999);
    assert.deepEqual(envOf(container), {
      POSTGRES_USER: 'hearth',
      POSTGRES_DB: 'hearth',
      POSTGRES_PASSWORD: 'secret:acme-postgres-credentials/password',
      PGDATA: '/var/lib/postgresql/data/pgdata',
    });
    assert.deepEqual(container.volumeMounts, [
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      { name: 'run', mountPath: '/var/run/postgresql' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    assert.deepEqual(podSpecOf(set).volumes, [
      { name: 'run', emptyDir: { sizeLimit: '16Mi' } },
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    ]);
    assert.deepEqual(container.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
  });

  it('asks pg_isready over TCP, waiting out initdb on the first start', () => {
    const container = containerOf(find(desiredPostgres(single(), ctx), 'StatefulSet', 'acme-postgres'));
    const command = ['pg_isready', '--host=127.0.0.1', '--port=5432', '--username=hearth', '--dbname=hearth'];
    const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
    for (const probe of probes) assert.deepEqual(probe?.exec?.command, command);
    assert.deepEqual(
      probes.map((probe) => [probe?.periodSeconds, probe?.timeoutSeconds, probe?.failureThreshold]),
      [
        [5, 3, 60],
        [10, 3, 6],
        [5, 3, 3],
      ],
    );
  });

  it('claims spec.database.storage.size, in spec.storage’s class, from the image spec.database.image names', () => {
    const cases: { name: string; spec: HearthSpec; want: unknown[] }[] = [
      { name: 'defaults', spec: {}, want: ['10Gi', undefined, 'postgres:15.18'] },
      {
        name: 'size, class and image',
        spec: { database: { storage: { size: '20Gi' }, image: 'registry.local/postgres:15.18' }, storage: { storageClassName: 'fast' } },
        want: ['20Gi', 'fast', 'registry.local/postgres:15.18'],
      },
    ];
    for (const { name, spec, want } of cases) {
      const set = find(desiredPostgres(single(spec), ctx), 'StatefulSet', 'acme-postgres');
      assert.deepEqual(claimsOf(set), [{ name: 'data', size: want[0], storageClass: want[1] }], name);
      const labels = set.spec?.volumeClaimTemplates?.map((claim) => claim.metadata?.labels ?? {});
      assert.deepEqual(labels, [commonLabels('acme', 'postgres')], `${name}: no version in a template's labels, which never change`);
      assert.equal(containerOf(set).image, want[2], name);
    }
  });
});

describe('postgresSecrets', () => {
  it('generates a password only for a PostgreSQL the operator runs itself', () => {
    const cases: { name: string; hearth: ReturnType<typeof single>; want: string[] }[] = [
      { name: 'single', hearth: single(), want: ['acme-postgres-credentials/password'] },
      { name: 'clustered: CloudNativePG makes its own', hearth: clustered(), want: [] },
      { name: 'external', hearth: single({ database: external }), want: [] },
    ];
    for (const { name, hearth, want } of cases) {
      const secrets = postgresSecrets(hearth);
      assert.deepEqual(
        secrets.flatMap((secret) => secret.keys.map((key) => `${secret.name}/${key.key}`)),
        want,
        name,
      );
    }
    assert.deepEqual(postgresSecrets(single())[0]?.opensVolumesOf, 'postgres', 'the password is baked into the volume at initdb');
  });
});

describe('postgresEnv', () => {
  it('gives the services the URL of the PostgreSQL they use', () => {
    const cases: { name: string; hearth: ReturnType<typeof single>; want: Record<string, string> }[] = [
      {
        name: 'single',
        hearth: single(),
        want: {
          DATABASE_PASSWORD: 'secret:acme-postgres-credentials/password',
          HEARTH_DATABASE_URL: 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres:5432/hearth',
        },
      },
      {
        name: 'clustered: the primary’s Service',
        hearth: clustered(),
        want: {
          DATABASE_PASSWORD: 'secret:acme-postgres-app/password',
          HEARTH_DATABASE_URL: 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres-rw:5432/hearth',
        },
      },
      { name: 'external', hearth: clustered({ database: external }), want: { HEARTH_DATABASE_URL: 'secret:pg/url' } },
    ];
    for (const { name, hearth, want } of cases) {
      const env = postgresEnv(hearth);
      assert.deepEqual(envOf({ name: 'hearth', env }), want, name);
      assert.equal(env.at(-1)?.name, 'HEARTH_DATABASE_URL', `${name}: the password is defined before the URL uses it`);
    }
  });
});
