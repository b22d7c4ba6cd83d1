import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { HearthRestore } from '../api/index.ts';
import { defaultTierContext } from '../tiers/index.ts';
import { hearthFixture } from '../tiers/testing.ts';
import { archiveFileOf } from './archive-job.ts';
import { buildRestoreAccess } from './restore-access.ts';
import { buildRestoreJob } from './restore-job.ts';

const restore: HearthRestore = {
  apiVersion: 'hearth.dev/v1alpha1',
  kind: 'HearthRestore',
  metadata: { name: 'back', namespace: 'chat', uid: 'r-uid', generation: 1 },
  spec: { source: { backupRef: { name: 'nightly' } }, hearth: { name: 'acme2' } },
};
const claim = { volumeClaim: { claimName: 'backups', path: 'acme' } };

describe('a HearthRestore’s Job', () => {
  const hearth = hearthFixture({}, { name: 'acme2' });
  const archive = archiveFileOf('backups:acme/hearth-20261205T020000.000Z.ndjson.gz', claim);
  const job = buildRestoreJob({ restore, hearth, ctx: defaultTierContext, destination: claim, archive });
  const pod = job.spec?.template.spec;

  it('reads the archive the status names where the pod mounts the claim', () => {
    assert.equal(archive, '/var/lib/hearth-archives/acme/hearth-20261205T020000.000Z.ndjson.gz');
    assert.equal(archiveFileOf('s3://b/p/hearth-x.ndjson.gz', { s3: { bucket: 'b', credentialsSecretRef: { name: 'k' } } }), 's3://b/p/hearth-x.ndjson.gz');
  });

  it('pauses writes, restores, then resumes: each step only after the one before succeeded', () => {
    assert.deepEqual(
      pod?.initContainers?.map((container) => [container.name, ...(container.args ?? [])]),
      [
        ['pause-writes', 'writes', 'pause', '--reason', `restoring ${archive} (HearthRestore back)`],
        ['restore', 'restore', '--from', archive],
      ],
    );
    assert.deepEqual(
      pod?.containers.map((container) => [container.name, ...(container.args ?? [])]),
      [['resume-writes', 'writes', 'resume']],
    );
  });

  it('fails at once when the restore step fails, and is owned by the HearthRestore, not the Hearth', () => {
    assert.deepEqual(job.spec?.podFailurePolicy?.rules, [{ action: 'FailJob', onExitCodes: { containerName: 'restore', operator: 'NotIn', values: [0] } }]);
    assert.deepEqual(
      job.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name]),
      [['HearthRestore', 'back']],
    );
    assert.equal(job.metadata.name, 'back-restore');
    assert.equal(job.metadata.labels['app.kubernetes.io/component'], 'restore');
  });

  it('runs on the new Hearth’s store: its claim, next to its pod', () => {
    assert.deepEqual(
      pod?.volumes?.map((volume) => volume.persistentVolumeClaim?.claimName).filter((name) => name !== undefined),
      ['data-acme2-0', 'backups'],
    );
    assert.equal(
      pod?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.labelSelector?.matchLabels?.['app.kubernetes.io/instance'],
      'acme2',
    );
  });
});

/** Kind, name, namespace and controlling owners of an object. */
function ownedBy(object: { kind: string; metadata: { name: string; namespace: string; ownerReferences?: V1OwnerReference[] } }): unknown[] {
  return [object.kind, object.metadata.name, object.metadata.namespace, (object.metadata.ownerReferences ?? []).map((o) => [o.kind, o.name, o.controller])];
}

describe('a HearthRestore with includeSecrets', () => {
  const hearth = hearthFixture({}, { name: 'acme2' });
  const withSecrets: HearthRestore = { ...restore, spec: { ...restore.spec, includeSecrets: { keySecretRef: { name: 'archive-key', key: 'key' } } } };
  const archive = '/var/lib/hearth-archives/acme/hearth-20261205T020000.000Z.ndjson.gz';

  it('runs as its own account with its token, the key mounted for the restore step, which creates the Secrets in the namespace', () => {
    const pod = buildRestoreJob({ restore: withSecrets, hearth, ctx: defaultTierContext, destination: claim, archive }).spec!.template.spec!;
    assert.equal(pod.serviceAccountName, 'back-restore');
    assert.equal(pod.automountServiceAccountToken, true);
    const step = pod.initContainers![1]!;
    assert.deepEqual(step.args, [
      'restore',
      '--from',
      archive,
      '--include-secrets',
      '--key-file',
      '/var/run/hearth/archive-key/key',
      '--secrets-namespace',
      'chat',
    ]);
    assert.deepEqual(
      step.volumeMounts!.filter((mount) => mount.name === 'archive-key'),
      [{ name: 'archive-key', mountPath: '/var/run/hearth/archive-key', readOnly: true }],
    );
    assert.deepEqual(pod.volumes!.find((volume) => volume.name === 'archive-key')!.secret, {
      secretName: 'archive-key',
      items: [{ key: 'key', path: 'key' }],
      defaultMode: 0o400,
    });
  });

  it('without it, runs with no account token and no key, as before', () => {
    const pod = buildRestoreJob({ restore, hearth, ctx: defaultTierContext, destination: claim, archive }).spec?.template.spec;
    assert.equal(pod?.serviceAccountName, undefined);
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.equal(
      pod?.volumes?.some((volume) => volume.secret !== undefined),
      false,
    );
  });

  it('has a ServiceAccount, a Role that may only create Secrets, and their binding, all owned by the HearthRestore', () => {
    const { serviceAccount, role, roleBinding } = buildRestoreAccess(withSecrets, hearth);
    assert.deepEqual([serviceAccount, role, roleBinding].map(ownedBy), [
      ['ServiceAccount', 'back-restore', 'chat', [['HearthRestore', 'back', true]]],
      ['Role', 'back-restore-secrets', 'chat', [['HearthRestore', 'back', true]]],
      ['RoleBinding', 'back-restore-secrets', 'chat', [['HearthRestore', 'back', true]]],
    ]);
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }]);
    assert.deepEqual(roleBinding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'back-restore-secrets' });
    assert.deepEqual(roleBinding.subjects, [{ kind: 'ServiceAccount', name: 'back-restore', namespace: 'chat' }]);
  });
});
