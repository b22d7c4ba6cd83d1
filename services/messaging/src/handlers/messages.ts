import { HearthError, canChangeMessage, mentionedUserIds, newId, normaliseBody, normaliseBoost, soundOf, type Message } from '@hearth/core';
import { requireMembership, requireRoom, requireUser, requireVisibleMessage } from '@hearth/core';
import { emit } from '../emit.ts';
import { queueBotMentions } from './bots.ts';
import type { Handler, HandlerContext } from './types.ts';

async function memberIds(ctx: HandlerContext, roomId: string): Promise<Set<string>> {
  return new Set((await ctx.tx.listMembers(roomId)).map((m) => m.userId));
}

async function requireChangeable(ctx: HandlerContext, actorId: string, messageId: string): Promise<Message> {
  const actor = await requireUser(ctx.tx, actorId, 'actorId');
  const { message } = await requireVisibleMessage(ctx.tx, messageId, actor.id);
  if (!canChangeMessage(actor, message)) throw new HearthError('forbidden', 'only the author or an administrator can change this message');
  if (message.deletedAt !== null) throw new HearthError('conflict', 'this message was deleted', { field: 'messageId' });
  return message;
}

export const postMessage: Handler<'message.post'> = async (ctx, payload) => {
  const author = await requireUser(ctx.tx, payload.actorId, 'actorId');
  const room = await requireRoom(ctx.tx, payload.roomId);
  const membership = await requireMembership(ctx.tx, room, payload.actorId);
  // A retry of an acknowledged post gets the original back instead of a second copy;
  // the room lock keeps a concurrent retry from slipping between the check and the insert.
  await ctx.tx.lockRoom(room.id);
  const earlier = await ctx.tx.getMessageByClientId(room.id, payload.actorId, payload.clientMessageId);
  if (earlier !== null) return earlier;
  const body = normaliseBody(payload.body, ctx.limits.messageChars);
  const sound = soundOf(body);
  const mentions = mentionedUserIds(body, await memberIds(ctx, room.id));
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
  const updated = await ctx.tx.updateMessageBody(message.id, body, mentionedUserIds(body, await memberIds(ctx, message.roomId)), ctx.now);
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
