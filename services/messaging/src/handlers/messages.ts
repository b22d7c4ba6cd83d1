import {
  HearthError,
  canChangeMessage,
  hasMentionCandidate,
  mentionedUserIds,
  newId,
  normaliseBody,
  normaliseBoost,
  roomEvent,
  soundOf,
  type CommandPayloads,
  type Message,
  type NewMessage,
  type PostContext,
  type PostDraft,
  type Room,
  type Store,
  type StoreReads,
  type User,
} from '@hearth/core';
import { requirePostable, requireUser, requireVisibleMessage } from '@hearth/core';
import { emit, type CommandContext } from '../emit.ts';
import { mayAddressBots, queueBotMentions } from './bots.ts';
import type { Handler, HandlerContext } from './types.ts';

type PostPayload = CommandPayloads['message.post'];

/** The members `body` mentions. Most bodies mention no one, and for them the room's members are not read. */
async function mentionsIn(reads: StoreReads, roomId: string, body: string): Promise<string[]> {
  if (!hasMentionCandidate(body)) return [];
  return mentionedUserIds(body, new Set((await reads.listMembers(roomId)).map((m) => m.userId)));
}

/** What a post's decisions take from the command's context. */
interface PostSettings {
  readonly limits: { readonly messageChars: number };
  readonly now: string;
}

/** A post decided from its context: the earlier post it repeats, or the message to write. */
type PostDecision =
  { readonly earlier: Message } | { readonly earlier: null; readonly author: User; readonly room: Room; readonly message: Omit<NewMessage, 'seq'> };

async function decidePost(reads: StoreReads, settings: PostSettings, payload: PostPayload, context: PostContext): Promise<PostDecision> {
  const { author, room } = requirePostable(context, payload.roomId, payload.actorId);
  if (context.earlier !== null) return { earlier: context.earlier };
  const file = payload.file ?? null;
  // A file needs no words: its caption may be empty.
  const body = file !== null && payload.body.trim() === '' ? '' : normaliseBody(payload.body, settings.limits.messageChars);
  const message = draftMessage(settings, payload, { body, mentions: await mentionsIn(reads, room.id, body), file });
  return { earlier: null, author, room, message };
}

/** The message a post writes, before the store gives it its seq. */
function draftMessage(settings: PostSettings, payload: PostPayload, content: Pick<NewMessage, 'body' | 'mentions' | 'file'>): Omit<NewMessage, 'seq'> {
  const { roomId, actorId: authorId, clientMessageId } = payload;
  return { id: newId(), roomId, authorId, clientMessageId, ...content, sound: soundOf(content.body), createdAt: settings.now };
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
  const post = await decidePost(ctx.tx, ctx, payload, context);
  if (post.earlier !== null) return post.earlier;
  const event = await emit(ctx, post.room.id, async (seq) => ({ type: 'message.created', message: await ctx.tx.insertMessage({ ...post.message, seq }) }));
  if (event.type !== 'message.created') throw new Error('emit returned a different event than it was given');
  await queueBotMentions(ctx, post.author, event.message, post.room);
  // What you wrote yourself is read: the room does not turn unread for its author.
  await ctx.tx.markReadUpTo(post.room.id, post.author.id, event.seq);
  return event.message;
};

/** What postMessageAtOnce takes from the command's context: the store itself, not a transaction. */
export interface AtOnceContext extends PostSettings, Pick<CommandContext, 'traceparent' | 'emitted'> {
  readonly store: Store;
}

/**
 * A post in one round trip where the store can (Store.postAtOnce), decided on a context read
 * without the room's lock, exactly as postMessage decides: a refusal or an earlier post found
 * then is the answer. Null when postMessage's transaction must write it instead: a store that
 * cannot, a post that may queue a bot's webhook, or a context that changed before the lock.
 */
export async function postMessageAtOnce(ctx: AtOnceContext, payload: PostPayload): Promise<Message | null> {
  const { store } = ctx;
  const writeAtOnce = store.postAtOnce?.bind(store);
  // A file's message is rare, and hearth_post writes none.
  if (writeAtOnce === undefined || payload.file !== undefined) return null;
  const plain = await postPlain(ctx, payload);
  if (plain !== null) return plain;
  const post = await decidePost(store, ctx, payload, await store.readPostContext(payload.roomId, payload.actorId, payload.clientMessageId));
  if (post.earlier !== null) return post.earlier;
  if (mayAddressBots(post.author, post.room, post.message.mentions)) return null;
  return written(ctx, writeAtOnce, post.message);
}

/**
 * The common post (no file, no mention) in one round trip with no read before it
 * (Store.postPlain). Null when the post is not plain, or when the store wrote nothing: a
 * refusal, a retry of an earlier post, paused writes. The context read then decides as for any
 * post, so whatever is refused is refused with the same error, in the same order.
 */
async function postPlain(ctx: AtOnceContext, payload: PostPayload): Promise<Message | null> {
  const writePlain = ctx.store.postPlain?.bind(ctx.store);
  if (writePlain === undefined || hasMentionCandidate(payload.body)) return null;
  let body: string;
  try {
    body = normaliseBody(payload.body, ctx.limits.messageChars);
  } catch {
    return null;
  }
  return written(ctx, writePlain, draftMessage(ctx, payload, { body, mentions: [], file: null }));
}

/** Writes `message` with `write` and, when it was written, adds its event to ctx.emitted. */
async function written(ctx: AtOnceContext, write: (draft: PostDraft) => Promise<Message | null>, message: Omit<NewMessage, 'seq'>): Promise<Message | null> {
  const stamp = { at: ctx.now, traceparent: ctx.traceparent };
  const posted = await write({ message, ...stamp });
  // The event the store wrote, built again rather than read back: a second round trip is what this saves.
  if (posted !== null) ctx.emitted.push(roomEvent({ type: 'message.created', message: posted }, posted.roomId, posted.seq, stamp));
  return posted;
}

export const editMessage: Handler<'message.edit'> = async (ctx, payload) => {
  const message = await requireChangeable(ctx, payload.actorId, payload.messageId);
  const body = normaliseBody(payload.body, ctx.limits.messageChars);
  if (message.sound !== null || soundOf(body) !== null) throw new HearthError('invalid_request', '/play messages cannot be edited', { field: 'body' });
  const updated = await ctx.tx.updateMessageBody(message.id, body, await mentionsIn(ctx.tx, message.roomId, body), ctx.now);
  await emit(ctx, message.roomId, () => ({ type: 'message.updated', message: updated }));
  return updated;
};

export const deleteMessage: Handler<'message.delete'> = async (ctx, payload) => {
  const message = await requireChangeable(ctx, payload.actorId, payload.messageId);
  const deleted = await ctx.tx.markMessageDeleted(message.id, ctx.now);
  if (message.file !== null) ctx.queued.removedFiles.push(message.file.id);
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
