import { parseBackupArgs, parseRestoreArgs, type ArchiveArgs, type BackupCommand, type RestoreCommand } from './archive-args.ts';

/**
 * What `hearth <arguments>` asks for: to serve (the default, `--target=…`), or one of the data
 * commands. A pure decision, so each way of calling it is a table test.
 */
export type Command =
  | { readonly kind: 'serve'; readonly argv: readonly string[] }
  | { readonly kind: 'export'; readonly out: string }
  | { readonly kind: 'import'; readonly input: string }
  | { readonly kind: 'writes'; readonly action: 'status' | 'resume' }
  | { readonly kind: 'writes'; readonly action: 'pause'; readonly reason: string }
  | BackupCommand
  | RestoreCommand
  | { readonly kind: 'migrate' }
  /** The chat client (chat/chat-args.ts reads its arguments): it needs no store and no server configuration. */
  | { readonly kind: 'chat'; readonly args: readonly string[] }
  | { readonly kind: 'help' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage:
  hearth [--target=all|gateway|realtime|messaging]   serve (the default: all)
  hearth export --out FILE                          write every record to FILE (- for standard output)
  hearth import --in FILE                           load FILE into an empty store (- for standard input);
                                                    run it again with the same FILE to resume
  hearth writes pause --reason TEXT                 pause writes (posts and changes get 503, reading goes on);
                                                    returns once every write that was accepted is committed
  hearth writes resume | status                     take writes again, or say whether they are paused
  hearth backup --to DIR|s3://bucket/prefix         write an archive hearth-<UTC time>.ndjson.gz there;
         [--retention N] [--spec FILE]              keep only the newest N; put the Hearth spec (JSON) in it;
         [--location-file FILE]                     print where it is last (and write it to FILE)
         [--include-secrets --secrets-dir DIR       encrypt into it the Secrets mounted in DIR (one directory each)
          --key-file FILE]                          under the passphrase in FILE (32 bytes or more)
  hearth restore --from FILE|s3://bucket/key        load an archive into an empty store, verified
         [--include-secrets --key-file FILE         decrypt its Secrets first and write them as a List
          --secrets-out FILE|--secrets-namespace NS] to FILE, or create them in namespace NS (in a pod)
                                                    (S3: HEARTH_S3_ENDPOINT, AWS_ACCESS_KEY_ID…; docs/operations.md)
  hearth migrate                                    copy the source store (HEARTH_SOURCE_DATABASE_URL, or hearth.db in
                                                    HEARTH_SOURCE_DATA_DIR) into this one, writes on it paused, and verify;
                                                    progress as JSON lines; run it again to resume or to check it is done
  hearth chat login|logout|rooms|post|tail …          a chat client for terminals and scripts (hearth chat for its usage)
The store is the one the server would use: HEARTH_DATABASE_URL, or hearth.db in HEARTH_DATA_DIR.`;

const FILE_OPTION = { export: '--out', import: '--in' } as const;

/** The commands whose arguments their own parser reads. */
const SUBCOMMANDS: Readonly<Record<string, (args: readonly string[]) => Command>> = {
  writes: (args) => writesCommand(args),
  backup: (args) => orUsageError(parseBackupArgs(args)),
  restore: (args) => orUsageError(parseRestoreArgs(args)),
  migrate: (args) => migrateCommand(args),
  chat: (args) => ({ kind: 'chat', args }),
};

export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === 'help' || first === '--help' || first === '-h') return { kind: 'help' };
  const subcommand = first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
  if (subcommand !== undefined) return subcommand(rest);
  if (first !== 'export' && first !== 'import') return { kind: 'serve', argv };
  const file = fileOption(first, rest);
  return first === 'export' ? { kind: 'export', out: file } : { kind: 'import', input: file };
}

function orUsageError<C extends Command>(parsed: ArchiveArgs<C>): C {
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.command;
}

/** The value of `--out FILE` / `--out=FILE` (or `--in`), the only argument these commands take. */
function fileOption(command: keyof typeof FILE_OPTION, args: readonly string[]): string {
  return onlyOption(`hearth ${command}`, `${FILE_OPTION[command]} FILE`, args);
}

/** The value of `OPTION VALUE` or `OPTION=VALUE` when that is all of `args`; `usage` is `OPTION VALUE`. */
function onlyOption(command: string, usage: string, args: readonly string[]): string {
  const option = usage.split(' ')[0]!;
  const [arg, value, ...extra] = args;
  const inline = arg?.startsWith(`${option}=`) === true ? arg.slice(option.length + 1) : undefined;
  const found = inline ?? (arg === option ? value : undefined);
  const unexpected = inline === undefined ? extra : [value, ...extra].filter((v) => v !== undefined);
  if (found === undefined || found.trim() === '') throw new UsageError(`${command} needs ${usage}`);
  if (unexpected.length > 0) throw new UsageError(`${command} takes only ${usage} (got also ${unexpected.join(' ')})`);
  return found;
}

function writesCommand(args: readonly string[]): Command {
  const [action, ...rest] = args;
  if (action === 'status' || action === 'resume') {
    if (rest.length > 0) throw new UsageError(`hearth writes ${action} takes no arguments (got ${rest.join(' ')})`);
    return { kind: 'writes', action };
  }
  if (action !== 'pause') throw new UsageError('hearth writes needs pause, resume or status');
  return { kind: 'writes', action: 'pause', reason: onlyOption('hearth writes pause', '--reason TEXT', rest) };
}

/** Both stores come from the environment, as the operator's Job gives them. */
function migrateCommand(args: readonly string[]): Command {
  if (args.length > 0) throw new UsageError(`hearth migrate takes no arguments (got ${args.join(' ')})`);
  return { kind: 'migrate' };
}
