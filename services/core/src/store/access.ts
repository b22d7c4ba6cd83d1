import type { Membership, Message, Room, User } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import type { PostContext, StoreReads } from './store.ts';

/** Loads what a command needs and refuses with the right error when it is missing. */
export async function requireUser(tx: StoreReads, id: string, field = 'userId'): Promise<User> {
  return activeUser(await tx.getUser(id), id, field);
}

export async function requireRoom(tx: StoreReads, id: string): Promise<Room> {
  return existingRoom(await tx.getRoom(id), id);
}

export async function requireMembership(tx: StoreReads, room: Room, userId: string): Promise<Membership> {
  return existingMembership(await tx.getMembership(room.id, userId));
}

/** A message the actor can see: it exists and the actor is a member of its room. */
export async function requireVisibleMessage(tx: StoreReads, id: string, actorId: string): Promise<{ message: Message; room: Room }> {
  const message = await tx.getMessage(id);
  if (message === null) throw new HearthError('message_not_found', `no message ${id}`, { field: 'messageId' });
  const room = await requireRoom(tx, message.roomId);
  await requireMembership(tx, room, actorId);
  return { message, room };
}

/**
 * What a post needs from the context lockRoomForPost read in one go, refused exactly as
 * requireUser (on actorId), requireRoom and requireMembership would refuse it, in that order.
 */
export function requirePostable(context: PostContext, roomId: string, authorId: string): { author: User; room: Room; membership: Membership } {
  const author = activeUser(context.author, authorId, 'actorId');
  const room = existingRoom(context.room, roomId);
  const membership = existingMembership(context.membership);
  return { author, room, membership };
}

function activeUser(user: User | null, id: string, field: string): User {
  if (user === null || !user.active) throw new HearthError('user_not_found', `no active user ${id}`, { field });
  return user;
}

function existingRoom(room: Room | null, id: string): Room {
  if (room === null) throw new HearthError('room_not_found', `no room ${id}`, { field: 'roomId' });
  return room;
}

function existingMembership(membership: Membership | null): Membership {
  if (membership === null) throw new HearthError('not_a_member', 'you are not a member of this room', { field: 'roomId' });
  return membership;
}
