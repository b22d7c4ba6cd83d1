import { HearthError, isAdministrator, newId, newToken, userUpdateRefusal, type NewUserInput, type User } from '@hearth/core';
import { requireUser } from '@hearth/core';
import { audit } from '../audit.ts';
import { emit } from '../emit.ts';
import { addMember } from './memberships.ts';
import type { Handler, HandlerContext } from './types.ts';

const FIRST_ROOM = 'All Talk';

/** Creates a user; people (not bots) join every open room, as they would by walking in. */
export async function insertUser(ctx: HandlerContext, input: NewUserInput, role: User['role']): Promise<User> {
  const name = input.name.trim();
  if (name === '') throw new HearthError('invalid_request', 'name must not be empty', { field: 'name' });
  const user = await ctx.tx.insertUser({
    id: newId(),
    name,
    email: input.email === null ? null : input.email.trim().toLowerCase(),
    role,
    passwordHash: input.passwordHash,
    createdAt: ctx.now,
  });
  if (role !== 'bot') {
    for (const room of await ctx.tx.listOpenRooms()) await addMember(ctx, room, user.id);
  }
  return user;
}

export const setupAccount: Handler<'account.setup'> = async (ctx, payload) => {
  if ((await ctx.tx.getAccount()) !== null || (await ctx.tx.countUsers()) > 0) {
    throw new HearthError('already_set_up', 'this Hearth is already set up; sign in instead');
  }
  const accountName = payload.accountName.trim();
  if (accountName === '') throw new HearthError('invalid_request', 'account name must not be empty', { field: 'accountName' });
  const account = { id: newId(), name: accountName, joinCode: newToken(12), createdAt: ctx.now };
  await ctx.tx.insertAccount(account);
  const user = await insertUser(ctx, payload.admin, 'administrator');
  await audit(ctx, {
    actorId: user.id,
    action: 'user.created',
    target: { type: 'user', id: user.id },
    detail: { via: 'setup', role: user.role, email: user.email },
  });
  // Like Campfire, a new account starts with one open room so people can talk at once.
  const room = await ctx.tx.insertRoom({ id: newId(), kind: 'open', name: FIRST_ROOM, createdBy: user.id, createdAt: ctx.now, directKey: null });
  await emit(ctx, room.id, () => ({ type: 'room.created', room }));
  await addMember(ctx, room, user.id);
  return { account, user };
};

export const rotateJoinCode: Handler<'account.rotateJoinCode'> = async (ctx, payload) => {
  const actor = await requireUser(ctx.tx, payload.actorId, 'actorId');
  if (!isAdministrator(actor)) throw new HearthError('forbidden', 'only administrators can change the join link');
  const account = await ctx.tx.updateAccount({ joinCode: newToken(12) });
  // The code itself is a secret: the record says only that the old link stopped working.
  await audit(ctx, { actorId: actor.id, action: 'account.join_link_rotated', target: { type: 'account', id: account.id } });
  return account;
};

export const createUser: Handler<'user.create'> = async (ctx, payload) => {
  const account = await ctx.tx.getAccount();
  if (account === null) throw new HearthError('not_set_up', 'this Hearth is not set up yet');
  const actor = payload.actorId === null ? null : await requireUser(ctx.tx, payload.actorId, 'actorId');
  const invitedByAdmin = actor !== null && isAdministrator(actor);
  if (!invitedByAdmin && payload.joinCode !== account.joinCode) {
    throw new HearthError('not_found', 'this join link is not valid (it may have been replaced)', { field: 'joinCode' });
  }
  const role = invitedByAdmin ? (payload.user.role ?? 'member') : 'member';
  const user = await insertUser(ctx, payload.user, role);
  // Someone joining by link acts for themselves; an administrator adding a person is the actor.
  await audit(ctx, {
    actorId: invitedByAdmin ? actor.id : user.id,
    action: 'user.created',
    target: { type: 'user', id: user.id },
    detail: { via: invitedByAdmin ? 'administrator' : 'join_link', role, email: user.email },
  });
  return user;
};

export const updateUser: Handler<'user.update'> = async (ctx, payload) => {
  const actor = await requireUser(ctx.tx, payload.actorId, 'actorId');
  const target = await ctx.tx.getUser(payload.userId);
  if (target === null) throw new HearthError('user_not_found', `no user ${payload.userId}`, { field: 'userId' });
  const refusal = userUpdateRefusal(actor, target, payload);
  if (refusal !== null) throw refusal;
  const name = payload.name?.trim();
  if (name === '') throw new HearthError('invalid_request', 'name must not be empty', { field: 'name' });
  const user = await ctx.tx.updateUser(target.id, {
    ...(name === undefined ? {} : { name }),
    ...(payload.role === undefined ? {} : { role: payload.role }),
    ...(payload.active === undefined ? {} : { active: payload.active }),
  });
  await auditUserChange(ctx, actor.id, target, user);
  if (payload.active === false) {
    await ctx.tx.deleteUserSessions(user.id);
    ctx.afterCommit.push({ type: 'sessions.revoked', userId: user.id, at: ctx.now });
  }
  ctx.afterCommit.push({ type: 'user.updated', userId: user.id, at: ctx.now });
  return user;
};

/** What an administrator changed about someone: their role, and whether they may sign in. */
async function auditUserChange(ctx: HandlerContext, actorId: string, before: User, after: User): Promise<void> {
  const target = { type: 'user', id: after.id } as const;
  if (before.role !== after.role) await audit(ctx, { actorId, action: 'user.role_changed', target, detail: { from: before.role, to: after.role } });
  if (before.active !== after.active)
    await audit(ctx, { actorId, action: after.active ? 'user.reactivated' : 'user.deactivated', target, detail: { name: after.name } });
}
