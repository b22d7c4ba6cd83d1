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
  readonly includeSecrets: boolean;
}

export interface RestoreCommand {
  readonly kind: 'restore';
  /** An archive file, or s3://bucket/key. */
  readonly from: string;
  readonly includeSecrets: boolean;
}

export type ArchiveArgs<C> = { readonly ok: true; readonly command: C } | { readonly ok: false; readonly message: string };

const INCLUDE_SECRETS = { 'include-secrets': { type: 'boolean' } } as const;

export function parseBackupArgs(args: readonly string[]): ArchiveArgs<BackupCommand> {
  const parsed = parsedOptions('hearth backup', args, {
    to: { type: 'string' },
    retention: { type: 'string' },
    spec: { type: 'string' },
    'location-file': { type: 'string' },
    ...INCLUDE_SECRETS,
  });
  if (!parsed.ok) return parsed;
  const { to, retention, spec } = parsed.values;
  const locationFile = parsed.values['location-file'];
  if (typeof to !== 'string' || to.trim() === '') return refused('hearth backup needs --to DIR or --to s3://bucket/prefix');
  const keep = retention === undefined ? undefined : Number(retention);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1))
    return refused(`hearth backup --retention must be a whole number of archives, 1 or more (got "${String(retention)}")`);
  const command: BackupCommand = {
    kind: 'backup',
    to,
    retention: keep,
    spec: typeof spec === 'string' ? spec : undefined,
    locationFile: typeof locationFile === 'string' ? locationFile : undefined,
    includeSecrets: parsed.values['include-secrets'] === true,
  };
  return { ok: true, command };
}

export function parseRestoreArgs(args: readonly string[]): ArchiveArgs<RestoreCommand> {
  const parsed = parsedOptions('hearth restore', args, { from: { type: 'string' }, ...INCLUDE_SECRETS });
  if (!parsed.ok) return parsed;
  const from = parsed.values['from'];
  if (typeof from !== 'string' || from.trim() === '') return refused('hearth restore needs --from FILE or --from s3://bucket/key');
  return { ok: true, command: { kind: 'restore', from, includeSecrets: parsed.values['include-secrets'] === true } };
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
