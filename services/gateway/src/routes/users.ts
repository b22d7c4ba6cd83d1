import type { FastifyInstance } from 'fastify';
import type { Role } from '@hearth/core';
import { requireActor, requireAdministrator, requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { userParams, userPatchBody } from '../schemas.ts';
import { commandMeta } from '../origin.ts';

type UserPatch = { name?: string; role?: Role; active?: boolean };

export function registerUserRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/users', async (request) => {
    requireSignedIn(request);
    return { users: (await deps.store.listUsers()).filter((u) => u.active) };
  });

  app.get('/api/users/me', async (request) => requireActor(request));

  app.patch<{ Params: { userId: string }; Body: UserPatch }>('/api/users/:userId', { schema: { params: userParams, body: userPatchBody } }, async (request) => {
    const { user } = requireSignedIn(request);
    return deps.commands.send('user.update', { actorId: user.id, userId: request.params.userId, ...request.body }, commandMeta(request));
  });

  app.get('/api/account', async (request) => {
    const { user } = requireSignedIn(request);
    const account = await deps.store.getAccount();
    const joinUrl = user.role === 'administrator' && account !== null ? `${deps.http.publicUrl}/join/${account.joinCode}` : undefined;
    return { name: account?.name ?? null, ...(joinUrl === undefined ? {} : { joinUrl }) };
  });

  app.post('/api/account/join-code', async (request) => {
    const admin = requireAdministrator(request);
    const account = await deps.commands.send('account.rotateJoinCode', { actorId: admin.id }, commandMeta(request));
    return { name: account.name, joinUrl: `${deps.http.publicUrl}/join/${account.joinCode}` };
  });

  app.get('/api/presence', async (request) => {
    requireSignedIn(request);
    return { online: await deps.ephemeral.onlineUsers() };
  });
}
