import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthRestore } from '../api/index.ts';
import { defaultTierContext } from '../tiers/index.ts';
import { hearthFixture } from '../tiers/testing.ts';
import { archiveFileOf } from './archive-job.ts';
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
