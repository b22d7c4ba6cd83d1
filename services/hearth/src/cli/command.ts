/**
 * What `hearth <arguments>` asks for: to serve (the default, `--target=…`), or one of the data
 * commands. A pure decision, so each way of calling it is a table test.
 */
export type Command =
  | { readonly kind: 'serve'; readonly argv: readonly string[] }
  | { readonly kind: 'export'; readonly out: string }
  | { readonly kind: 'import'; readonly input: string }
  | { readonly kind: 'help' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage:
  hearth [--target=all|gateway|realtime|messaging]   serve (the default: all)
  hearth export --out FILE                          write every record to FILE (- for standard output)
  hearth import --in FILE                           load FILE into an empty store (- for standard input);
                                                    run it again with the same FILE to resume
The store is the one the server would use: HEARTH_DATABASE_URL, or hearth.db in HEARTH_DATA_DIR.`;

const FILE_OPTION = { export: '--out', import: '--in' } as const;

export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === 'help' || first === '--help' || first === '-h') return { kind: 'help' };
  if (first !== 'export' && first !== 'import') return { kind: 'serve', argv };
  const file = fileOption(first, rest);
  return first === 'export' ? { kind: 'export', out: file } : { kind: 'import', input: file };
}

/** The value of `--out FILE` / `--out=FILE` (or `--in`), the only argument these commands take. */
function fileOption(command: keyof typeof FILE_OPTION, args: readonly string[]): string {
  const option = FILE_OPTION[command];
  const [arg, value, ...extra] = args;
  const inline = arg?.startsWith(`${option}=`) === true ? arg.slice(option.length + 1) : undefined;
  const file = inline ?? (arg === option ? value : undefined);
  const unexpected = inline === undefined ? extra : [value, ...extra].filter((v) => v !== undefined);
  if (file === undefined || file === '') throw new UsageError(`hearth ${command} needs ${option} FILE`);
  if (unexpected.length > 0) throw new UsageError(`hearth ${command} takes only ${option} FILE (got also ${unexpected.join(' ')})`);
  return file;
}
