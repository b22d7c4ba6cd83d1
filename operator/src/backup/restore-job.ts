// The Job of a HearthRestore: `hearth restore` into the new Hearth's store, between a pause and a
// resume of its writes. `hearth restore` pauses nothing itself, and the new Hearth's pods start
// beside it: so the first step pauses writes (posts and changes get 503 migrating while the
// archive loads), the second restores, the last opens writes again. A store that already has
// records is refused by the restore step, and the pause then stays: nothing more is written into
// a store a person must now look at.
import type { V1OwnerReference, V1PodFailurePolicy } from '@kubernetes/client-node';
import { hearthApiVersion, hearthGroup, hearthRestoreKind, type ArchiveDestination, type Hearth, type HearthRestore } from '../api/index.ts';
import type { TierContext } from '../tiers/context.ts';
import { objectMeta } from '../tiers/desired-object.ts';
import { commonLabels } from '../tiers/labels.ts';
import { buildArchivePodSpec, type ArchiveStep } from './archive-job.ts';
import { keyMounts, restoreSecretsArgs, type SecretMounts } from './archive-secrets.ts';
import type { DesiredJob } from './backup-jobs.ts';

/** Labels a restore's Job with its HearthRestore. */
export const restoreLabel = 'hearth.dev/restore';
/** The annotation on a Hearth a HearthRestore made: the restore that may run into it. */
export const restoredByAnnotation = 'hearth.dev/restored-by';
/**
 * Retries for the steps before the restore: the new Hearth's store may not be up yet (its pod has
 * not made hearth.db, its PostgreSQL is starting). A failed restore step fails the Job at once.
 */
export const restoreBackoffLimit = 6;

export function restoreJobName(restoreName: string): string {
  return `${restoreName}-restore`;
}

/** The account of a restore with includeSecrets (restore-access.ts). */
export function restoreServiceAccountName(restoreName: string): string {
  return `${restoreName}-restore`;
}

export function restoreOwner(restore: HearthRestore): V1OwnerReference {
  const { name, uid } = restore.metadata;
  if (name === undefined || uid === undefined) throw new Error('a HearthRestore read from the API server has metadata.name and metadata.uid');
  return { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthRestoreKind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The restore step's own failure (the archive, a store with records) is final; a step before it may be retried. */
const failOnRestoreError: V1PodFailurePolicy = {
  rules: [{ action: 'FailJob', onExitCodes: { containerName: 'restore', operator: 'NotIn', values: [0] } }],
};

export interface RestoreJobInput {
  readonly restore: HearthRestore;
  /** The new Hearth, as the API server has it. */
  readonly hearth: Hearth;
  readonly ctx: TierContext;
  /** Where the archive is kept, and the archive there as the pod reads it (a file or s3://…). */
  readonly destination: ArchiveDestination;
  readonly archive: string;
}

/** The key, the flags and the account of a restore with includeSecrets; nothing without. */
function secretsOfRestore(restore: HearthRestore): SecretMounts & { args: string[]; serviceAccountName?: string } {
  const included = restore.spec.includeSecrets;
  if (included === undefined) return { volumes: [], mounts: [], args: [] };
  const name = restore.metadata.name ?? '';
  return {
    ...keyMounts(included.keySecretRef),
    args: restoreSecretsArgs(restore.metadata.namespace ?? ''),
    serviceAccountName: restoreServiceAccountName(name),
  };
}

export function buildRestoreJob({ restore, hearth, ctx, destination, archive }: RestoreJobInput): DesiredJob {
  const name = restore.metadata.name ?? '';
  const labels = { ...commonLabels(hearth.metadata.name ?? '', 'restore'), [restoreLabel]: name };
  const reason = `restoring ${archive} (HearthRestore ${name})`;
  const secrets = secretsOfRestore(restore);
  const steps: ArchiveStep[] = [
    { name: 'pause-writes', args: ['writes', 'pause', '--reason', reason] },
    { name: 'restore', args: ['restore', '--from', archive, ...secrets.args], volumeMounts: secrets.mounts },
    { name: 'resume-writes', args: ['writes', 'resume'] },
  ];
  const account = secrets.serviceAccountName === undefined ? {} : { serviceAccountName: secrets.serviceAccountName };
  const podSpec = buildArchivePodSpec({ hearth, ctx, destination, steps, extraVolumes: secrets.volumes, ...account });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...objectMeta(hearth, restoreJobName(name), labels), ownerReferences: [restoreOwner(restore)] },
    spec: {
      backoffLimit: restoreBackoffLimit,
      podFailurePolicy: failOnRestoreError,
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}
