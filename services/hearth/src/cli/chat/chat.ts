import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Message, RoomWithCounts, User } from '@hearth/core';
import type { CliStreams } from '../store-command.ts';
import { CHAT_USAGE, ChatUsageError, parseChatArgs, type ChatCommand } from './chat-args.ts';
import { callApi, ChatError, credentialsOf, forgetSession, reach, refusalOf, saveSession, type ChatCredentials } from './chat-connection.ts';
import { tailRoom } from './chat-tail.ts';

/**
 * `hearth chat`: Hearth from a terminal or a script, as a person (a saved session) or a bot (its
 * token). Returns the exit status: 0 done, 1 refused or failed (one line on standard error),
 * 2 a usage error.
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface ChatContext {
  readonly env: Env;
  readonly streams: CliStreams;
  /** Ends `tail` (SIGINT, SIGTERM). */
  readonly signal: AbortSignal;
}

export async function runChatCommand(args: readonly string[], context: ChatContext): Promise<number> {
  let command: ChatCommand;
  try {
    command = parseChatArgs(args);
  } catch (error) {
    if (!(error instanceof ChatUsageError)) throw error;
    context.streams.stderr.write(`${error.message}\n${CHAT_USAGE}\n`);
    return 2;
  }
  try {
    await run(command, context);
    return 0;
  } catch (error) {
    if (!(error instanceof ChatError)) throw error;
    context.streams.stderr.write(`hearth chat ${command.kind}: ${error.message}\n`);
    return 1;
  }
}

async function run(command: ChatCommand, context: ChatContext): Promise<void> {
  switch (command.kind) {
    case 'login':
      return login(command, context);
    case 'logout':
      return logout(context);
    case 'rooms':
      return listRooms(await credentialsOf(context.env), command.json, context);
    case 'post':
      return post(await credentialsOf(context.env), command, context);
    case 'tail':
      return tail(await credentialsOf(context.env), command, context);
  }
}

async function login(command: Extract<ChatCommand, { kind: 'login' }>, context: ChatContext): Promise<void> {
  const password = context.env['HEARTH_PASSWORD'] ?? (await firstLine(context.streams.stdin));
  if (password === undefined || password === '') throw new ChatError('no password: set HEARTH_PASSWORD, or give it on standard input');
  const response = await reach(command.url, '/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: command.email, password }),
  });
  const text = await response.text();
  if (!response.ok) throw new ChatError(refusalOf('POST', '/api/session', response.status, text));
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('hearth_session='));
  if (cookie === undefined) throw new ChatError('the server signed you in but set no session cookie');
  const { user, csrfToken } = JSON.parse(text) as { user: User; csrfToken: string };
  const file = await saveSession(context.env, { kind: 'session', url: command.url, cookie, csrfToken });
  context.streams.stderr.write(`hearth chat: signed in to ${command.url} as ${user.name}; the session is in ${file}\n`);
}

async function logout(context: ChatContext): Promise<void> {
  const credentials = await credentialsOf(context.env).catch(() => null);
  if (credentials?.kind === 'session') await callApi(credentials, 'DELETE', '/api/session').catch(() => undefined);
  await forgetSession(context.env);
}

async function listRooms(credentials: ChatCredentials, json: boolean, context: ChatContext): Promise<void> {
  if (credentials.kind === 'bot') throw new ChatError("a bot's token does not list rooms: its rooms are the ones it was given");
  const { rooms } = await callApi<{ rooms: RoomWithCounts[] }>(credentials, 'GET', '/api/rooms');
  const names = await peopleOf(credentials);
  for (const room of rooms) {
    if (json) context.streams.stdout.write(`${JSON.stringify(room)}\n`);
    else context.streams.stdout.write(`${roomLine(room, names)}\n`);
  }
}

function roomLine(room: RoomWithCounts, names: Map<string, string>): string {
  const name = room.name ?? room.memberIds.map((id) => names.get(id) ?? id).join(', ');
  const counts =
    room.mentionCount > 0 ? `  (${room.unreadCount} unread, ${room.mentionCount} for you)` : room.unreadCount > 0 ? `  (${room.unreadCount} unread)` : '';
  return `${room.id}  ${room.kind === 'direct' ? '@' : '#'}${name}${counts}`;
}

async function post(credentials: ChatCredentials, command: Extract<ChatCommand, { kind: 'post' }>, context: ChatContext): Promise<void> {
  const body = command.text ?? (await allOf(context.streams.stdin)).replace(/\n+$/, '');
  if (body.trim() === '') throw new ChatError('nothing to post: give TEXT, or the message on standard input');
  const roomId = await roomIdOf(credentials, command.room);
  const message = await callApi<Message>(credentials, 'POST', `/api/rooms/${encodeURIComponent(roomId)}/messages`, { body, clientMessageId: randomUUID() });
  context.streams.stdout.write(`${message.id}\n`);
}

async function tail(credentials: ChatCredentials, command: Extract<ChatCommand, { kind: 'tail' }>, context: ChatContext): Promise<void> {
  const roomId = await roomIdOf(credentials, command.room);
  const names = await peopleOf(credentials);
  const show = (message: Message): void => void context.streams.stdout.write(`${command.json ? JSON.stringify(message) : messageLine(message, names)}\n`);
  const after = await showHistory(credentials, roomId, command.history, show);
  await tailRoom(credentials, {
    roomId,
    after,
    show,
    signal: context.signal,
    onLost: (why) => void context.streams.stderr.write(`hearth chat tail: connection lost (${why}); reconnecting…\n`),
  });
}

/** The room's last `count` messages, shown; returns the sequence to follow on from. */
async function showHistory(credentials: ChatCredentials, roomId: string, count: number, show: (message: Message) => void): Promise<number> {
  const { messages } = await callApi<{ messages: Message[] }>(
    credentials,
    'GET',
    `/api/rooms/${encodeURIComponent(roomId)}/messages?limit=${Math.max(1, count)}`,
  );
  const shown = count === 0 ? [] : messages;
  for (const message of shown) show(message);
  return messages.at(-1)?.seq ?? 0;
}

function messageLine(message: Message, names: Map<string, string>): string {
  const time = message.createdAt.slice(11, 16);
  const file = message.file === null ? '' : ` [file: ${message.file.name}, ${message.file.size} bytes]`;
  const body = message.deletedAt !== null ? '(deleted)' : message.body;
  return `#${message.seq} ${time} ${names.get(message.authorId) ?? message.authorId}: ${body}${file}`;
}

/** People's names by id; a bot's token reads no user list, and shows ids. */
async function peopleOf(credentials: ChatCredentials): Promise<Map<string, string>> {
  if (credentials.kind === 'bot') return new Map();
  const { users } = await callApi<{ users: User[] }>(credentials, 'GET', '/api/users');
  return new Map(users.map((user) => [user.id, user.name]));
}

/** A room's id from its id or its name; a bot names rooms by id. */
async function roomIdOf(credentials: ChatCredentials, room: string): Promise<string> {
  if (credentials.kind === 'bot') return room;
  const { rooms } = await callApi<{ rooms: RoomWithCounts[] }>(credentials, 'GET', '/api/rooms');
  const byId = rooms.find((candidate) => candidate.id === room);
  if (byId !== undefined) return byId.id;
  const named = rooms.filter((candidate) => candidate.name?.toLowerCase() === room.replace(/^#/, '').toLowerCase());
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) throw new ChatError(`${named.length} rooms are named "${room}": give the id (hearth chat rooms lists them)`);
  throw new ChatError(`you are in no room named or numbered "${room}" (hearth chat rooms lists yours)`);
}

async function firstLine(input: Readable): Promise<string | undefined> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) return line;
  return undefined;
}

async function allOf(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
