// The HearthBackup and HearthRestore CRDs: the source of crds/hearth.dev_hearthbackups.yaml and
// crds/hearth.dev_hearthrestores.yaml (generate.ts). Every CEL message names the field it is about.
import { archiveDestinationField, dnsSubdomain, exactlyOne, hearthNameField, includeSecretsField, s3Field, volumeClaimField } from './archive-schema.ts';
import { hearthSpecField, type CustomResourceDefinition, type PrinterColumn } from './hearth-crd.ts';
import { archivePhases, hearthBackupKind, hearthBackupPlural, hearthRestoreKind, hearthRestorePlural } from './hearth-backup-types.ts';
import { hearthApiVersion, hearthGroup } from './hearth-types.ts';
import { enumField, integerField, objectField, stringField, type JsonSchema, type ValidationRule } from './json-schema.ts';

function conditionsField(): JsonSchema {
  return {
    description: 'Latest observations, one per type (metav1.Condition): Complete, Failed.',
    type: 'array',
    items: objectField(
      'One aspect of the state.',
      {
        type: stringField('What the condition is about.', { maxLength: 316 }),
        status: enumField('Whether the condition holds.', ['True', 'False', 'Unknown']),
        observedGeneration: integerField('metadata.generation the condition was set from.', { format: 'int64', minimum: 0 }),
        lastTransitionTime: stringField('When status last changed.', { format: 'date-time' }),
        reason: stringField('Why, in one CamelCase word.', { minLength: 1, maxLength: 1024 }),
        message: stringField('Why, for a person; may be empty.', { maxLength: 32768 }),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
    maxItems: 8,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  };
}

function jobStatusField(what: string, archive: string): JsonSchema {
  return objectField('What the operator last observed; written only through the status subresource.', {
    phase: enumField(
      `Pending (the Job is not made yet, or waits for its pod), Running, Succeeded or Failed: the ${what}'s, as its Job reports it.`,
      archivePhases,
    ),
    observedGeneration: integerField('metadata.generation the status was derived from.', { format: 'int64', minimum: 0 }),
    conditions: conditionsField(),
    job: stringField(`The Job that runs the ${what}.`),
    startedAt: stringField('When the Job started.', { format: 'date-time' }),
    completedAt: stringField('When the Job succeeded or failed.', { format: 'date-time' }),
    archive: stringField(archive),
    hearthSpec: {
      description: `The Hearth spec of the ${what}, as it was when the Job was made.`,
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  });
}

function shortNameRule(kind: string): ValidationRule {
  return {
    rule: "self.metadata.name.size() <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message: `metadata.name must be at most 52 characters of a-z, 0-9 and -, starting with a letter: the ${kind}'s Job is named after it`,
    fieldPath: '.metadata.name',
    reason: 'FieldValueInvalid',
  };
}

function rootOf(kind: string, description: string, spec: JsonSchema, status: JsonSchema): JsonSchema {
  return objectField(
    description,
    {
      apiVersion: stringField(`Versioned schema of this object: ${hearthGroup}/${hearthApiVersion}.`),
      kind: stringField(`Kind of this object: ${kind}.`),
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec,
      status,
    },
    { required: ['spec'], 'x-kubernetes-validations': [shortNameRule(kind)] },
  );
}

const immutable = (path: string): ValidationRule => ({
  rule: 'self == oldSelf',
  message: `${path} cannot change: create another resource instead`,
  reason: 'FieldValueForbidden',
});

function backupSpecField(): JsonSchema {
  return objectField(
    'Which Hearth to back up, and where to. Fixed once created: a HearthBackup is one run.',
    {
      hearthName: hearthNameField("The Hearth to back up, in the HearthBackup's namespace."),
      destination: archiveDestinationField('spec.destination'),
      includeSecrets: includeSecretsField('backup'),
    },
    { required: ['hearthName', 'destination'], 'x-kubernetes-validations': [immutable('spec')] },
  );
}

function restoreSourceField(): JsonSchema {
  const path = 'spec.source';
  const archiveWithLocation: ValidationRule = {
    rule: 'has(self.backupRef) != has(self.archive)',
    message: `${path}.archive names the archive in volumeClaim or s3, and only there: a backupRef knows its archive`,
    fieldPath: '.archive',
    reason: 'FieldValueInvalid',
  };
  return objectField(
    'The archive to restore: a HearthBackup that succeeded (backupRef), or an archive by name in a volume claim or a bucket.',
    {
      backupRef: objectField(
        "A HearthBackup in the HearthRestore's namespace whose status names its archive.",
        { name: stringField('Name of the HearthBackup.', dnsSubdomain) },
        { required: ['name'] },
      ),
      volumeClaim: volumeClaimField(`${path}.volumeClaim`),
      s3: s3Field(),
      archive: stringField('The file name of the archive in volumeClaim (its path) or under s3 (its prefix).', {
        pattern: '^hearth-[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z\\.ndjson\\.gz$',
        maxLength: 64,
      }),
    },
    { 'x-kubernetes-validations': [exactlyOne(path, ['backupRef', 'volumeClaim', 's3']), archiveWithLocation] },
  );
}

/**
 * The Hearth's own spec schema, without its default: a default would fill in `{}` and hide that
 * the field was left out, which means "the spec the backup saved".
 */
function restoredSpecField(): JsonSchema {
  const schema = hearthSpecField();
  delete schema.default;
  return { ...schema, description: "The new Hearth's spec; the backed-up Hearth's (the backupRef's status.hearthSpec) when not set." };
}

function restoreSpecField(): JsonSchema {
  return objectField(
    'The archive to restore and the new Hearth to restore it into. Fixed once created: a HearthRestore is one run.',
    {
      source: restoreSourceField(),
      hearth: objectField(
        'The new Hearth: created by the restore, which refuses a name already taken.',
        {
          name: hearthNameField("Name of the new Hearth, in the HearthRestore's namespace."),
          spec: restoredSpecField(),
        },
        { required: ['name'] },
      ),
      includeSecrets: includeSecretsField('restore'),
    },
    {
      required: ['source', 'hearth'],
      'x-kubernetes-validations': [
        immutable('spec'),
        {
          rule: 'has(self.source.backupRef) || has(self.hearth.spec)',
          message: 'spec.hearth.spec is required with an archive by name: only a backupRef carries the spec it backed up',
          fieldPath: '.hearth.spec',
          reason: 'FieldValueRequired',
        },
      ],
    },
  );
}

function printerColumns(subject: PrinterColumn): PrinterColumn[] {
  return [
    subject,
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded or Failed.' },
    { name: 'Archive', type: 'string', jsonPath: '.status.archive', description: 'The archive.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
  ];
}

function crdOf(kind: string, plural: string, root: JsonSchema, columns: PrinterColumn[]): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${hearthGroup}`, labels: { 'app.kubernetes.io/part-of': 'hearth' } },
    spec: {
      group: hearthGroup,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [], categories: [] },
      scope: 'Namespaced',
      versions: [
        {
          name: hearthApiVersion,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: root },
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          selectableFields: [],
        },
      ],
    },
  };
}

export function buildHearthBackupCrd(): CustomResourceDefinition {
  const root = rootOf(
    hearthBackupKind,
    "One backup of a Hearth: a Job running `hearth backup` against the Hearth's store, writing one archive (docs/operator.md#backup-and-restore).",
    backupSpecField(),
    jobStatusField('backup', 'Where the archive was written: a path in the claim, or s3://bucket/key.'),
  );
  return crdOf(
    hearthBackupKind,
    hearthBackupPlural,
    root,
    printerColumns({ name: 'Hearth', type: 'string', jsonPath: '.spec.hearthName', description: 'The Hearth backed up.' }),
  );
}

export function buildHearthRestoreCrd(): CustomResourceDefinition {
  const root = rootOf(
    hearthRestoreKind,
    'A restore of an archive into a new Hearth: the Hearth is created, then a Job runs `hearth restore` into its empty store (docs/operator.md#backup-and-restore).',
    restoreSpecField(),
    jobStatusField('restore', 'The archive restored: a path in the claim, or s3://bucket/key.'),
  );
  return crdOf(
    hearthRestoreKind,
    hearthRestorePlural,
    root,
    printerColumns({ name: 'Hearth', type: 'string', jsonPath: '.spec.hearth.name', description: 'The Hearth restored into.' }),
  );
}
