// The objects that back a Hearth up: one Job for a HearthBackup, a CronJob for spec.backup. Both
// run `hearth backup --spec` with the Hearth's spec handed to the pod through a downward-API file
// of one of its annotations, so no shell and no other object is needed to write it.
import type { V1CronJob, V1Job, V1OwnerReference, V1Volume } from '@kubernetes/client-node';
import {
  hearthApiVersion,
  hearthBackupKind,
  hearthGroup,
  type ArchiveSecrets,
  type BackupScheduleSpec,
  type Hearth,
  type HearthBackup,
  type HearthSpec,
} from '../api/index.ts';
import type { TierContext } from '../tiers/context.ts';
import { objectMeta, type DesiredMeta } from '../tiers/desired-object.ts';
import { commonLabels, type Labels } from '../tiers/labels.ts';
import { archivePlace, buildArchivePodSpec, type ArchiveStep } from './archive-job.ts';
import { backupSecretsArgs, includedSecretMounts, keyMounts, type SecretMounts } from './archive-secrets.ts';

export type DesiredJob = V1Job & { apiVersion: 'batch/v1'; kind: 'Job'; metadata: DesiredMeta };
export type DesiredCronJob = V1CronJob & { apiVersion: 'batch/v1'; kind: 'CronJob'; metadata: DesiredMeta };

/** The pod annotation holding the Hearth's spec as JSON, and where the pod sees it as a file. */
export const hearthSpecAnnotation = 'hearth.dev/hearth-spec';
const specDir = '/etc/hearth-backup';
const specVolume = 'hearth-spec';
/** Labels a backup's Job with its HearthBackup, for a person's kubectl get jobs -l. */
export const backupLabel = 'hearth.dev/backup';
/** Where `hearth backup --location-file` writes, so that the pod's termination message names the archive. */
export const terminationLogPath = '/dev/termination-log';
/**
 * A retry inside the Job for a pod lost to its node or a store that was not up yet; a backup that
 * fails three times is for a person to look at.
 */
export const backupBackoffLimit = 2;

export function backupJobName(backupName: string): string {
  return `${backupName}-backup`;
}

export function backupCronJobName(hearthName: string): string {
  return `${hearthName}-backup`;
}

/** The spec an archive records: as the Hearth has it, without what says how to back it up. */
export function archivedSpec(spec: HearthSpec): HearthSpec {
  const rest = { ...spec };
  delete rest.backup;
  return rest;
}

const specFileVolume: V1Volume = {
  name: specVolume,
  downwardAPI: { items: [{ path: 'spec.json', fieldRef: { fieldPath: `metadata.annotations['${hearthSpecAnnotation}']` } }] },
};

/**
 * What a backup keeps of the Secrets (includeSecrets): the Secrets to mount, all that exist of the
 * ones the Hearth's spec names (the reconcile finds them), and the key Secret.
 */
export interface BackupSecrets {
  readonly includeSecrets: ArchiveSecrets | undefined;
  readonly names: readonly string[];
}

/**
 * The Secrets and the key, with the flags that read them; none without includeSecrets, and none
 * when there is no Secret to keep: `hearth backup` refuses an empty --secrets-dir, so the backup
 * then goes on without the flags (the reconcile says so in an Event).
 */
function secretsOfBackup({ includeSecrets, names }: BackupSecrets): SecretMounts & { args: string[] } {
  if (includeSecrets === undefined || names.length === 0) return { volumes: [], mounts: [], args: [] };
  const secrets = includedSecretMounts(names);
  const key = keyMounts(includeSecrets.keySecretRef);
  return { volumes: [...secrets.volumes, ...key.volumes], mounts: [...secrets.mounts, ...key.mounts], args: backupSecretsArgs() };
}

/** Whether a backup of these Secrets includes any: what the reconcile tells a person when not. */
export function includesSecrets(secrets: BackupSecrets): boolean {
  return secretsOfBackup(secrets).args.length > 0;
}

function backupStep(place: string, retention: number | undefined, secrets: SecretMounts & { args: string[] }): ArchiveStep {
  const args = ['backup', '--to', place, '--spec', `${specDir}/spec.json`, '--location-file', terminationLogPath, ...secrets.args];
  if (retention !== undefined) args.push('--retention', String(retention));
  return { name: 'backup', args, volumeMounts: [{ name: specVolume, mountPath: specDir, readOnly: true }, ...secrets.mounts] };
}

function backupOwner(backup: HearthBackup): V1OwnerReference {
  const { name, uid } = backup.metadata;
  if (name === undefined || uid === undefined) throw new Error('a HearthBackup read from the API server has metadata.name and metadata.uid');
  return { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthBackupKind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The pod template of a backup: the spec in its annotation, `hearth backup` in its one container. */
interface BackupTemplate {
  readonly hearth: Hearth;
  readonly ctx: TierContext;
  readonly destination: BackupScheduleSpec['destination'];
  readonly labels: Labels;
  readonly secrets: BackupSecrets;
  readonly retention?: number;
}

function backupTemplate({ hearth, ctx, destination, labels, secrets, retention }: BackupTemplate) {
  const included = secretsOfBackup(secrets);
  const steps = [backupStep(archivePlace(destination), retention, included)];
  return {
    metadata: { labels, annotations: { [hearthSpecAnnotation]: JSON.stringify(archivedSpec(hearth.spec)) } },
    spec: buildArchivePodSpec({ hearth, ctx, destination, steps, extraVolumes: [specFileVolume, ...included.volumes] }),
  };
}

/**
 * The one Job of a HearthBackup: owned by it, so it goes with it and its end wakes its reconcile.
 * `secretNames`: of the Secrets to include, the ones there are (includeSecrets only).
 */
export function buildBackupJob(backup: HearthBackup, hearth: Hearth, ctx: TierContext, secretNames: readonly string[] = []): DesiredJob {
  const name = backup.metadata.name ?? '';
  const labels = { ...commonLabels(hearth.metadata.name ?? '', 'backup'), [backupLabel]: name };
  const metadata = { ...objectMeta(hearth, backupJobName(name), labels), ownerReferences: [backupOwner(backup)] };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      backoffLimit: backupBackoffLimit,
      template: backupTemplate({
        hearth,
        ctx,
        destination: backup.spec.destination,
        labels,
        secrets: { includeSecrets: backup.spec.includeSecrets, names: secretNames },
      }),
    },
  };
}

/**
 * spec.backup's CronJob, owned by the Hearth. Forbid: a backup still running when the next is due
 * makes that one wait for the next time, rather than two writing at once.
 */
export function buildBackupCronJob(hearth: Hearth, schedule: BackupScheduleSpec, ctx: TierContext, secretNames: readonly string[] = []): DesiredCronJob {
  const secrets = { includeSecrets: schedule.includeSecrets, names: secretNames };
  const instance = hearth.metadata.name ?? '';
  const labels = commonLabels(instance, 'backup');
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: objectMeta(hearth, backupCronJobName(instance), labels),
    spec: {
      schedule: schedule.schedule,
      ...(schedule.timeZone === undefined ? {} : { timeZone: schedule.timeZone }),
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: backupBackoffLimit,
          template: backupTemplate({ hearth, ctx, destination: schedule.destination, labels, secrets, retention: schedule.retention }),
        },
      },
    },
  };
}
