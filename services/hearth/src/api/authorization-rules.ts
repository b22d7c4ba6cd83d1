/**
 * Who may call each REST operation, as docs/protocol.md says: the expected answer of every cell
 * of the authorization matrix (authorization-matrix.test.ts), one pure rule per operation of
 * /api/openapi.json. A new operation without a rule here fails that test.
 */

/** The callers of the matrix. Every one of them is a person or bot of the same account. */
export const ROLES = [
  'anonymous',
  // A plain member of the room (not its creator); the author of the room's fixture message.
  'member',
  // Signed in, but not a member of the room (and, of an open room, one who has left it).
  'nonMember',
  // An administrator: a member of open rooms (they include everyone), not of closed or direct ones.
  'administrator',
  // A bot that is a member of open and closed rooms, with a token scoped to the room; never in a direct room.
  'bot',
  // A bot with a token for a room of its own only.
  'outsideBot',
  // A member whose account was deactivated after signing in: the old cookie and CSRF token are sent.
  'deactivated',
] as const;
export type MatrixRole = (typeof ROLES)[number];

export const ROOM_KINDS = ['open', 'closed', 'direct'] as const;
export type MatrixRoomKind = (typeof ROOM_KINDS)[number];

/** One cell: a caller, and the kind of room the path's ids point into (null when the path has none). */
export interface Cell {
  readonly role: MatrixRole;
  readonly kind: MatrixRoomKind | null;
}

/** The expected answer: any 2xx ('ok'), or this exact status. */
export type Expected = 'ok' | 400 | 401 | 403 | 404 | 409;

export interface AuthorizationRule {
  readonly expect: (cell: Cell) => Expected;
  /** Sign-in, setup and join: no session yet, so no CSRF token is asked for (protocol §1). */
  readonly csrfExempt?: true;
  /** A stream that never ends: only its refusals are matrix cells; the realtime tests cover the rest. */
  readonly streams?: true;
  /** The path names a room (directly or through a message or boost): one cell per room kind. */
  readonly perRoomKind?: true;
}

const isBot = (role: MatrixRole): boolean => role === 'bot' || role === 'outsideBot';

/** Whether the caller is a member of the cell's room (see ROLES). */
export function isRoomMember({ role, kind }: Cell): boolean {
  if (role === 'member') return true;
  if (role === 'administrator') return kind === 'open';
  return role === 'bot' && kind !== 'direct';
}

/** Whether the cell's bot token reaches the cell's room: the bot's token is scoped to open and closed rooms it is in. */
function isBotInScope(cell: Cell): boolean {
  return cell.role === 'bot' && isRoomMember(cell);
}

/**
 * The refusals every session-only operation shares: no (live) session is 401, a bot token
 * outside the few routes open to bots is 403 (protocol §5.2). Null: a person with a session.
 */
function refusalOfNonPerson({ role }: Cell): Expected | null {
  if (role === 'anonymous' || role === 'deactivated') return 401;
  if (isBot(role)) return 403;
  return null;
}

/** Anyone, with or without a session; a bot token is still limited to the bot routes. */
const publicOperation =
  (answer: Expected = 'ok') =>
  (cell: Cell): Expected =>
    isBot(cell.role) ? 403 : answer;

/** Any signed-in person. */
const signedIn = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? 'ok';

const administrators = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? (cell.role === 'administrator' ? 'ok' : 403);

/** Members of the room only (a non-member gets 403 not_a_member). */
const roomMembers = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? (isRoomMember(cell) ? 'ok' : 403);

/** Members of the room, or a bot whose token reaches the room (protocol §5.2). */
const roomMembersAndBots = (cell: Cell): Expected => (isBot(cell.role) ? (isBotInScope(cell) ? 'ok' : 403) : roomMembers(cell));

/**
 * The room's creator or an administrator; a direct room only its participants (an administrator
 * outside it may not even see who they are), and it then refuses the change itself with 400.
 */
const roomManagers = (cell: Cell): Expected => {
  const refusal = refusalOfNonPerson(cell);
  if (refusal !== null) return refusal;
  if (cell.kind === 'direct') return cell.role === 'member' ? 400 : 403;
  return cell.role === 'administrator' ? 'ok' : 403;
};

/** Leaving (the member removes themself) or removing (a manager): a direct room refuses both with 400, and outsiders with 403. */
const memberRemovers = (cell: Cell): Expected => {
  const refusal = refusalOfNonPerson(cell);
  if (refusal !== null) return refusal;
  if (cell.kind === 'direct') return cell.role === 'member' ? 400 : 403;
  return cell.role === 'member' || cell.role === 'administrator' ? 'ok' : 403;
};

/** Signing in with the caller's own email: a deactivated account's password no longer works. */
const signIn = (cell: Cell): Expected => (cell.role === 'deactivated' ? 401 : publicOperation()(cell));

/** Renaming the member: themself, or an administrator. */
const renameMember = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? (cell.role === 'nonMember' ? 403 : 'ok');

/** `GET /api/users/me`: any person with a session, and any bot token. */
const selfOrBot = (cell: Cell): Expected => (isBot(cell.role) ? 'ok' : signedIn(cell));

/** The fixture's file is no image: its members learn that it has no thumbnail, and only they. */
const noThumbnail = (cell: Cell): Expected => {
  const answer = roomMembersAndBots(cell);
  return answer === 'ok' ? 404 : answer;
};

/**
 * Changing the fixture message, which the member wrote: members (its author; an administrator who
 * can see it), never a bot. A bot token reaches a message in its rooms (protocol §5.2), but only
 * to change the bot's own, so in scope it is refused by messaging, and outside by the gateway.
 */
const messageChangers = (cell: Cell): Expected => (isBot(cell.role) ? 403 : roomMembers(cell));

/** One of the member's own sessions (another session of theirs is the fixture): anyone else's is unknown to them, 404. */
const ownSession = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? (cell.role === 'member' ? 'ok' : 404);

/** Someone's picture: anyone signed in may see it; the matrix's user (Fay) has none, which they learn with 404. */
const noPicture = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? 404;

/** Unsubscribing an endpoint the caller never subscribed: any person learns there is none, 404. */
const noSubscription = (cell: Cell): Expected => refusalOfNonPerson(cell) ?? 404;

const perRoom = (expect: (cell: Cell) => Expected): AuthorizationRule => ({ expect, perRoomKind: true });

/** Keyed `METHOD /path` as in /api/openapi.json. */
export const AUTHORIZATION_RULES: Readonly<Record<string, AuthorizationRule>> = {
  'GET /api/status': { expect: publicOperation() },
  'POST /api/setup': { expect: publicOperation(409), csrfExempt: true },
  'POST /api/session': { expect: signIn, csrfExempt: true },
  'GET /api/session': { expect: signedIn },
  // Signing out without a session is a no-op, not an error.
  'DELETE /api/session': { expect: publicOperation() },
  'GET /api/sessions': { expect: signedIn },
  // Signs out another session of the member's own; it is no one else's to end.
  'DELETE /api/sessions/{sessionId}': { expect: ownSession },
  // Signs out the caller's other sessions (never the one it is called with).
  'POST /api/sessions/revoke-others': { expect: signedIn },
  // Web Push: people only, each browser's subscription kept with the caller's session.
  'GET /api/push': { expect: signedIn },
  'POST /api/push/subscriptions': { expect: signedIn },
  'DELETE /api/push/subscriptions': { expect: noSubscription },
  'GET /api/join/{joinCode}': { expect: publicOperation() },
  'POST /api/join/{joinCode}': { expect: publicOperation(), csrfExempt: true },
  'GET /api/users': { expect: signedIn },
  'GET /api/users/me': { expect: selfOrBot },
  'PATCH /api/users/{userId}': { expect: renameMember },
  // One's own picture: any person; a bot has none.
  'PUT /api/users/me/avatar': { expect: signedIn },
  'DELETE /api/users/me/avatar': { expect: signedIn },
  'GET /api/users/{userId}/avatar': { expect: noPicture },
  'GET /api/account': { expect: signedIn },
  'POST /api/account/join-code': { expect: administrators },
  'GET /api/presence': { expect: signedIn },
  'GET /api/rooms': { expect: signedIn },
  'POST /api/rooms': { expect: signedIn },
  'POST /api/rooms/direct': { expect: signedIn },
  'GET /api/rooms/{roomId}': perRoom(roomMembers),
  'PATCH /api/rooms/{roomId}': perRoom(roomManagers),
  // Adds the non-member: a manager's act; a direct room never takes new people.
  'PUT /api/rooms/{roomId}/members/{userId}': perRoom(roomManagers),
  // Removes the member.
  'DELETE /api/rooms/{roomId}/members/{userId}': perRoom(memberRemovers),
  'PATCH /api/rooms/{roomId}/membership': perRoom(roomMembers),
  'POST /api/rooms/{roomId}/typing': perRoom(roomMembers),
  'GET /api/rooms/{roomId}/messages': perRoom(roomMembersAndBots),
  'POST /api/rooms/{roomId}/messages': perRoom(roomMembersAndBots),
  'GET /api/messages/{messageId}': perRoom(roomMembersAndBots),
  'POST /api/rooms/{roomId}/files': perRoom(roomMembersAndBots),
  'GET /api/messages/{messageId}/file': perRoom(roomMembersAndBots),
  'GET /api/messages/{messageId}/file/thumbnail': perRoom(noThumbnail),
  // The member wrote the message; an administrator must also be able to see it (be a member).
  // A bot may change only its own messages (admin-bots.test.ts): the member's is refused.
  'PATCH /api/messages/{messageId}': perRoom(messageChangers),
  'DELETE /api/messages/{messageId}': perRoom(messageChangers),
  'POST /api/messages/{messageId}/boosts': perRoom(roomMembers),
  // The member's boost.
  'DELETE /api/boosts/{boostId}': perRoom(roomMembers),
  // Everyone may search; the hits come from their own rooms only (the leak check).
  'GET /api/search': { expect: signedIn },
  'POST /api/admin/bots': { expect: administrators },
  'GET /api/admin/bots': { expect: administrators },
  'POST /api/admin/bots/{botId}/tokens': { expect: administrators },
  'GET /api/admin/bots/{botId}/tokens': { expect: administrators },
  'DELETE /api/admin/bots/{botId}/tokens/{tokenId}': { expect: administrators },
  'POST /api/admin/bots/{botId}/webhook-secret': { expect: administrators },
  'GET /api/admin/audit': { expect: administrators },
  'GET /api/admin/audit/export': { expect: administrators },
  'GET /api/realtime/sse': { expect: signedIn, streams: true },
};

/** Whether a method changes something, so a session must send its CSRF token. */
export function isMutating(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

/** Whether an answer is the expected one. */
export function answersAsExpected(expected: Expected, status: number): boolean {
  return expected === 'ok' ? status >= 200 && status < 300 : status === expected;
}
