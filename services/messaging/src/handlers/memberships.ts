import { defaultInvolvement, type Membership, type Room } from '@hearth/core';
import { emit } from '../emit.ts';
import type { HandlerContext } from './types.ts';

/** Adds a member (if not one yet) and records membership.added in the room's log. */
export async function addMember(ctx: HandlerContext, room: Room, userId: string): Promise<Membership> {
  const existing = await ctx.tx.getMembership(room.id, userId);
  if (existing !== null) return existing;
  const membership = await ctx.tx.putMembership({
    roomId: room.id,
    userId,
    involvement: defaultInvolvement(room.kind),
    // A new member starts with the room read: history is there, but not "unread".
    readSeq: room.lastMessageSeq,
    createdAt: ctx.now,
  });
  await emit(ctx, room.id, () => ({ type: 'membership.added', membership }));
  return membership;
}

export async function removeMember(ctx: HandlerContext, roomId: string, userId: string): Promise<boolean> {
  const removed = await ctx.tx.deleteMembership(roomId, userId);
  if (removed) await emit(ctx, roomId, () => ({ type: 'membership.removed', userId }));
  return removed;
}

/** Open rooms include every active person (bots join rooms explicitly). */
export async function addEveryone(ctx: HandlerContext, room: Room): Promise<void> {
  for (const user of await ctx.tx.listUsers()) {
    if (user.active && user.role !== 'bot') await addMember(ctx, room, user.id);
  }
}
