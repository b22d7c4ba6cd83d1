/**
 * What `hearth chat <arguments>` asks for: a pure decision, so each way of calling it is a table
 * test. The connection (URL, credentials) comes from the environment or the saved session
 * (chat-session.ts), never from arguments, so that no password or token lands in a shell history.
 */
export type ChatCommand =
  | { readonly kind: 'login'; readonly url: string; readonly email: string }
  | { readonly kind: 'logout' }
  | { readonly kind: 'rooms'; readonly json: boolean }
  /** `text` null: the message is standard input. */
  | { readonly kind: 'post'; readonly room: string; readonly text: string | null }
  | { readonly kind: 'tail'; readonly room: string; readonly history: number; readonly json: boolean };

export const CHAT_USAGE = `usage:
  hearth chat login --url URL --email EMAIL     sign in (the password from HEARTH_PASSWORD, else the first line of
                                                standard input) and keep the session in HEARTH_CHAT_SESSION
                                                (default ~/.config/hearth/session.json, mode 0600)
  hearth chat logout                            end the saved session
  hearth chat rooms [--json]                    the rooms you are in, with their unread counts
  hearth chat post ROOM [TEXT…]                 post TEXT (none: standard input, as one message) to ROOM
  hearth chat tail ROOM [--history N] [--json]  the last N messages (default 20), then new ones as they come,
                                                until interrupted; resumes after a lost connection with none missed
ROOM is a room's id, or its name (not for a bot). A bot uses HEARTH_URL and HEARTH_TOKEN (its API token)
instead of a saved session.`;

export const MAX_HISTORY = 100;

export class ChatUsageError extends Error {
  override readonly name = 'ChatUsageError';
}

export function parseChatArgs(args: readonly string[]): ChatCommand {
  const [action, ...rest] = args;
  switch (action) {
    case 'login':
      return loginCommand(rest);
    case 'logout':
      noArguments('logout', rest);
      return { kind: 'logout' };
    case 'rooms':
      return { kind: 'rooms', json: flagsOf('rooms', rest, ['--json']).has('--json') };
    case 'post':
      return postCommand(rest);
    case 'tail':
      return tailCommand(rest);
    default:
      throw new ChatUsageError(action === undefined ? 'hearth chat needs a command' : `hearth chat has no command "${action}"`);
  }
}

function loginCommand(args: readonly string[]): ChatCommand {
  const options = optionsOf('login', args, ['--url', '--email']);
  const url = required('login', options, '--url');
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ChatUsageError(`hearth chat login: --url must be an http:// or https:// URL (got "${url}")`);
  return { kind: 'login', url: url.replace(/\/+$/, ''), email: required('login', options, '--email') };
}

function postCommand(args: readonly string[]): ChatCommand {
  const [room, ...words] = args;
  if (room === undefined || room.startsWith('--')) throw new ChatUsageError('hearth chat post needs a ROOM');
  return { kind: 'post', room, text: words.length === 0 ? null : words.join(' ') };
}

function tailCommand(args: readonly string[]): ChatCommand {
  const [room, ...rest] = args;
  if (room === undefined || room.startsWith('--')) throw new ChatUsageError('hearth chat tail needs a ROOM');
  const json = rest.includes('--json');
  const options = optionsOf(
    'tail',
    rest.filter((arg) => arg !== '--json'),
    ['--history'],
  );
  const text = options.get('--history') ?? '20';
  const history = Number(text);
  if (!/^\d+$/.test(text) || history > MAX_HISTORY)
    throw new ChatUsageError(`hearth chat tail: --history must be a number from 0 to ${MAX_HISTORY} (got "${text}")`);
  return { kind: 'tail', room, history, json };
}

/** `--name value` or `--name=value` pairs; anything else is an error naming it. */
function optionsOf(command: string, args: readonly string[], known: readonly string[]): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!known.includes(name)) throw new ChatUsageError(`hearth chat ${command}: unexpected "${arg}"`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new ChatUsageError(`hearth chat ${command}: ${name} needs a value`);
    options.set(name, value);
  }
  return options;
}

function flagsOf(command: string, args: readonly string[], known: readonly string[]): Set<string> {
  const unknown = args.find((arg) => !known.includes(arg));
  if (unknown !== undefined) throw new ChatUsageError(`hearth chat ${command}: unexpected "${unknown}"`);
  return new Set(args);
}

function required(command: string, options: Map<string, string>, name: string): string {
  const value = options.get(name)?.trim();
  if (value === undefined || value === '') throw new ChatUsageError(`hearth chat ${command} needs ${name}`);
  return value;
}

function noArguments(command: string, args: readonly string[]): void {
  if (args.length > 0) throw new ChatUsageError(`hearth chat ${command}: unexpected "${args[0]}"`);
}
