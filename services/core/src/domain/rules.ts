import { HearthError, invalid } from '../errors.ts';
import type { CommandPayloads } from './commands.ts';
import { textProblem } from './well-formed-text.ts';
import type { Involvement, Membership, Message, Role, Room, RoomKind, User } from './types.ts';

/** Sounds a `/play <name>` message may name, as in Campfire's built-in set. */
export const SOUNDS = [
  'bell',
  'bezos',
  'bueller',
  'clowntown',
  'cottoneyejoe',
  'crickets',
  'dadgummit',
  'dangerzone',
  'drama',
  'greatjob',
  'horn',
  'horror',
  'inconceivable',
  'live',
  'loggins',
  'mario',
  'nyan',
  'ohmy',
  'pushit',
  'rimshot',
  'sax',
  'secret',
  'tada',
  'tmyk',
  'trombone',
  'vuvuzela',
  'what',
  'yeah',
  'yodel',
] as const;

export const BOOST_MAX_CHARS = 16;
export const ROOM_NAME_MAX_CHARS = 100;

/** Mentions are written `<@userId>` in a body; clients render them as @Name. */
const MENTION = /<@([0-9a-f-]{36})>/g;
/** The same, for a yes or no: a global RegExp's test() carries lastIndex from one call to the next. */
const ANY_MENTION = new RegExp(MENTION.source);

export function characterCount(text: string): number {
  return [...text].length;
}

/** Text PostgreSQL cannot store (NUL, a lone surrogate) is refused the same way by both stores (well-formed-text.ts). */
export function refuseIllFormedText(field: string, text: string): void {
  const problem = textProblem(text);
  if (problem !== null) throw invalid(field, `${field} ${problem}`);
}

/** The message body as stored: trimmed, non-empty, within the limit. */
export function normaliseBody(body: string, maxChars: number): string {
  refuseIllFormedText('body', body);
  const trimmed = body.trim();
  if (trimmed === '') throw invalid('body', 'body must not be empty');
  const count = characterCount(trimmed);
  if (count > maxChars) throw new HearthError('payload_too_large', `body has ${count} characters; the limit is ${maxChars}`, { field: 'body' });
  return trimmed;
}

/**
 * Whether a body has anything that could mention someone (a member or not). Most bodies have
 * not, and for them the room's members need not be read to find the mentions (there are none).
 */
export function hasMentionCandidate(body: string): boolean {
  return ANY_MENTION.test(body);
}

/** The member ids a body mentions, each once, in order of first mention, limited to the room's members. */
export function mentionedUserIds(body: string, memberIds: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const match of body.matchAll(MENTION)) {
    const id = match[1];
    if (id !== undefined && memberIds.has(id)) found.add(id);
  }
  return [...found];
}

/** The sound a `/play` command names; null for an ordinary message. */
export function soundOf(body: string): string | null {
  const match = /^\/play(?:\s+(\S+))?\s*$/.exec(body);
  if (match === null) return null;
  const name = match[1]?.toLowerCase() ?? '';
  if (!(SOUNDS as readonly string[]).includes(name)) {
    throw invalid('body', `unknown sound "${name}"; /play takes one of ${SOUNDS.join(', ')}`);
  }
  return name;
}

export function normaliseBoost(content: string): string {
  refuseIllFormedText('content', content);
  const trimmed = content.trim();
  if (trimmed === '') throw invalid('content', 'boost must not be empty');
  const count = characterCount(trimmed);
  if (count > BOOST_MAX_CHARS) throw invalid('content', `boost has ${count} characters; the limit is ${BOOST_MAX_CHARS}`);
  return trimmed;
}

export function normaliseRoomName(name: string): string {
  refuseIllFormedText('name', name);
  const trimmed = name.trim();
  if (trimmed === '') throw invalid('name', 'room name must not be empty');
  if (characterCount(trimmed) > ROOM_NAME_MAX_CHARS) throw invalid('name', `room name is longer than ${ROOM_NAME_MAX_CHARS} characters`);
  return trimmed;
}

export function defaultInvolvement(kind: RoomKind): Involvement {
  return kind === 'direct' ? 'everything' : 'mentions';
}

export function isAdministrator(user: Pick<User, 'role'>): boolean {
  return user.role === 'administrator';
}

/** Authors edit and delete their own messages; administrators any. */
export function canChangeMessage(actor: Pick<User, 'id' | 'role'>, message: Pick<Message, 'authorId'>): boolean {
  return message.authorId === actor.id || isAdministrator(actor);
}

/** Who may rename a room, convert it, and manage its members. Every participant administers a direct room. */
export function canManageRoom(actor: Pick<User, 'id' | 'role'>, room: Pick<Room, 'kind' | 'createdBy'>, membership: Membership | null): boolean {
  // A direct room is its members' alone: an administrator outside it may not rename it, change
  // its members, or read who they are (the Room answered carries its directKey).
  if (room.kind === 'direct') return membership !== null;
  if (isAdministrator(actor)) return true;
  return room.createdBy === actor.id;
}

/** Open and closed rooms convert into each other; a direct room never changes kind. */
export function canConvertRoom(from: RoomKind, to: RoomKind): boolean {
  if (from === to) return true;
  return from !== 'direct' && to !== 'direct';
}

/** Who a new user is allowed to become: only the first-run wizard creates an administrator without one. */
export function roleForNewUser(existingUsers: number, requested: Role | undefined): Role {
  if (existingUsers === 0) return 'administrator';
  return requested ?? 'member';
}

/** The key that makes one direct room per set of people. */
export function directKey(userIds: readonly string[]): string {
  return [...new Set(userIds)].sort().join(',');
}

export function isUnread(room: Pick<Room, 'lastMessageSeq'>, membership: Pick<Membership, 'readSeq' | 'involvement'>): boolean {
  return membership.involvement !== 'invisible' && room.lastMessageSeq > membership.readSeq;
}

/** A bot is made by bot.create and stays a bot: its tokens only work while it is one. */
function botRoleChangeRefusal(target: Pick<User, 'role'>, change: CommandPayloads['user.update']): HearthError | null {
  if (change.role === undefined || (change.role === 'bot') === (target.role === 'bot')) return null;
  return new HearthError('invalid_request', target.role === 'bot' ? "a bot's role cannot be changed" : 'people cannot be made bots; create a bot instead', {
    field: 'role',
  });
}

/**
 * Why `actor` may not make this change to `target`, or null when allowed: people
 * rename themselves; only administrators change roles and activation, and never
 * their own (so an account always keeps an administrator).
 */
export function userUpdateRefusal(
  actor: Pick<User, 'id' | 'role'>,
  target: Pick<User, 'id' | 'role'>,
  change: CommandPayloads['user.update'],
): HearthError | null {
  const botRoleRefusal = botRoleChangeRefusal(target, change);
  if (botRoleRefusal !== null) return botRoleRefusal;
  const privileged = change.role !== undefined || change.active !== undefined;
  if (!privileged) {
    return actor.id === target.id || isAdministrator(actor) ? null : new HearthError('forbidden', 'you can only rename yourself');
  }
  if (!isAdministrator(actor)) return new HearthError('forbidden', 'only administrators can change roles and deactivate people');
  if (actor.id === target.id) {
    return new HearthError('forbidden', 'administrators cannot demote or deactivate themselves', { field: change.role === undefined ? 'active' : 'role' });
  }
  return null;
}
