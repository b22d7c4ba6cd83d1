import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HearthError, SESSION_COOKIE, decoyHash, hashPassword, verifyPassword, type User } from '@hearth/core';
import { clearSessionCookie, enforceRateLimit, requireSignedIn, setSessionCookie } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { joinBody, joinParams, setupBody, signInBody } from '../schemas.ts';
import { commandMeta } from '../origin.ts';

type SetupBody = { accountName: string; name: string; email: string; password: string };
type SignInBody = { email: string; password: string };
type JoinBody = { name: string; email: string; password: string };

const exempt = { config: { csrfExempt: true } };

/** First-run, sign-in, join and sign-out: every way a session starts or ends. */
export function registerSessionRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  async function startSession(request: FastifyRequest, reply: FastifyReply, user: User) {
    const session = await deps.sessions.create(user.id, { userAgent: request.headers['user-agent'] ?? '', ip: request.ip });
    setSessionCookie(reply, deps, session);
    return { user, csrfToken: session.csrfToken };
  }

  app.get('/api/status', async () => {
    const account = await deps.store.getAccount();
    return { setUp: account !== null, accountName: account?.name ?? null };
  });

  app.post<{ Body: SetupBody }>('/api/setup', { ...exempt, schema: { body: setupBody } }, async (request, reply) => {
    await enforceRateLimit(deps, `signin:${request.ip}`, deps.limits.signInPerMinute);
    const { accountName, name, email, password } = request.body;
    const { user } = await deps.commands.send('account.setup', { accountName, admin: { name, email, passwordHash: await hashPassword(password) } }, commandMeta(request));
    return reply.code(201).send(await startSession(request, reply, user));
  });

  app.post<{ Body: SignInBody }>('/api/session', { ...exempt, schema: { body: signInBody } }, async (request, reply) => {
    await enforceRateLimit(deps, `signin:${request.ip}`, deps.limits.signInPerMinute);
    const credentials = await deps.store.getCredentialsByEmail(request.body.email.trim().toLowerCase());
    // Hash even for an unknown email so the answer's timing does not say which emails exist.
    const valid = await verifyPassword(request.body.password, credentials?.passwordHash ?? (await decoyHash()));
    if (credentials === null || credentials.passwordHash === null || !valid || !credentials.user.active) {
      throw new HearthError('invalid_credentials', 'wrong email or password', { field: 'password' });
    }
    return startSession(request, reply, credentials.user);
  });

  app.get('/api/session', async (request) => {
    const { user, session } = requireSignedIn(request);
    return { user, csrfToken: session.csrfToken };
  });

  app.delete('/api/session', async (request, reply) => {
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId !== undefined) {
      await deps.sessions.revoke(sessionId);
      // Open realtime streams of this session end with it.
      await deps.bus.publishSignal({ type: 'session.ended', sessionId, at: new Date().toISOString() });
    }
    clearSessionCookie(reply, deps);
    return reply.code(204).send();
  });

  app.get<{ Params: { joinCode: string } }>('/api/join/:joinCode', { schema: { params: joinParams } }, async (request) => {
    const account = await deps.store.getAccount();
    if (account === null || account.joinCode !== request.params.joinCode) {
      throw new HearthError('not_found', 'this join link is not valid (it may have been replaced)', { field: 'joinCode' });
    }
    return { accountName: account.name };
  });

  app.post<{ Params: { joinCode: string }; Body: JoinBody }>(
    '/api/join/:joinCode',
    { ...exempt, schema: { params: joinParams, body: joinBody } },
    async (request, reply) => {
      await enforceRateLimit(deps, `signin:${request.ip}`, deps.limits.signInPerMinute);
      const { name, email, password } = request.body;
      const user = await deps.commands.send('user.create', {
        joinCode: request.params.joinCode,
        actorId: null,
        user: { name, email, passwordHash: await hashPassword(password) },
      }, commandMeta(request));
      return reply.code(201).send(await startSession(request, reply, user));
    },
  );
}
