import { HearthError, avatarVersionRefusal, requireUser } from '@hearth/core';
import type { Handler } from './types.ts';

/**
 * The actor's own picture, set or removed. The gateway has already kept its bytes (routes/avatars.ts)
 * and removes them again when this refuses. Everyone is told (user.updated), as of a rename.
 */
export const setAvatar: Handler<'user.setAvatar'> = async (ctx, payload) => {
  const refusal = avatarVersionRefusal(payload.avatar);
  if (refusal !== null) throw refusal;
  const actor = await requireUser(ctx.tx, payload.actorId, 'actorId');
  if (actor.role === 'bot') throw new HearthError('forbidden', 'bots have no picture of their own', { field: 'avatar' });
  const user = await ctx.tx.setUserAvatar(actor.id, payload.avatar);
  ctx.afterCommit.push({ type: 'user.updated', userId: user.id, at: ctx.now });
  return user;
};
