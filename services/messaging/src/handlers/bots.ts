import { isIP } from 'node:net';
import {
  HearthError,
  characterCount,
  invalid,
  isAdministrator,
  refuseIllFormedText,
  requireUser,
  type Bot,
  type Message,
  type OutboundAddressPolicy,
  type Room,
  type User,
} from '@hearth/core';
import { audit } from '../audit.ts';
import { createWebhookSecret } from '../webhooks/signature.ts';
import { insertUser } from './account.ts';
import { addMember } from './memberships.ts';
import type { Handler, HandlerContext } from './types.ts';

const NAME_MAX_CHARS = 100;
const WEBHOOK_URL_MAX_CHARS = 2_000;
/** sha256 in hex, as the gateway makes it. */
const SECRET_HASH = /^[0-9a-f]{64}$/;

async function requireAdministratorActor(ctx: HandlerContext, actorId: string): Promise<User> {
  const actor = await requireUser(ctx.tx, actorId, 'actorId');
  if (!isAdministrator(actor)) throw new HearthError('forbidden', 'only administrators can manage bots');
  return actor;
}

async function requireBot(ctx: HandlerContext, botId: string): Promise<Bot> {
  const bot = await ctx.tx.getBot(botId);
  if (bot === null) throw new HearthError('not_found', `no bot ${botId}`, { field: 'botId' });
  return bot;
}

function normaliseName(name: string, field: string): string {
  refuseIllFormedText(field, name);
  const trimmed = name.trim();
  if (trimmed === '') throw invalid(field, `${field} must not be empty`);
  if (characterCount(trimmed) > NAME_MAX_CHARS) throw invalid(field, `${field} is longer than ${NAME_MAX_CHARS} characters`);
  return trimmed;
}

/**
 * A webhook URL must be absolute http(s), and an IP address in it one the server may call; null
 * means a bot that only posts. A host name is checked at each delivery, against what it resolves to then.
 */
export function normaliseWebhookUrl(url: string | null, addresses: OutboundAddressPolicy): string | null {
  if (url === null) return null;
  const trimmed = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw invalid('webhookUrl', `webhookUrl is not a URL: "${trimmed.slice(0, 100)}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw invalid('webhookUrl', `webhookUrl must be http:// or https:// (got ${parsed.protocol})`);
  if (trimmed.length > WEBHOOK_URL_MAX_CHARS) throw invalid('webhookUrl', `webhookUrl is longer than ${WEBHOOK_URL_MAX_CHARS} characters`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const refusal = isIP(host) === 0 ? null : addresses.refusal(host);
  if (refusal !== null) throw invalid('webhookUrl', `webhookUrl may not point at ${refusal}`);
  return parsed.href;
}

/** The rooms a bot may be put in or a token scoped to: existing open or closed rooms, each once. */
async function requireBotRooms(ctx: HandlerContext, roomIds: readonly string[]): Promise<Room[]> {
  const rooms: Room[] = [];
  for (const id of new Set(roomIds)) {
    const room = await ctx.tx.getRoom(id);
    if (room === null) throw new HearthError('room_not_found', `no room ${id}`, { field: 'roomIds' });
    if (room.kind === 'direct') throw invalid('roomIds', `room ${id} is a direct room; bots work in open and closed rooms`);
    rooms.push(room);
  }
  return rooms;
}

export const createBot: Handler<'bot.create'> = async (ctx, payload) => {
  const admin = await requireAdministratorActor(ctx, payload.actorId);
  const name = normaliseName(payload.name, 'name');
  const webhookUrl = normaliseWebhookUrl(payload.webhookUrl, ctx.webhookAddresses);
  const rooms = await requireBotRooms(ctx, payload.roomIds);
  const user = await insertUser(ctx, { name, email: null, passwordHash: null }, 'bot');
  // Made with the bot even without a webhook URL, so a URL given later is signed from the first delivery.
  const webhookSecret = createWebhookSecret();
  const bot = await ctx.tx.insertBot({ userId: user.id, webhookUrl, createdBy: admin.id, createdAt: ctx.now, webhookSecret });
  for (const room of rooms) await addMember(ctx, room, user.id);
  // Only the webhook's host: its path or query may hold the receiver's own secret.
  const webhookHost = webhookUrl === null ? null : new URL(webhookUrl).host;
  await audit(ctx, {
    actorId: admin.id,
    action: 'bot.created',
    target: { type: 'bot', id: bot.userId },
    detail: { name, webhookHost, roomIds: rooms.map((room) => room.id) },
  });
  return { ...bot, webhookSecret };
};

export const createBotToken: Handler<'bot.token.create'> = async (ctx, payload) => {
  const admin = await requireAdministratorActor(ctx, payload.actorId);
  const bot = await requireBot(ctx, payload.botId);
  if (!bot.active) throw new HearthError('conflict', 'this bot is deactivated; reactivate it before giving it a token', { field: 'botId' });
  const name = normaliseName(payload.name, 'name');
  if (!SECRET_HASH.test(payload.secretHash)) throw invalid('secretHash', 'secretHash must be a sha256 in hex');
  const rooms = await requireBotRooms(ctx, payload.roomIds);
  for (const room of rooms) {
    if ((await ctx.tx.getMembership(room.id, bot.userId)) === null) {
      throw invalid('roomIds', `${bot.name} is not a member of room ${room.id}; add it to the room first`);
    }
  }
  const roomIds = rooms.map((room) => room.id);
  const token = await ctx.tx.insertApiToken(
    { id: payload.tokenId, userId: bot.userId, name, roomIds, createdBy: admin.id, createdAt: ctx.now, revokedAt: null, lastUsedAt: null },
    payload.secretHash,
  );
  await audit(ctx, {
    actorId: admin.id,
    action: 'bot_token.created',
    target: { type: 'bot_token', id: token.id },
    detail: { botId: bot.userId, name, roomIds },
  });
  return token;
};

export const revokeBotToken: Handler<'bot.token.revoke'> = async (ctx, payload) => {
  const admin = await requireAdministratorActor(ctx, payload.actorId);
  const bot = await requireBot(ctx, payload.botId);
  const found = await ctx.tx.getApiToken(payload.tokenId);
  if (found === null || found.token.userId !== bot.userId)
    throw new HearthError('not_found', `${bot.name} has no token ${payload.tokenId}`, { field: 'tokenId' });
  if (found.token.revokedAt !== null) return found.token;
  const revoked = await ctx.tx.revokeApiToken(found.token.id, ctx.now);
  await audit(ctx, {
    actorId: admin.id,
    action: 'bot_token.revoked',
    target: { type: 'bot_token', id: revoked.id },
    detail: { botId: bot.userId, name: revoked.name },
  });
  return revoked;
};

/**
 * A new webhook signing secret for the bot. The one it replaces goes on signing beside it for
 * the grace period, so a receiver can switch without missing a delivery; one replaced before
 * that (a second rotation within the grace period) stops at once.
 */
export const rotateWebhookSecret: Handler<'bot.rotateWebhookSecret'> = async (ctx, payload) => {
  const admin = await requireAdministratorActor(ctx, payload.actorId);
  const bot = await requireBot(ctx, payload.botId);
  const webhookSecret = createWebhookSecret();
  const graceEnds = new Date(Date.parse(ctx.now) + ctx.webhookSecretGraceMs).toISOString();
  const previousSecretExpiresAt = (await ctx.tx.rotateWebhookSecret(bot.userId, webhookSecret, graceEnds)).previous?.expiresAt ?? null;
  await audit(ctx, { actorId: admin.id, action: 'bot.webhook_secret_rotated', target: { type: 'bot', id: bot.userId }, detail: { previousSecretExpiresAt } });
  return { botId: bot.userId, webhookSecret, previousSecretExpiresAt };
};

/**
 * Whether a post could be for a bot: one that mentions someone, or any in a direct room (as in
 * Campfire, a direct room with a bot is a conversation with it: every message is for it).
 */
export function mayAddressBots(author: User, room: Room, mentions: readonly string[]): boolean {
  return author.role !== 'bot' && (mentions.length > 0 || room.kind === 'direct');
}

/**
 * Queues a webhook delivery, in the post's transaction, for each bot with a webhook that the
 * message mentions (mentions are already limited to room members). Messages written by bots
 * notify nobody, so two bots cannot set each other off in a loop.
 */
export async function queueBotMentions(ctx: HandlerContext, author: User, message: Message, room: Room): Promise<void> {
  if (!mayAddressBots(author, room, message.mentions)) return;
  const addressed = new Set(message.mentions);
  if (room.kind === 'direct') for (const member of await ctx.tx.listMembers(room.id)) if (member.userId !== author.id) addressed.add(member.userId);
  for (const userId of addressed) {
    const bot = await ctx.tx.getBot(userId);
    if (bot === null || !bot.active || bot.webhookUrl === null) continue;
    await ctx.tx.insertWebhookDelivery({ botId: bot.userId, messageId: message.id, roomId: message.roomId, createdAt: ctx.now });
    ctx.queued.webhookDeliveries += 1;
  }
}
