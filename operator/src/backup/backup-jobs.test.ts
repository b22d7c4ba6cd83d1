import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1EnvVar, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import type { ArchiveDestination, HearthBackup } from '../api/index.ts';
import { defaultTierContext } from '../tiers/index.ts';
import { hearthFixture } from '../tiers/testing.ts';
import { archiveLocationOf, archivePlace } from './archive-job.ts';
import { buildBackupCronJob, buildBackupJob, hearthSpecAnnotation } from './backup-jobs.ts';

const s3: ArchiveDestination = {
  s3: { bucket: 'acme-backups', prefix: 'hearth/prod', endpoint: 'http://seaweed:8333', region: 'eu-west-1', credentialsSecretRef: { name: 'backup-s3' } },
};
const claim: ArchiveDestination = { volumeClaim: { claimName: 'backups', path: 'acme' } };

function backupOf(destination: ArchiveDestination): HearthBackup {
  return {
    apiVersion: 'hearth.dev/v1alpha1',
    kind: 'HearthBackup',
    metadata: { name: 'nightly', namespace: 'chat', uid: 'b-uid', generation: 1 },
    spec: { hearthName: 'acme', destination },
  };
}

const envOf = (env: readonly V1EnvVar[] | undefined): Record<string, string> =>
  Object.fromEntries(
    (env ?? []).map((variable) => [
      variable.name,
      variable.value ?? `secret:${variable.valueFrom?.secretKeyRef?.name}/${variable.valueFrom?.secretKeyRef?.key}`,
    ]),
  );

describe('where an archive goes, and where the status says it is', () => {
  const places: readonly (readonly [ArchiveDestination, string])[] = [
    [s3, 's3://acme-backups/hearth/prod'],
    [{ s3: { bucket: 'acme-backups', credentialsSecretRef: { name: 'k' } } }, 's3://acme-backups'],
    [claim, '/var/lib/hearth-archives/acme'],
    [{ volumeClaim: { claimName: 'backups' } }, '/var/lib/hearth-archives'],
  ];
  for (const [destination, place] of places) it(`writes to ${place}`, () => assert.equal(archivePlace(destination), place));

  const locations: readonly (readonly [string, ArchiveDestination, string])[] = [
    ['/var/lib/hearth-archives/acme/hearth-20261205T020000.000Z.ndjson.gz', claim, 'backups:acme/hearth-20261205T020000.000Z.ndjson.gz'],
    ['s3://acme-backups/hearth/prod/hearth-20261205T020000.000Z.ndjson.gz', s3, 's3://acme-backups/hearth/prod/hearth-20261205T020000.000Z.ndjson.gz'],
  ];
  for (const [reported, destination, shown] of locations)
    it(`shows ${reported} as ${shown}`, () => assert.equal(archiveLocationOf(reported, destination), shown));
});

/** A volume as its name and what it is of: a claim, or a downward-API field. */
function volumeSource(volume: V1Volume): [string, string] {
  return [volume.name, volume.persistentVolumeClaim?.claimName ?? volume.downwardAPI?.items?.[0]?.fieldRef?.fieldPath ?? ''];
}

describe('a HearthBackup’s Job', () => {
  const hearth = hearthFixture({ backup: { schedule: '@daily', retention: 3, destination: claim } });
  const job = buildBackupJob(backupOf(claim), hearth, defaultTierContext);
  const pod = job.spec?.template.spec;

  it('is named after the HearthBackup, which owns it', () => {
    assert.equal(job.metadata.name, 'nightly-backup');
    assert.deepEqual(
      job.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.controller]),
      [['HearthBackup', 'nightly', true]],
    );
    assert.equal(job.metadata.labels['app.kubernetes.io/component'], 'backup');
  });

  it('runs hearth backup with the spec as a file and the location as its termination message', () => {
    const container = pod?.containers[0];
    assert.deepEqual(container?.args, [
      'backup',
      '--to',
      '/var/lib/hearth-archives/acme',
      '--spec',
      '/etc/hearth-backup/spec.json',
      '--location-file',
      '/dev/termination-log',
    ]);
    assert.equal(container?.image, 'ghcr.io/hearth/hearth:0.1.0');
    assert.equal(envOf(container?.env)['HEARTH_DATA_DIR'], '/var/lib/hearth');
    assert.equal(pod?.restartPolicy, 'Never');
    const spec = JSON.parse(job.spec?.template.metadata?.annotations?.[hearthSpecAnnotation] ?? '{}') as Record<string, unknown>;
    assert.equal(spec['tier'], 'embedded');
    assert.equal(spec['backup'], undefined, 'the schedule is not part of what is restored');
  });

  it('mounts the embedded claim and the archives’ claim, next to the embedded pod (ReadWriteOnce)', () => {
    assert.deepEqual((pod?.volumes ?? []).map(volumeSource), [
      ['tmp', ''],
      ['hearth-spec', "metadata.annotations['hearth.dev/hearth-spec']"],
      ['store', 'data-acme-0'],
      ['archives', 'backups'],
    ]);
    assert.deepEqual(pod?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.labelSelector?.matchLabels, {
      'app.kubernetes.io/name': 'hearth',
      'app.kubernetes.io/instance': 'acme',
      'app.kubernetes.io/component': 'all',
    });
  });

  it('reaches a server tier’s PostgreSQL with its credentials, and S3 with the key from its Secret, on any node', () => {
    const hearth = hearthFixture({ tier: 'single' });
    const pod = buildBackupJob(backupOf(s3), hearth, defaultTierContext).spec?.template.spec;
    const env = envOf(pod?.containers[0]?.env);
    assert.equal(env['DATABASE_PASSWORD'], 'secret:acme-postgres-credentials/password');
    assert.match(env['HEARTH_DATABASE_URL'] ?? '', /^postgres:\/\/hearth:\$\(DATABASE_PASSWORD\)@acme-postgres:5432\/hearth$/);
    assert.equal(env['HEARTH_DATA_DIR'], undefined);
    assert.equal(env['HEARTH_FILES_STORAGE'], 'postgres', 'the files in the database go into the archive');
    assert.equal(env['HEARTH_S3_ENDPOINT'], 'http://seaweed:8333');
    assert.equal(env['HEARTH_S3_REGION'], 'eu-west-1');
    assert.equal(env['AWS_ACCESS_KEY_ID'], 'secret:backup-s3/AWS_ACCESS_KEY_ID');
    assert.equal(env['AWS_SECRET_ACCESS_KEY'], 'secret:backup-s3/AWS_SECRET_ACCESS_KEY');
    assert.equal(pod?.affinity, undefined);
    assert.deepEqual(
      pod?.volumes?.map((volume) => volume.name),
      ['tmp', 'hearth-spec'],
    );
  });
});

describe('spec.backup’s CronJob', () => {
  it('runs the same container with --retention on the schedule, never two at once, owned by the Hearth', () => {
    const hearth = hearthFixture({ backup: { schedule: '0 3 * * *', timeZone: 'Europe/Paris', retention: 7, destination: s3 } });
    const cron = buildBackupCronJob(hearth, hearth.spec.backup!, defaultTierContext);
    assert.equal(cron.metadata.name, 'acme-backup');
    assert.equal(cron.spec?.schedule, '0 3 * * *');
    assert.equal(cron.spec?.timeZone, 'Europe/Paris');
    assert.equal(cron.spec?.concurrencyPolicy, 'Forbid');
    assert.deepEqual(
      cron.metadata.ownerReferences?.map((owner) => owner.kind),
      ['Hearth'],
    );
    assert.deepEqual(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args?.slice(-4), [
      '--location-file',
      '/dev/termination-log',
      '--retention',
      '7',
    ]);
  });
});

/** The backup container's args, the pod's Secret volumes and the container's mounts under /var/run/hearth. */
function secretsSeenBy(pod: V1PodSpec | undefined): { args: string[]; volumes: unknown[]; mounts: unknown[] } {
  const container = pod?.containers[0];
  const volumes = (pod?.volumes ?? []).filter((volume) => volume.secret !== undefined).map((volume) => [volume.name, volume.secret]);
  const mounts = (container?.volumeMounts ?? []).filter((m) => m.mountPath.startsWith('/var/run/hearth')).map((m) => [m.name, m.mountPath, m.readOnly]);
  return { args: container?.args ?? [], volumes, mounts };
}

describe('a backup with includeSecrets', () => {
  const includeSecrets = { keySecretRef: { name: 'archive-key', key: 'passphrase' } };
  const hearth = hearthFixture({ auth: { oidc: { issuerURL: 'https://id.example', clientID: 'hearth', clientSecretRef: { name: 'oidc' } } } });
  const backup = { ...backupOf(s3), spec: { ...backupOf(s3).spec, includeSecrets } };
  const table: readonly (readonly [string, HearthBackup, readonly string[], boolean])[] = [
    ['mounts each Secret and the key, and passes the flags', backup, ['oidc', 'chat-tls'], true],
    ['passes no flag when there is no Secret to keep (the CLI refuses an empty --secrets-dir)', backup, [], false],
    ['passes no flag without includeSecrets, whatever Secrets there are', backupOf(s3), ['oidc'], false],
  ];
  for (const [name, given, names, included] of table)
    it(name, () => {
      const pod = buildBackupJob(given, hearth, defaultTierContext, names).spec?.template.spec;
      const seen = secretsSeenBy(pod);
      const flags = ['--include-secrets', '--secrets-dir', '/var/run/hearth/secrets', '--key-file', '/var/run/hearth/archive-key/key'];
      assert.deepEqual(seen.args.slice(7), included ? flags : []);
      if (!included) return assert.deepEqual([seen.volumes, seen.mounts], [[], []]);
      assert.deepEqual(seen.volumes, [
        ['secret-0', { secretName: 'oidc', defaultMode: 0o400 }],
        ['secret-1', { secretName: 'chat-tls', defaultMode: 0o400 }],
        ['archive-key', { secretName: 'archive-key', items: [{ key: 'passphrase', path: 'key' }], defaultMode: 0o400 }],
      ]);
      assert.deepEqual(seen.mounts, [
        ['secret-0', '/var/run/hearth/secrets/oidc', true],
        ['secret-1', '/var/run/hearth/secrets/chat-tls', true],
        ['archive-key', '/var/run/hearth/archive-key', true],
      ]);
      // 0400 files are root's: the hearth user reads them through the pod's fsGroup.
      assert.equal(pod?.securityContext?.fsGroup, pod?.securityContext?.runAsUser);
      assert.equal(pod?.automountServiceAccountToken, false, 'a backup never calls the API');
    });

  it('spec.backup’s CronJob passes the same flags before --retention', () => {
    const scheduled = hearthFixture({ backup: { schedule: '@daily', retention: 7, destination: s3, includeSecrets } });
    const args = buildBackupCronJob(scheduled, scheduled.spec.backup!, defaultTierContext, ['oidc']).spec?.jobTemplate.spec?.template.spec?.containers[0]?.args;
    assert.deepEqual(args?.slice(-7), [
      '--include-secrets',
      '--secrets-dir',
      '/var/run/hearth/secrets',
      '--key-file',
      '/var/run/hearth/archive-key/key',
      '--retention',
      '7',
    ]);
  });
});
