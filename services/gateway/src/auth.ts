import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HearthError, SESSION_COOKIE, type Session, type SignedIn, type User } from '@hearth/core';
import { authenticateBot, bearerTokenOf, requireWithinBotScope } from './bot-auth.ts';
import type { GatewayDeps } from './deps.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Resolves the session cookie on every request and enforces CSRF on changes made with it;
 * or, for a bot, its `Authorization: Bearer` token and the token's reach.
 */
export function registerAuth(app: FastifyInstance, deps: GatewayDeps): void {
  app.decorateRequest('signedIn', null);
  app.decorateRequest('bot', null);
  // onRequest, before the body is read: a forged request is refused as such, whatever its body.
  app.addHook('onRequest', async (request) => {
    const bearer = bearerTokenOf(request.headers.authorization);
    if (bearer !== null) {
      // Cookies are ignored on a bearer request, so there is no ambient credential for CSRF to forge.
      request.bot = await authenticateBot(deps.store, bearer);
      await requireWithinBotScope(deps.store, request, request.bot);
      return;
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    request.signedIn = sessionId === undefined ? null : await deps.sessions.resolve(sessionId);
    if (request.signedIn === null || !MUTATING.has(request.method) || request.routeOptions.config.csrfExempt === true) return;
    const header = request.headers['x-csrf-token'];
    if (typeof header !== 'string' || !sameToken(header, request.signedIn.session.csrfToken)) {
      throw new HearthError('csrf_mismatch', "send the session's CSRF token in the x-csrf-token header", { field: 'x-csrf-token' });
    }
  });
}

export function requireSignedIn(request: FastifyRequest): SignedIn {
  if (request.signedIn === null) throw new HearthError('unauthenticated', 'sign in first');
  return request.signedIn;
}

/** Who is making the request: the signed-in person, or the bot of a bearer token (on the routes open to bots). */
export function requireActor(request: FastifyRequest): User {
  if (request.bot !== null) return request.bot.user;
  return requireSignedIn(request).user;
}

export function requireAdministrator(request: FastifyRequest): User {
  const { user } = requireSignedIn(request);
  if (user.role !== 'administrator') throw new HearthError('forbidden', 'only administrators can do this');
  return user;
}

export function setSessionCookie(reply: FastifyReply, deps: GatewayDeps, session: Session): void {
  reply.setCookie(SESSION_COOKIE, session.id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.http.secureCookies,
    path: '/',
    maxAge: Math.floor(deps.auth.sessions.maxAgeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, deps: GatewayDeps): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: deps.http.secureCookies });
}
