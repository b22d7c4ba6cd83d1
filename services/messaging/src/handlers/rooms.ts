import {
  HearthError,
  isHearthError,
  INVOLVEMENTS,
  canConvertRoom,
  canManageRoom,
  directKey,
  newId,
  normaliseRoomName,
  type CommandPayloads,
  type Room,
} from '@hearth/core';
import { requireMembership, requireRoom, requireUser } from '@hearth/core';
import { audit } from '../audit.ts';
import { emit } from '../emit.ts';
import { addEveryone, addMember, removeMember } from './memberships.ts';
import type { Handler, HandlerContext } from './types.ts';

const DIRECT_MAX_PEOPLE = 16;

/** A new room as a command asks for it; its id and time are the insert's. */
type RoomSpec = Omit<Parameters<HandlerContext['tx']['insertRoom']>[0], 'id' | 'createdAt'>;

async function insertRoom(ctx: HandlerContext, spec: RoomSpec): Promise<Room> {
  const room = await ctx.tx.insertRoom({ id: newId(), ...spec, createdAt: ctx.now });
  await emit(ctx, room.id, () => ({ type: 'room.created', room }));
  return room;
}

async function requireManager(ctx: HandlerContext, actorId: string, roomId: string): Promise<Room> {
  const actor = await requireUser(ctx.tx, actorId, 'actorId');
  const room = await requireRoom(ctx.tx, roomId);
  if (!canManageRoom(actor, room, await ctx.tx.getMembership(room.id, actor.id))) {
    const who = room.kind === 'direct' ? 'the people in a direct room' : 'the room creator or an administrator';
    throw new HearthError('forbidden', `only ${who} can do this`);
  }
  return room;
}

export const createRoom: Handler<'room.create'> = async (ctx, payload) => {
  await requireUser(ctx.tx, payload.actorId, 'actorId');
  const room = await insertRoom(ctx, { kind: payload.kind, name: normaliseRoomName(payload.name), createdBy: payload.actorId, directKey: null });
  await addMember(ctx, room, payload.actorId);
  if (room.kind === 'open') {
    await addEveryone(ctx, room);
  } else {
    for (const userId of payload.memberIds) await addMember(ctx, room, (await requireUser(ctx.tx, userId, 'memberIds')).id);
  }
  const memberIds = room.kind === 'open' ? [] : [...new Set(payload.memberIds)];
  await audit(ctx, {
    actorId: payload.actorId,
    action: 'room.created',
    target: { type: 'room', id: room.id },
    detail: { name: room.name, kind: room.kind, memberIds },
  });
  return requireRoom(ctx.tx, room.id);
};

export const openDirect: Handler<'direct.open'> = async (ctx, payload) => {
  const people = [...new Set([payload.actorId, ...payload.userIds])];
  if (people.length < 2) throw new HearthError('invalid_request', 'a direct room needs at least one other person', { field: 'userIds' });
  if (people.length > DIRECT_MAX_PEOPLE)
    throw new HearthError('invalid_request', `a direct room holds at most ${DIRECT_MAX_PEOPLE} people`, { field: 'userIds' });
  for (const id of people) await requireUser(ctx.tx, id, 'userIds');
  const existing = await ctx.tx.findDirectRoom(people);
  if (existing !== null) return existing;
  let room: Room;
  try {
    room = await insertRoom(ctx, { kind: 'direct', name: null, createdBy: payload.actorId, directKey: directKey(people) });
  } catch (error) {
    // Two people opened the same direct room at once and the other transaction won: use its room.
    const winner = isHearthError(error) && error.code === 'conflict' ? await ctx.tx.findDirectRoom(people) : null;
    if (winner === null) throw error;
    return winner;
  }
  for (const id of people) await addMember(ctx, room, id);
  return requireRoom(ctx.tx, room.id);
};

export const updateRoom: Handler<'room.update'> = async (ctx, payload) => {
  const room = await requireManager(ctx, payload.actorId, payload.roomId);
  refuseRoomUpdate(room, payload);
  if (payload.name === undefined && payload.kind === undefined) return room;
  const updated = await ctx.tx.updateRoom(room.id, {
    ...(payload.name === undefined ? {} : { name: normaliseRoomName(payload.name) }),
    ...(payload.kind === undefined ? {} : { kind: payload.kind }),
  });
  await emit(ctx, room.id, () => ({ type: 'room.updated', room: updated }));
  await audit(ctx, { actorId: payload.actorId, action: 'room.updated', target: { type: 'room', id: room.id }, detail: roomChange(room, updated) });
  if (room.kind !== 'open' && updated.kind === 'open') await addEveryone(ctx, updated);
  return requireRoom(ctx.tx, room.id);
};

export const addMembership: Handler<'membership.add'> = async (ctx, payload) => {
  const room = await requireManager(ctx, payload.actorId, payload.roomId);
  if (room.kind === 'direct') throw new HearthError('invalid_request', 'open a new direct room to talk with other people', { field: 'roomId' });
  const user = await requireUser(ctx.tx, payload.userId);
  const existing = await ctx.tx.getMembership(room.id, user.id);
  const membership = await addMember(ctx, await requireRoom(ctx.tx, room.id), user.id);
  if (existing === null)
    await audit(ctx, {
      actorId: payload.actorId,
      action: 'membership.added',
      target: { type: 'user', id: user.id },
      detail: { roomId: room.id, roomName: room.name },
    });
  return membership;
};

export const removeMembership: Handler<'membership.remove'> = async (ctx, payload) => {
  // Anyone may leave a room; removing someone else takes a manager.
  const room = payload.userId === payload.actorId ? await requireRoom(ctx.tx, payload.roomId) : await requireManager(ctx, payload.actorId, payload.roomId);
  if (room.kind === 'direct') throw new HearthError('invalid_request', 'people cannot leave a direct room; hide it instead', { field: 'roomId' });
  const removed = await removeMember(ctx, room.id, payload.userId);
  if (removed)
    await audit(ctx, {
      actorId: payload.actorId,
      action: 'membership.removed',
      target: { type: 'user', id: payload.userId },
      detail: { roomId: room.id, roomName: room.name },
    });
  return { removed };
};

export const updateMembership: Handler<'membership.update'> = async (ctx, payload) => {
  await requireUser(ctx.tx, payload.actorId, 'actorId');
  const room = await requireRoom(ctx.tx, payload.roomId);
  const membership = await requireMembership(ctx.tx, room, payload.actorId);
  if (payload.involvement !== undefined && !INVOLVEMENTS.includes(payload.involvement)) {
    throw new HearthError('invalid_request', `involvement must be one of ${INVOLVEMENTS.join(', ')}`, { field: 'involvement' });
  }
  // Read markers only move forward and never past what exists, whatever a client sends.
  const readSeq = payload.readSeq === undefined ? membership.readSeq : Math.max(membership.readSeq, Math.min(payload.readSeq, room.lastSeq));
  return ctx.tx.putMembership({ ...membership, involvement: payload.involvement ?? membership.involvement, readSeq });
};

/** A direct room keeps its kind and has no name. */
function refuseRoomUpdate(room: Room, change: Pick<CommandPayloads['room.update'], 'name' | 'kind'>): void {
  if (change.kind !== undefined && !canConvertRoom(room.kind, change.kind)) {
    throw new HearthError('invalid_request', 'a direct room cannot change its kind', { field: 'kind' });
  }
  if (change.name !== undefined && room.kind === 'direct') {
    throw new HearthError('invalid_request', 'direct rooms have no name', { field: 'name' });
  }
}

/** The audit detail of a room update: each changed field as from/to. */
function roomChange(before: Room, after: Room): Record<string, string | null> {
  const change: Record<string, string | null> = {};
  if (before.name !== after.name) Object.assign(change, { nameFrom: before.name, nameTo: after.name });
  if (before.kind !== after.kind) Object.assign(change, { kindFrom: before.kind, kindTo: after.kind });
  return change;
}
