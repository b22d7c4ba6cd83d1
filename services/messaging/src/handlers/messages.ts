import {
  HearthError,
  canChangeMessage,
  hasMentionCandidate,
  mentionedUserIds,
  newId,
  normaliseBody,
  normaliseBoost,
  soundOf,
  type Message,
} from '@hearth/core';
import { requirePostable, requireUser, requireVisibleMessage } from '@hearth/core';
import { emit } from '../emit.ts';
import { queueBotMentions } from './bots.ts';
import type { Handler, HandlerContext } from './types.ts';

/** The members `body` mentions. Most bodies mention no one, and for them the room's members are not read. */
async function mentionsIn(ctx: HandlerContext, roomId: string, body: string): Promise<string[]> {
  if (!hasMentionCandidate(body)) return [];
  return mentionedUserIds(body, new Set((await ctx.tx.listMembers(roomId)).map((m) => m.userId)));
}

async function requireChangeable(ctx: HandlerContext, actorId: string, messageId: string): Promise<Message> {
  const actor = await requireUser(ctx.tx, actorId, 'actorId');
  const { message } = await requireVisibleMessage(ctx.tx, messageId, actor.id);
  if (!canChangeMessage(actor, message)) throw new HearthError('forbidden', 'only the author or an administrator can change this message');
  if (message.deletedAt !== null) throw new HearthError('conflict', 'this message was deleted', { field: 'messageId' });
  return message;
}

export const postMessage: Handler<'message.post'> = async (ctx, payload) => {
  // A retry of an acknowledged post gets the original back instead of a second copy;
  // the room lock keeps a concurrent retry from slipping between the check and the insert.
  const context = await ctx.tx.lockRoomForPost(payload.roomId, payload.actorId, payload.clientMessageId);
  const { author, room, membership } = requirePostable(context, payload.roomId, payload.actorId);
  if (context.earlier !== null) return context.earlier;
  const body = normaliseBody(payload.body, ctx.limits.messageChars);
  const sound = soundOf(body);
  const mentions = await mentionsIn(ctx, room.id, body);
  const event = await emit(ctx, room.id, async (seq) => ({
    type: 'message.created',
    message: await ctx.tx.insertMessage({
      id: newId(),
      roomId: room.id,
      seq,
      authorId: payload.actorId,
      clientMessageId: payload.clientMessageId,
      body,
      mentions,
      sound,
      createdAt: ctx.now,
    }),
  }));
  if (event.type !== 'message.created') throw new Error('emit returned a different event than it was given');
  await queueBotMentions(ctx, author, event.message, room);
  // What you wrote yourself is read: the room does not turn unread for its author.
  await ctx.tx.putMembership({ ...membership, readSeq: Math.max(membership.readSeq, event.seq) });
  return event.message;
};

export const editMessage: Handler<'message.edit'> = async (ctx, payload) => {
  const message = await requireChangeable(ctx, payload.actorId, payload.messageId);
  const body = normaliseBody(payload.body, ctx.limits.messageChars);
  if (message.sound !== null || soundOf(body) !== null) throw new HearthError('invalid_request', '/play messages cannot be edited', { field: 'body' });
  const updated = await ctx.tx.updateMessageBody(message.id, body, await mentionsIn(ctx, message.roomId, body), ctx.now);
  await emit(ctx, message.roomId, () => ({ type: 'message.updated', message: updated }));
  return updated;
};

export const deleteMessage: Handler<'message.delete'> = async (ctx, payload) => {
  const message = await requireChangeable(ctx, payload.actorId, payload.messageId);
  const deleted = await ctx.tx.markMessageDeleted(message.id, ctx.now);
  await emit(ctx, message.roomId, () => ({ type: 'message.deleted', messageId: message.id }));
  return deleted;
};

export const addBoost: Handler<'boost.add'> = async (ctx, payload) => {
  await requireUser(ctx.tx, payload.actorId, 'actorId');
  const { message } = await requireVisibleMessage(ctx.tx, payload.messageId, payload.actorId);
  if (message.deletedAt !== null) throw new HearthError('conflict', 'this message was deleted', { field: 'messageId' });
  const boost = await ctx.tx.insertBoost({
    id: newId(),
    messageId: message.id,
    authorId: payload.actorId,
    content: normaliseBoost(payload.content),
    createdAt: ctx.now,
  });
  await emit(ctx, message.roomId, () => ({ type: 'boost.created', boost }));
  return boost;
};

export const removeBoost: Handler<'boost.remove'> = async (ctx, payload) => {
  const actor = await requireUser(ctx.tx, payload.actorId, 'actorId');
  const boost = await ctx.tx.getBoost(payload.boostId);
  if (boost === null) throw new HearthError('not_found', `no boost ${payload.boostId}`, { field: 'boostId' });
  const { message } = await requireVisibleMessage(ctx.tx, boost.messageId, actor.id);
  if (boost.authorId !== actor.id && actor.role !== 'administrator')
    throw new HearthError('forbidden', 'only its author or an administrator can remove a boost');
  const removed = await ctx.tx.deleteBoost(boost.id);
  if (removed) await emit(ctx, message.roomId, () => ({ type: 'boost.deleted', boostId: boost.id, messageId: message.id }));
  return { removed };
};
