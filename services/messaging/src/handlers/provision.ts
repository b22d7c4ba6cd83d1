import { HearthError, type CommandPayloads, type User } from '@hearth/core';
import { audit } from '../audit.ts';
import { insertUser } from './account.ts';
import type { Handler, HandlerContext } from './types.ts';

type Provision = CommandPayloads['user.provision'];

export const provisionUser: Handler<'user.provision'> = async (ctx, payload) => {
  if ((await ctx.tx.getAccount()) === null) {
    throw new HearthError('not_set_up', 'this Hearth is not set up yet: an administrator must complete first-run setup before anyone signs in with SSO');
  }
  const linked = await ctx.tx.getUserByIdentity(payload.issuer, payload.subject);
  const { user, created } = linked === null ? await linkIdentity(ctx, payload) : { user: linked, created: false };
  if (!user.active) throw new HearthError('sso_forbidden', 'your Hearth account is deactivated; ask an administrator to reactivate it');
  return { user: await followProvider(ctx, user, payload), created };
};

/**
 * The user a first sign-in with this identity is, linked to it: the local account with the
 * provider's email, or a new one. The provider verified that email (the gateway refuses
 * unverified ones), so a local account with it belongs to the same person: link instead of
 * creating a second user.
 */
async function linkIdentity(ctx: HandlerContext, payload: Provision): Promise<{ user: User; created: boolean }> {
  const existing = await ctx.tx.getCredentialsByEmail(payload.email);
  if (existing !== null && existing.user.role === 'bot') {
    throw new HearthError('sso_forbidden', `the email ${payload.email} belongs to a bot and cannot be used to sign in`);
  }
  const created = existing === null;
  const user = existing?.user ?? (await insertProvisioned(ctx, payload));
  await ctx.tx.linkIdentity({ issuer: payload.issuer, subject: payload.subject, userId: user.id, createdAt: ctx.now });
  return { user, created };
}

async function insertProvisioned(ctx: HandlerContext, payload: Provision): Promise<User> {
  const user = await insertUser(ctx, { name: payload.name, email: payload.email, passwordHash: null }, payload.role);
  await audit(ctx, {
    actorId: user.id,
    action: 'user.created',
    target: { type: 'user', id: user.id },
    detail: { via: 'sso', role: user.role, email: payload.email },
  });
  return user;
}

/** The provider's groups set the role, and its name (when it gives one) the user's name. */
async function followProvider(ctx: HandlerContext, user: User, payload: Provision): Promise<User> {
  const name = payload.name.trim();
  if (user.role === payload.role && (name === '' || user.name === name)) return user;
  const updated = await ctx.tx.updateUser(user.id, { role: payload.role, ...(name === '' ? {} : { name }) });
  if (user.role !== updated.role) {
    await audit(ctx, {
      actorId: null,
      action: 'user.role_changed',
      target: { type: 'user', id: updated.id },
      detail: { from: user.role, to: updated.role, via: 'sso_groups', groups: payload.groups },
    });
  }
  ctx.afterCommit.push({ type: 'user.updated', userId: updated.id, at: ctx.now });
  return updated;
}
