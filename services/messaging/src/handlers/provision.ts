import { HearthError } from '@hearth/core';
import { audit } from '../audit.ts';
import { insertUser } from './account.ts';
import type { Handler } from './types.ts';

export const provisionUser: Handler<'user.provision'> = async (ctx, payload) => {
  if ((await ctx.tx.getAccount()) === null) {
    throw new HearthError('not_set_up', 'this Hearth is not set up yet: an administrator must complete first-run setup before anyone signs in with SSO');
  }
  let user = await ctx.tx.getUserByIdentity(payload.issuer, payload.subject);
  let created = false;
  if (user === null) {
    // The provider verified this email (the gateway refuses unverified ones), so a local
    // account with it belongs to the same person: link instead of creating a second user.
    const existing = await ctx.tx.getCredentialsByEmail(payload.email);
    if (existing !== null && existing.user.role === 'bot') {
      throw new HearthError('sso_forbidden', `the email ${payload.email} belongs to a bot and cannot be used to sign in`);
    }
    if (existing === null) {
      user = await insertUser(ctx, { name: payload.name, email: payload.email, passwordHash: null }, payload.role);
      created = true;
      await audit(ctx, user.id, 'user.created', { type: 'user', id: user.id }, { via: 'sso', role: user.role, email: payload.email });
    } else {
      user = existing.user;
    }
    await ctx.tx.linkIdentity({ issuer: payload.issuer, subject: payload.subject, userId: user.id, createdAt: ctx.now });
  }
  if (!user.active) throw new HearthError('sso_forbidden', 'your Hearth account is deactivated; ask an administrator to reactivate it');
  const name = payload.name.trim();
  if (user.role !== payload.role || (name !== '' && user.name !== name)) {
    const before = user.role;
    user = await ctx.tx.updateUser(user.id, { role: payload.role, ...(name === '' ? {} : { name }) });
    if (before !== user.role) {
      await audit(ctx, null, 'user.role_changed', { type: 'user', id: user.id }, { from: before, to: user.role, via: 'sso_groups', groups: payload.groups });
    }
    ctx.afterCommit.push({ type: 'user.updated', userId: user.id, at: ctx.now });
  }
  return { user, created };
};
