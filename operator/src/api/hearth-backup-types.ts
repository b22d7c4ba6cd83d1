// HearthBackup and HearthRestore as they travel to and from the API server, and the schedule a
// Hearth's spec.backup holds. hearth-backup-crd.ts describes the same shapes as CRD schemas.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Condition, HearthSpec, hearthApiVersion, hearthGroup } from './hearth-types.ts';

export const hearthBackupKind = 'HearthBackup';
export const hearthBackupPlural = 'hearthbackups';
export const hearthRestoreKind = 'HearthRestore';
export const hearthRestorePlural = 'hearthrestores';

/** Where a one-off backup, a restore, and a scheduled backup each are in their life. */
export const archivePhases = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type ArchivePhase = (typeof archivePhases)[number];

/** The keys of the Secret that credentialsSecretRef names: the variables the AWS SDK reads. */
export const s3CredentialKeys = { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' } as const;

/** A directory on a volume claim of the Hearth's namespace. */
export interface VolumeClaimLocation {
  claimName: string;
  /** A directory inside the claim, relative to its root; the root when not set. */
  path?: string;
}

export interface S3Location {
  bucket: string;
  prefix?: string;
  /** An S3-compatible server's URL; AWS's endpoint for the region when not set. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** A Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  credentialsSecretRef: { name: string };
}

/**
 * The values of the Secrets a Hearth's spec names, kept in the archive encrypted with a key from
 * a Secret of the person's making (docs/operator.md#secrets-in-an-archive).
 */
export interface ArchiveSecrets {
  /** A Secret in the resource's namespace and its key holding the passphrase (at least 32 bytes). */
  keySecretRef: { name: string; key: string };
}

/** Exactly one of the two: the CRD refuses both and neither. */
export interface ArchiveDestination {
  volumeClaim?: VolumeClaimLocation;
  s3?: S3Location;
}

export interface HearthBackup {
  apiVersion: `${typeof hearthGroup}/${typeof hearthApiVersion}`;
  kind: typeof hearthBackupKind;
  metadata: V1ObjectMeta;
  spec: HearthBackupSpec;
  status?: ArchiveJobStatus & { hearthSpec?: HearthSpec };
}

export interface HearthBackupSpec {
  /** A Hearth in the HearthBackup's namespace. */
  hearthName: string;
  destination: ArchiveDestination;
  includeSecrets?: ArchiveSecrets;
}

/** What the status of a HearthBackup and of a HearthRestore have in common: one Job, followed. */
export interface ArchiveJobStatus {
  phase?: ArchivePhase;
  observedGeneration?: number;
  conditions?: Condition[];
  /** The Job that does the work. */
  job?: string;
  startedAt?: string;
  completedAt?: string;
  /** The archive written (a backup) or read (a restore): a path in the claim, or s3://bucket/key. */
  archive?: string;
}

/** spec.backup of a Hearth: a CronJob that backs it up on a schedule, keeping `retention` archives. */
export interface BackupScheduleSpec {
  /** A cron schedule, five fields or @daily and the like, in the controller manager's time zone unless timeZone says. */
  schedule: string;
  timeZone?: string;
  retention: number;
  destination: ArchiveDestination;
  includeSecrets?: ArchiveSecrets;
}

export interface HearthRestore {
  apiVersion: `${typeof hearthGroup}/${typeof hearthApiVersion}`;
  kind: typeof hearthRestoreKind;
  metadata: V1ObjectMeta;
  spec: HearthRestoreSpec;
  status?: ArchiveJobStatus & { hearthSpec?: HearthSpec };
}

export interface HearthRestoreSpec {
  source: RestoreSource;
  hearth: { name: string; spec?: HearthSpec };
  /** The archive's Secret values, created in the namespace (one that exists is kept). */
  includeSecrets?: ArchiveSecrets;
}

/** A HearthBackup that succeeded, or an archive by name in a claim or a bucket: exactly one of the three. */
export interface RestoreSource {
  backupRef?: { name: string };
  volumeClaim?: VolumeClaimLocation;
  s3?: S3Location;
  /** The archive's file name (hearth-<UTC time>.ndjson.gz) in volumeClaim's directory or under s3's prefix. */
  archive?: string;
}
