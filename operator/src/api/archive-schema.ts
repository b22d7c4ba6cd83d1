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

/** A Secret key's name, as Kubernetes allows it in a Secret's data. */
const secretKeyPattern = { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 };

/**
 * includeSecrets of a HearthBackup, a Hearth's spec.backup and a HearthRestore: the values of the
 * Secrets the Hearth's spec names, encrypted in the archive with a key of the person's making.
 */
export function includeSecretsField(what: 'backup' | 'restore'): JsonSchema {
  const does =
    what === 'backup'
      ? "Keep the values of the Secrets the Hearth's spec names (OIDC client secret, external database, NATS and Redis URLs, ingress TLS) in the archive, encrypted (AES-256-GCM) with a key derived from the passphrase in keySecretRef. Not the S3 credentials, nor the Secrets the operator generates. Without it an archive holds no Secret value."
      : "Create the Secrets whose values the archive holds, decrypted with the passphrase in keySecretRef (the one the backup used), in the HearthRestore's namespace before the new Hearth's data is restored; a Secret of that name that exists is kept. The restore's pod runs as a ServiceAccount that may only create Secrets there.";
  return objectField(
    `${does} A missing key Secret fails the ${what === 'backup' ? 'HearthBackup' : 'HearthRestore'} before any Job is made (docs/operator.md#secrets-in-an-archive).`,
    {
      keySecretRef: objectField(
        "A Secret in the resource's namespace and its key holding the passphrase: at least 32 bytes (openssl rand -base64 32). Losing it loses the values in every archive made with it.",
        { name: stringField('Name of the Secret.', dnsSubdomain), key: stringField('The key in the Secret.', secretKeyPattern) },
        { required: ['name', 'key'] },
      ),
    },
    { required: ['keySecretRef'] },
  );
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
      includeSecrets: includeSecretsField('backup'),
    },
    { required: ['schedule', 'retention', 'destination'] },
  );
}
