import type { FastifyRequest } from 'fastify';
import { HearthError, type ApiToken, type ApiTokenCredentials, type Store, type User } from '@hearth/core';
import { BOT_TOKEN_PREFIX, botSecretMatches, parseBotToken } from './bot-tokens.ts';

/** A request made with a bot's API token: the bot, and the token with its room scope. */
export interface BotSignedIn {
  readonly user: User;
  readonly token: ApiToken;
}

/** Avoid a write per request: last_used_at moves at most once a minute. */
const TOUCH_EVERY_MS = 60_000;

/** What a bot token may reach on a route: anything (its own profile), one room's messages, or one message. */
export type BotReach = 'self' | 'room' | 'message';

/**
 * Which routes a bot token may call, and what must be in its scope there. Everything else
 * (other rooms, room and membership changes, administration) is out of a bot's reach.
 */
const BOT_ROUTES: Readonly<Record<string, BotReach>> = {
  'GET /api/users/me': 'self',
  'GET /api/rooms/:roomId/messages': 'room',
  'POST /api/rooms/:roomId/messages': 'room',
  'GET /api/messages/:messageId': 'message',
  // Messaging lets only the author (or an administrator) change a message: a bot, its own posts.
  'PATCH /api/messages/:messageId': 'message',
  'DELETE /api/messages/:messageId': 'message',
  'POST /api/rooms/:roomId/files': 'room',
  'GET /api/messages/:messageId/file': 'message',
  'GET /api/messages/:messageId/file/thumbnail': 'message',
};

export function botReach(method: string, routeUrl: string | undefined): BotReach | null {
  if (routeUrl === undefined) return null;
  const asGet = method === 'HEAD' ? 'GET' : method;
  return BOT_ROUTES[`${asGet} ${routeUrl}`] ?? null;
}

/**
 * The Hearth bot token in an Authorization header (`Bearer hbt_…`), or null when there is none.
 * Another scheme, or a bearer token that is not ours (an authenticating proxy in front of Hearth
 * may pass its own), is not ours to judge: the request goes on as if it had no such header.
 */
export function bearerTokenOf(header: string | undefined): string | null {
  const token = /^Bearer[ \t]+(.*)$/i.exec(header ?? '')?.[1]?.trim();
  return token !== undefined && token.startsWith(BOT_TOKEN_PREFIX) ? token : null;
}

const refused = (): HearthError => new HearthError('unauthenticated', 'the bearer token is not valid: it is malformed, unknown or revoked');
const outOfScope = (what: string): HearthError => new HearthError('forbidden', `bot tokens are limited to their rooms: ${what}`);

/**
 * The bot a presented token belongs to. Every failure is the same 401, so a caller cannot
 * tell a revoked token from an unknown one. Not cached: a revocation holds from the next request.
 */
export async function authenticateBot(store: Store, presented: string, now = Date.now()): Promise<BotSignedIn> {
  const parsed = parseBotToken(presented);
  if (parsed === null) throw refused();
  const found = await store.getApiToken(parsed.tokenId);
  if (found === null || !isLiveTokenWithSecret(found, parsed.secret)) throw refused();
  const user = await store.getUser(found.token.userId);
  if (user === null || !isActiveBot(user)) throw refused();
  const { token } = found;
  if (!isTouchDue(token.lastUsedAt, now)) return { user, token };
  const usedAt = new Date(now).toISOString();
  await store.transaction((tx) => tx.touchApiToken(token.id, usedAt));
  return { user, token: { ...token, lastUsedAt: usedAt } };
}

/** A token that is not revoked, presented with its own secret. */
function isLiveTokenWithSecret(found: ApiTokenCredentials, secret: string): boolean {
  return found.token.revokedAt === null && botSecretMatches(secret, found.secretHash);
}

/** A token's owner may use it only while it is an active bot (not a person, not deactivated). */
function isActiveBot(user: User): boolean {
  return user.active && user.role === 'bot';
}

/** Whether this use should move last_used_at: never used, or last moved TOUCH_EVERY_MS ago or more. */
export function isTouchDue(lastUsedAt: string | null, now: number): boolean {
  return lastUsedAt === null || now - Date.parse(lastUsedAt) >= TOUCH_EVERY_MS;
}

/** Refuses, with 403, a bot request for a route or a room outside its token's reach. */
export async function requireWithinBotScope(store: Store, request: FastifyRequest, bot: BotSignedIn): Promise<void> {
  const reach = botReach(request.method, request.routeOptions.url);
  const params = request.params as Readonly<Record<string, string | undefined>>;
  const inScope = (roomId: string | undefined): boolean => roomId !== undefined && bot.token.roomIds.includes(roomId);
  switch (reach) {
    case null:
      throw outOfScope(`${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} is not open to bots (they read, post and change messages)`);
    case 'self':
      return;
    case 'room':
      if (!inScope(params['roomId'])) throw outOfScope("this room is not one of the token's");
      return;
    case 'message': {
      // A message that does not exist is the route's own 404.
      const message = params['messageId'] === undefined ? null : await store.getMessage(params['messageId']);
      if (message !== null && !inScope(message.roomId)) throw outOfScope("this message is in a room that is not one of the token's");
      return;
    }
  }
}
