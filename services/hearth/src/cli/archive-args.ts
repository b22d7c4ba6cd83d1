import { parseArgs } from 'node:util';

/**
 * The arguments of `hearth backup` and `hearth restore`, parsed (pure: command.ts turns a
 * refusal into its usage error).
 */

export interface BackupCommand {
  readonly kind: 'backup';
  /** A directory, or s3://bucket/prefix. */
  readonly to: string;
  /** Keep only this many newest archives there; undefined keeps them all. */
  readonly retention: number | undefined;
  /** A file holding the Hearth resource's spec as JSON (the operator passes it). */
  readonly spec: string | undefined;
  /**
   * A file to write the archive's location to as well as standard output: the operator's Jobs
   * give /dev/termination-log, which Kubernetes keeps in the pod's status when the process ends.
   */
  readonly locationFile: string | undefined;
  /** With --include-secrets: the Secrets to encrypt into the archive, and the key file. */
  readonly secrets: BackupSecrets | undefined;
}

export interface BackupSecrets {
  /** One directory per Secret, named as the Secret, one file per key: Secret volumes mounted side by side. */
  readonly dir: string;
  /** The passphrase the values are encrypted under. */
  readonly keyFile: string;
}

export interface RestoreCommand {
  readonly kind: 'restore';
  /** An archive file, or s3://bucket/key. */
  readonly from: string;
  /** With --include-secrets: the key file, and where the decrypted Secrets go. */
  readonly secrets: RestoreSecrets | undefined;
}

export interface RestoreSecrets {
  readonly keyFile: string;
  readonly to: SecretsTarget;
}

/** A file of Secret objects for `kubectl apply`, or a namespace to create them in through the Kubernetes API. */
export type SecretsTarget = { readonly type: 'file'; readonly path: string } | { readonly type: 'namespace'; readonly namespace: string };

export type ArchiveArgs<C> = { readonly ok: true; readonly command: C } | { readonly ok: false; readonly message: string };

const INCLUDE_SECRETS = { 'include-secrets': { type: 'boolean' }, 'key-file': { type: 'string' } } as const;

export function parseBackupArgs(args: readonly string[]): ArchiveArgs<BackupCommand> {
  const parsed = parsedOptions('hearth backup', args, {
    to: { type: 'string' },
    retention: { type: 'string' },
    spec: { type: 'string' },
    'location-file': { type: 'string' },
    'secrets-dir': { type: 'string' },
    ...INCLUDE_SECRETS,
  });
  if (!parsed.ok) return parsed;
  const { to, retention, spec } = parsed.values;
  const locationFile = parsed.values['location-file'];
  if (typeof to !== 'string' || to.trim() === '') return refused('hearth backup needs --to DIR or --to s3://bucket/prefix');
  const keep = retentionOf(retention);
  if (typeof keep === 'string') return refused(keep);
  const secrets = backupSecretsOf(parsed.values);
  if (typeof secrets === 'string') return refused(secrets);
  const command: BackupCommand = {
    kind: 'backup',
    to,
    retention: keep,
    spec: typeof spec === 'string' ? spec : undefined,
    locationFile: typeof locationFile === 'string' ? locationFile : undefined,
    secrets,
  };
  return { ok: true, command };
}

export function parseRestoreArgs(args: readonly string[]): ArchiveArgs<RestoreCommand> {
  const parsed = parsedOptions('hearth restore', args, {
    from: { type: 'string' },
    'secrets-out': { type: 'string' },
    'secrets-namespace': { type: 'string' },
    ...INCLUDE_SECRETS,
  });
  if (!parsed.ok) return parsed;
  const from = parsed.values['from'];
  if (typeof from !== 'string' || from.trim() === '') return refused('hearth restore needs --from FILE or --from s3://bucket/key');
  const secrets = restoreSecretsOf(parsed.values);
  if (typeof secrets === 'string') return refused(secrets);
  return { ok: true, command: { kind: 'restore', from, secrets } };
}

/** --retention N as a number (undefined without it), or what is wrong with it. */
function retentionOf(retention: Values[string]): number | undefined | string {
  const keep = retention === undefined ? undefined : Number(retention);
  if (keep === undefined || (Number.isInteger(keep) && keep >= 1)) return keep;
  return `hearth backup --retention must be a whole number of archives, 1 or more (got "${String(retention)}")`;
}

/** The Secrets options of a backup, or what is wrong with them. */
function backupSecretsOf(values: Values): BackupSecrets | undefined | string {
  const options = secretOptions('hearth backup', values, ['secrets-dir', 'key-file']);
  if (typeof options === 'string' || options === undefined) return options;
  const dir = options['secrets-dir'];
  const keyFile = options['key-file'];
  if (dir === undefined) return 'hearth backup --include-secrets needs --secrets-dir DIR (one directory per Secret, as Kubernetes mounts a Secret volume)';
  if (keyFile === undefined) return 'hearth backup --include-secrets needs --key-file FILE (the passphrase that encrypts the values)';
  return { dir, keyFile };
}

/** The Secrets options of a restore, or what is wrong with them. */
function restoreSecretsOf(values: Values): RestoreSecrets | undefined | string {
  const options = secretOptions('hearth restore', values, ['key-file', 'secrets-out', 'secrets-namespace']);
  if (typeof options === 'string' || options === undefined) return options;
  const { 'key-file': keyFile, 'secrets-out': out, 'secrets-namespace': namespace } = options;
  if (keyFile === undefined) return 'hearth restore --include-secrets needs --key-file FILE (the passphrase the backup was encrypted with)';
  const either = '--secrets-out FILE or --secrets-namespace NS';
  if (namespace === undefined) return out === undefined ? `hearth restore --include-secrets needs ${either}` : { keyFile, to: { type: 'file', path: out } };
  if (out !== undefined) return `hearth restore --include-secrets takes only one of ${either}`;
  if (!isNamespaceName(namespace)) return `hearth restore --secrets-namespace must be a namespace's name, a DNS-1123 label (got "${namespace}")`;
  return { keyFile, to: { type: 'namespace', namespace } };
}

/**
 * The values of `names` when --include-secrets is given (undefined without it); a refusal when
 * one of them is given without --include-secrets, or empty.
 */
function secretOptions<N extends string>(command: string, values: Values, names: readonly N[]): Partial<Record<N, string>> | undefined | string {
  const given = names.filter((name) => values[name] !== undefined);
  if (values['include-secrets'] !== true) return given.length === 0 ? undefined : `${command} --${given[0]!} needs --include-secrets`;
  const empty = given.find((name) => String(values[name]).trim() === '');
  if (empty !== undefined) return `${command} --${empty} needs a value`;
  return Object.fromEntries(given.map((name) => [name, String(values[name])])) as Partial<Record<N, string>>;
}

function isNamespaceName(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Values = Readonly<Record<string, string | boolean | undefined>>;

type Refusal = { readonly ok: false; readonly message: string };

function parsedOptions(command: string, args: readonly string[], options: Options): Refusal | { readonly ok: true; readonly values: Values } {
  try {
    return { ok: true, values: parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as Values };
  } catch (error) {
    // node's own words, up to their first full stop: "Unknown option '--x'", "Option '--to <value>' argument missing".
    const reason = error instanceof Error ? (error.message.split(/\.(\s|$)/)[0] ?? error.message) : String(error);
    return refused(`${command}: ${reason}`);
  }
}

function refused(message: string): Refusal {
  return { ok: false, message };
}
