// Secret values in an archive (docs/operator.md#secrets-in-an-archive): what a backup's pod mounts
// for `hearth backup --include-secrets`, what a restore's pod is given for `hearth restore
// --include-secrets`, and whether the key Secret can serve. Pure; the reconciles read the Secrets.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ArchiveSecrets, Hearth } from '../api/index.ts';
import { secretReferencesOf, type SecretData, type SecretsRead } from '../tiers/index.ts';

/** Where the backup's pod sees each included Secret, as `<secretsDir>/<name>/<key>` (the CLI's --secrets-dir). */
export const secretsDir = '/var/run/hearth/secrets';
/** Where either pod sees the passphrase (the CLI's --key-file). */
export const keyFile = '/var/run/hearth/archive-key/key';
const keyDir = '/var/run/hearth/archive-key';
const keyVolume = 'archive-key';
/** The CLI refuses a shorter passphrase; the operator says so before a Job fails on it. */
export const minimumKeyBytes = 32;
/**
 * Readable by the owner only. The kubelet makes a Secret volume's files root's and, with the pod's
 * fsGroup (podSecurityContext: the hearth user's group), adds group read: the non-root hearth user
 * reads them through its group, and no other user of the node can.
 */
const ownerOnly = 0o400;

export type KeySecretRef = ArchiveSecrets['keySecretRef'];

/** Volumes of the pod and mounts of the step that reads them. */
export interface SecretMounts {
  readonly volumes: V1Volume[];
  readonly mounts: V1VolumeMount[];
}

/**
 * The Secrets a backup keeps: the ones of the person's making that the Hearth's spec names, each
 * once. Not the generated ones (a restored Hearth's operator makes its own), nor the destination's
 * S3 credentials (the archive cannot hold the key that opens where it is kept).
 */
export function secretsToInclude(hearth: Hearth): string[] {
  return [...new Set(secretReferencesOf(hearth).map((reference) => reference.name))].sort();
}

/** The passphrase's one key, at keyFile. */
export function keyMounts(ref: KeySecretRef): SecretMounts {
  return {
    volumes: [{ name: keyVolume, secret: { secretName: ref.name, items: [{ key: ref.key, path: 'key' }], defaultMode: ownerOnly } }],
    mounts: [{ name: keyVolume, mountPath: keyDir, readOnly: true }],
  };
}

/** Each Secret at `<secretsDir>/<name>`, every key a file. A volume's name is at most 63 characters: numbered, not named after the Secret. */
export function includedSecretMounts(names: readonly string[]): SecretMounts {
  return {
    volumes: names.map((secretName, index) => ({ name: `secret-${index}`, secret: { secretName, defaultMode: ownerOnly } })),
    mounts: names.map((name, index) => ({ name: `secret-${index}`, mountPath: `${secretsDir}/${name}`, readOnly: true })),
  };
}

export function backupSecretsArgs(): string[] {
  return ['--include-secrets', '--secrets-dir', secretsDir, '--key-file', keyFile];
}

export function restoreSecretsArgs(namespace: string): string[] {
  return ['--include-secrets', '--key-file', keyFile, '--secrets-namespace', namespace];
}

/**
 * Why the key Secret cannot serve, or undefined when it can: missing, without the key, or a
 * passphrase shorter than the CLI takes. `data` is the Secret's (base64 values), undefined when
 * there is none. Said before any Job is made: a pod cannot start without its Secret volume.
 */
export function keySecretProblem(ref: KeySecretRef, data: SecretData | undefined, field: string): string | undefined {
  const named = `Secret ${ref.name} (${field})`;
  const make = `kubectl create secret generic ${ref.name} --from-literal=${ref.key}=$(openssl rand -base64 32)`;
  if (data === undefined) return `${named} is missing: create it (${make}) and this resource again`;
  const value = data[ref.key];
  if (value === undefined) return `${named} has no key ${ref.key}`;
  const bytes = Buffer.from(value, 'base64').length;
  if (bytes < minimumKeyBytes) return `${named} key ${ref.key} holds ${bytes} bytes: the passphrase must be at least ${minimumKeyBytes} bytes`;
  return undefined;
}

/** The Secrets a backup can keep, or why it cannot begin. */
export type IncludedSecrets = { readonly ok: true; readonly names: string[] } | { readonly ok: false; readonly message: string };

/**
 * Of the Secrets `wanted`, the ones there are (a Secret the spec names but nobody made yet, an
 * ingress certificate not issued yet, would keep the pod from starting): when the key can serve.
 * `secrets` holds the key Secret and the wanted ones as read; `field` names includeSecrets' place.
 */
export function decideIncludedSecrets(include: ArchiveSecrets, wanted: readonly string[], secrets: SecretsRead, field: string): IncludedSecrets {
  const ref = include.keySecretRef;
  const problem = keySecretProblem(ref, secrets.get(ref.name), `${field}.keySecretRef`);
  if (problem !== undefined) return { ok: false, message: problem };
  return { ok: true, names: wanted.filter((name) => secrets.get(name) !== undefined) };
}
