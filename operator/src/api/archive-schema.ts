// The schema of where archives go (a volume claim's directory or an S3 prefix) and of a Hearth's
// spec.backup: shared by hearth-crd.ts (spec.backup) and hearth-backup-crd.ts (HearthBackup,
// HearthRestore). Every CEL message names the field it is about.
import { s3CredentialKeys } from './hearth-backup-types.ts';
import { booleanField, integerField, objectField, stringField, type JsonSchema, type ValidationRule } from './json-schema.ts';

export const dnsSubdomain = { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 };
/** A Hearth's name, as its CRD allows it. */
export const hearthNameField = (description: string): JsonSchema => stringField(description, { pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 40 });

/** A relative directory with no way out of the claim (no `..`, no leading /). */
function relativePathField(path: string): JsonSchema {
  return stringField('A directory inside the claim, relative to its root; the root when not set.', {
    maxLength: 512,
    pattern: '^[^/]',
    'x-kubernetes-validations': [
      {
        rule: "!self.split('/').exists(part, part == '..')",
        message: `${path} may not contain ..: the archive stays inside the claim`,
        reason: 'FieldValueInvalid',
      },
    ],
  });
}

export function volumeClaimField(path: string): JsonSchema {
  return objectField(
    "A directory on a PersistentVolumeClaim in the resource's namespace. For a scheduled backup or a restore while the Hearth's pods run elsewhere, the claim must allow it (ReadWriteMany, or on the same node).",
    { claimName: stringField('Name of the PersistentVolumeClaim.', dnsSubdomain), path: relativePathField(`${path}.path`) },
    { required: ['claimName'] },
  );
}

export function s3Field(): JsonSchema {
  return objectField(
    'A bucket on AWS S3 or an S3-compatible server (MinIO, Ceph, SeaweedFS…); the bucket must exist.',
    {
      bucket: stringField('Bucket name.', { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', maxLength: 63 }),
      prefix: stringField('Key prefix of the archives, without a trailing /; the bucket root when not set.', {
        maxLength: 512,
        pattern: '^[^/].*[^/]$|^[^/]$',
      }),
      endpoint: stringField("An S3-compatible server's http:// or https:// URL (HEARTH_S3_ENDPOINT); AWS when not set.", {
        pattern: '^https?://\\S+$',
        maxLength: 2048,
      }),
      region: stringField("The bucket's region (HEARTH_S3_REGION); us-east-1 when not set.", { maxLength: 64, pattern: '^[a-z0-9-]+$' }),
      forcePathStyle: booleanField(
        'The bucket in the path (host/bucket/key), which most S3-compatible servers need (HEARTH_S3_FORCE_PATH_STYLE); true with an endpoint, else false, when not set.',
      ),
      credentialsSecretRef: objectField(
        `A Secret in the resource's namespace with keys ${s3CredentialKeys.accessKeyId} and ${s3CredentialKeys.secretAccessKey}.`,
        { name: stringField('Name of the Secret.', dnsSubdomain) },
        { required: ['name'] },
      ),
    },
    { required: ['bucket', 'credentialsSecretRef'] },
  );
}

export function exactlyOne(path: string, fields: readonly string[]): ValidationRule {
  const count = fields.map((field) => `(has(self.${field}) ? 1 : 0)`).join(' + ');
  return {
    rule: `${count} == 1`,
    message: `${path} must have exactly one of ${fields.join(', ')}`,
    reason: 'FieldValueInvalid',
  };
}

/** Where archives go: a volume claim's directory or an S3 prefix, exactly one. */
export function archiveDestinationField(path: string): JsonSchema {
  return objectField(
    'Where the archive is written: volumeClaim or s3, exactly one.',
    { volumeClaim: volumeClaimField(`${path}.volumeClaim`), s3: s3Field() },
    { 'x-kubernetes-validations': [exactlyOne(path, ['volumeClaim', 's3'])] },
  );
}

/**
 * The shape a cron schedule must have: five fields of digits, names and * / , - ?, or one of
 * the @ shorthands. What each field means is the CronJob controller's to check.
 */
export const cronShape = '^(@(annually|yearly|monthly|weekly|daily|hourly)|([0-9A-Za-z*/,?-]+ +){4}[0-9A-Za-z*/,?-]+)$';

/** spec.backup of a Hearth. */
export function backupScheduleField(): JsonSchema {
  const path = 'spec.backup';
  return objectField(
    'Back the Hearth up on a schedule: a CronJob running `hearth backup --retention` (docs/operator.md#backup-and-restore). Removing it deletes the CronJob, never the archives.',
    {
      schedule: stringField(
        'When, as a cron schedule: five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly.',
        {
          minLength: 1,
          maxLength: 128,
          'x-kubernetes-validations': [
            {
              rule: `self.matches('${cronShape}')`,
              message: `${path}.schedule must be a cron schedule: five fields such as "0 3 * * *", or @daily, @hourly, @weekly, @monthly, @yearly`,
              reason: 'FieldValueInvalid',
            },
          ],
        },
      ),
      timeZone: stringField("A time zone of the tz database for the schedule (Europe/Paris); the controller manager's when not set.", {
        maxLength: 64,
        pattern: '^[A-Za-z0-9_+/-]+$',
      }),
      retention: integerField(
        'How many archives to keep at the destination: after each backup, all but the newest this many of hearth-*.ndjson.gz are deleted.',
        {
          minimum: 1,
          maximum: 1000,
        },
      ),
      destination: archiveDestinationField(`${path}.destination`),
    },
    { required: ['schedule', 'retention', 'destination'] },
  );
}
