import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1EnvVar, V1PodSpec } from '@kubernetes/client-node';
import { defaultTierContext } from './context.ts';
import { asSource, buildMigrationJob, isSameStore, migrationJobName, type DesiredJob } from './migration-job.ts';
import { hearthFixture } from './testing.ts';

const ctx = defaultTierContext;

/** name → value, or secret:<name>/<key> for a Secret reference. */
function envMap(env: readonly V1EnvVar[] | undefined): Record<string, string> {
  return Object.fromEntries((env ?? []).map((variable) => [variable.name, valueOf(variable)]));
}

function podOf(job: DesiredJob): V1PodSpec & { containers: [V1Container] } {
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0];
  if (pod === undefined || container === undefined) throw new Error(`${job.metadata.name} has no pod`);
  return { ...pod, containers: [container] };
}

function valueOf(variable: V1EnvVar): string {
  const ref = variable.valueFrom?.secretKeyRef;
  return ref === undefined ? (variable.value ?? '') : `secret:${ref.name ?? ''}/${ref.key}`;
}

describe('buildMigrationJob', () => {
  it('embedded → single: hearth migrate next to the embedded pod, its volume as the source, the single tier’s PostgreSQL as the target', () => {
    const hearth = hearthFixture({ tier: 'single', version: '0.2.0' }, {}, { tier: 'embedded' });
    const job = buildMigrationJob(hearth, ctx, { from: 'embedded', to: 'single' }, '');
    assert.equal(job.metadata.name, migrationJobName('acme', { from: 'embedded', to: 'single' }, ''));
    assert.equal(job.metadata.ownerReferences?.[0]?.uid, hearth.metadata.uid, 'owned: its end wakes the Hearth’s reconcile');
    assert.equal(job.metadata.labels['app.kubernetes.io/component'], 'migration');
    assert.equal(job.metadata.labels['app.kubernetes.io/managed-by'], 'hearth-operator', 'in the informer’s selection');
    assert.equal(job.spec?.backoffLimit, 1);
    const pod = podOf(job);
    const [container] = pod.containers;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(container.image, 'ghcr.io/hearth/hearth:0.2.0');
    assert.deepEqual(container.args, ['migrate']);
    assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError');
    const env = envMap(container.env);
    assert.equal(env['HEARTH_SOURCE_DATA_DIR'], '/var/lib/hearth-source');
    assert.equal(env['HEARTH_FILES_STORAGE'], 'postgres', 'files beside the source are copied into the target database');
    assert.equal(env['DATABASE_PASSWORD'], 'secret:acme-postgres-credentials/password');
    assert.equal(env['HEARTH_DATABASE_URL'], 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres:5432/hearth');
    assert.equal(env['HEARTH_SOURCE_DATABASE_URL'], undefined);
    assert.deepEqual(
      (pod.volumes ?? []).find((volume) => volume.name === 'source'),
      { name: 'source', persistentVolumeClaim: { claimName: 'data-acme-0' } },
    );
    assert.deepEqual(
      (container.volumeMounts ?? []).find((mount) => mount.name === 'source'),
      { name: 'source', mountPath: '/var/lib/hearth-source' },
    );
    assert.deepEqual(pod.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, [
      {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': 'all' } },
      },
    ]);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('single → clustered: the single tier’s PostgreSQL as the source, CloudNativePG’s as the target, no volume, anywhere', () => {
    const hearth = hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' });
    const job = buildMigrationJob(hearth, ctx, { from: 'single', to: 'clustered' }, 'retry-1');
    const pod = podOf(job);
    const env = envMap(pod.containers[0].env);
    assert.equal(env['SOURCE_DATABASE_PASSWORD'], 'secret:acme-postgres-credentials/password');
    assert.equal(env['HEARTH_SOURCE_DATABASE_URL'], 'postgres://hearth:$(SOURCE_DATABASE_PASSWORD)@acme-postgres:5432/hearth');
    assert.equal(env['DATABASE_PASSWORD'], 'secret:acme-postgres-app/password');
    assert.equal(env['HEARTH_DATABASE_URL'], 'postgres://hearth:$(DATABASE_PASSWORD)@acme-postgres-rw:5432/hearth');
    assert.equal(env['HEARTH_SOURCE_DATA_DIR'], undefined);
    assert.equal(pod.affinity, undefined);
    assert.equal(pod.volumes?.length, 1, 'only /tmp');
    assert.notEqual(job.metadata.name, migrationJobName('acme', { from: 'single', to: 'clustered' }, ''), 'a retry has a Job of its own');
  });

  it('names: the same for the same move and attempt, within a label value for the longest Hearth name', () => {
    const long = 'a'.repeat(40);
    const name = migrationJobName(long, { from: 'embedded', to: 'single' }, 'x');
    assert.equal(name, migrationJobName(long, { from: 'embedded', to: 'single' }, 'x'));
    assert.ok(name.length <= 63, name);
    assert.match(name, /^a{40}-migrate-[0-9a-f]{6}$/);
  });

  it('an external database in both tiers is one store: nothing to copy', () => {
    const external = hearthFixture({ tier: 'clustered', database: { external: { secretRef: { name: 'pg' } } } });
    assert.equal(isSameStore(external, { from: 'single', to: 'clustered' }), true);
    assert.equal(isSameStore(external, { from: 'embedded', to: 'single' }), false, 'SQLite to the external database');
    assert.equal(isSameStore(hearthFixture({ tier: 'clustered' }), { from: 'single', to: 'clustered' }), false);
  });

  it('asSource renames the variables and the $(VAR) references in them', () => {
    assert.deepEqual(
      asSource([
        { name: 'DATABASE_PASSWORD', value: 'p' },
        { name: 'HEARTH_DATABASE_URL', value: 'postgres://u:$(DATABASE_PASSWORD)@h/db' },
      ]),
      [
        { name: 'SOURCE_DATABASE_PASSWORD', value: 'p' },
        { name: 'HEARTH_SOURCE_DATABASE_URL', value: 'postgres://u:$(SOURCE_DATABASE_PASSWORD)@h/db' },
      ],
    );
  });
});
