import type { Membership, Message, Room, User } from '../domain/types.ts';
import { HearthError } from '../errors.ts';
import type { StoreReads } from './store.ts';

/** Loads what a command needs and refuses with the right error when it is missing. */
export async function requireUser(tx: StoreReads, id: string, field = 'userId'): Promise<User> {
  const user = await tx.getUser(id);
  if (user === null || !user.active) throw new HearthError('user_not_found', `no active user ${id}`, { field });
  return user;
}

export async function requireRoom(tx: StoreReads, id: string): Promise<Room> {
  const room = await tx.getRoom(id);
  if (room === null) throw new HearthError('room_not_found', `no room ${id}`, { field: 'roomId' });
  return room;
}

export async function requireMembership(tx: StoreReads, room: Room, userId: string): Promise<Membership> {
  const membership = await tx.getMembership(room.id, userId);
  if (membership === null) throw new HearthError('not_a_member', 'you are not a member of this room', { field: 'roomId' });
  return membership;
}

/** A message the actor can see: it exists and the actor is a member of its room. */
export async function requireVisibleMessage(tx: StoreReads, id: string, actorId: string): Promise<{ message: Message; room: Room }> {
  const message = await tx.getMessage(id);
  if (message === null) throw new HearthError('message_not_found', `no message ${id}`, { field: 'messageId' });
  const room = await requireRoom(tx, message.roomId);
  await requireMembership(tx, room, actorId);
  return { message, room };
}
