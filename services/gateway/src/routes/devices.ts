import type { FastifyInstance } from 'fastify';
import { HearthError } from '@hearth/core';
import { recordAudit } from '../audit.ts';
import { requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { describeDevice } from '../device-name.ts';
import { sessionParams } from '../schemas.ts';
import { endOtherSessions, endSession } from '../session-ending.ts';
import { buildDeviceList, findSession, publicSessionId } from '../signed-in-devices.ts';
import { signOut } from './session.ts';

/**
 * The signed-in devices page's routes (/api/sessions): a person's own sessions, listed, and ended
 * one at a time or all but this one. A session is ended as sign-out ends it (session-ending.ts),
 * so its realtime streams close at once. People only: bot tokens never reach these (bot-auth.ts).
 */
export function registerDeviceRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/sessions', async (request, reply) => {
    const { user, session } = requireSignedIn(request);
    const sessions = buildDeviceList(await deps.store.listSessionsOfUser(user.id), session.id, Date.now());
    return reply.header('cache-control', 'no-store').send({ sessions });
  });

  app.delete<{ Params: { sessionId: string } }>('/api/sessions/:sessionId', { schema: { params: sessionParams } }, async (request, reply) => {
    const { user, session } = requireSignedIn(request);
    const target = findSession(await deps.store.listSessionsOfUser(user.id), request.params.sessionId, Date.now());
    // Another person's session is as unknown as one that never was: the answer says nothing of it.
    if (target === null) throw new HearthError('not_found', 'you have no signed-in session with this id', { field: 'sessionId' });
    if (target.id === session.id) return signOut(deps, request, reply);
    await endSession(deps, target.id);
    await recordAudit(deps, request, {
      actorId: user.id,
      action: 'auth.session_revoked',
      target: { type: 'session', id: publicSessionId(target.id) },
      detail: { device: describeDevice(target.userAgent), ip: target.ip },
    });
    return reply.code(204).send();
  });

  app.post('/api/sessions/revoke-others', async (request) => {
    const { user, session } = requireSignedIn(request);
    const revoked = await endOtherSessions(deps, user.id, session.id);
    await recordAudit(deps, request, {
      actorId: user.id,
      action: 'auth.other_sessions_revoked',
      target: { type: 'user', id: user.id },
      detail: { sessionsEnded: revoked },
    });
    return { revoked };
  });
}
