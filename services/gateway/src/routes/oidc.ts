import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GATED, HearthError, isHearthError, type OidcConfig, limitRate } from '@hearth/core';
import { recordAudit } from '../audit.ts';
import { setSessionCookie } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { commandMeta } from '../origin.ts';
import { profileFromClaims, roleFromGroups, safeReturnTo } from '../sso/claims.ts';
import { ssoErrorPage, ssoErrorPagePolicy } from '../sso/error-page.ts';
import type { LogoutClaims } from '../sso/logout-claims.ts';
import { newPendingSignIn, type OidcClient, type PendingSignIn } from '../sso/oidc-client.ts';

/** Binds the browser that started a sign-in to its answer: the state must come back in this cookie too. */
const STATE_COOKIE = 'hearth_oidc_state';
const PENDING_TTL_MS = 10 * 60_000;
/** Logout tokens are accepted for 5 minutes; their ids are remembered a little longer to refuse a replay. */
const LOGOUT_JTI_TTL_MS = 10 * 60_000;

const pendingKey = (state: string): string => `oidc:pending:${state}`;

/** The provider as these routes use it: its settings and its client. */
interface Oidc {
  readonly config: OidcConfig;
  readonly client: OidcClient;
}

type CallbackRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

/** Sign-in through the company's OpenID provider, and the provider telling Hearth someone signed out. */
export function registerOidcRoutes(app: FastifyInstance, deps: GatewayDeps, oidc: Oidc): void {
  app.get<{ Querystring: { returnTo?: string } }>('/auth/oidc/start', { schema: { hide: true } }, async (request, reply) => {
    try {
      await limitRate(deps.ephemeral, `signin:${request.ip}`, deps.limits.signInPerMinute);
      const pending = newPendingSignIn(safeReturnTo(request.query.returnTo));
      const url = await oidc.client.authorizationUrl(pending);
      await deps.ephemeral.set(pendingKey(pending.state), JSON.stringify(pending), PENDING_TTL_MS);
      reply.setCookie(STATE_COOKIE, pending.state, stateCookieOptions(deps, PENDING_TTL_MS));
      return reply.header('cache-control', 'no-store').redirect(url.href, 302);
    } catch (error) {
      return refuseSignIn(deps, request, reply, error);
    }
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/auth/oidc/callback', { schema: { hide: true } }, async (request, reply) => {
    try {
      return await completeSignIn(deps, oidc, request, reply);
    } catch (error) {
      return refuseSignIn(deps, request, reply, error);
    }
  });

  // The provider calls this server to server (OpenID Connect Back-Channel Logout 1.0) with a
  // form-encoded logout_token; the parser is scoped to this route so no other route takes forms.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.post<{ Body: { logout_token?: unknown } }>(
      '/auth/oidc/backchannel-logout',
      { config: { csrfExempt: true }, schema: { hide: true } },
      async (request, reply) => {
        const token = request.body?.logout_token;
        if (typeof token !== 'string' || token === '') throw new HearthError('invalid_request', 'send the logout_token form field', { field: 'logout_token' });
        const logout = await oidc.client.verifyLogoutToken(token);
        if (!(await deps.ephemeral.throttle(`oidc:logout-jti:${logout.tokenId}`, LOGOUT_JTI_TTL_MS))) {
          throw new HearthError('invalid_request', 'this logout token was already used', { field: 'logout_token' });
        }
        await endSessionsOfLogout(deps, oidc, request, logout);
        return reply.code(200).header('cache-control', 'no-store').send({ ok: true });
      },
    );
  });
}

/** The provider's answer: redeems it, provisions the person, starts their session and sends them back where they were. */
async function completeSignIn(deps: GatewayDeps, oidc: Oidc, request: CallbackRequest, reply: FastifyReply): Promise<FastifyReply> {
  const pending = await takePending(deps, request);
  const query = new URLSearchParams(request.url.split('?')[1] ?? '');
  const callbackUrl = new URL(`${oidc.config.redirectUri}?${query.toString()}`);
  const claims = await oidc.client.exchange(callbackUrl, pending);
  const profile = profileFromClaims(claims, oidc.config);
  const role = roleFromGroups(profile.groups, oidc.config.adminGroups);
  const { user, created } = await deps.commands.send(
    'user.provision',
    { issuer: profile.issuer, subject: profile.subject, email: profile.email, name: profile.name, role, groups: profile.groups },
    commandMeta(request),
  );
  const session = await deps.sessions.create(user.id, {
    userAgent: request.headers['user-agent'] ?? '',
    ip: request.ip,
    idpSessionId: profile.idpSessionId,
  });
  await recordAudit(deps, request, {
    actorId: user.id,
    action: 'auth.sign_in',
    target: { type: 'user', id: user.id },
    detail: { method: 'sso', role: user.role, created },
  });
  clearStateCookie(reply, deps);
  setSessionCookie(reply, deps, session);
  return reply.header('cache-control', 'no-store').redirect(pending.returnTo, 302);
}

/** A sign-in that failed, as the error page, audited; an unexpected failure is logged as one. */
async function refuseSignIn(deps: GatewayDeps, request: FastifyRequest, reply: FastifyReply, error: unknown): Promise<FastifyReply> {
  const refusal = isHearthError(error) ? error : new HearthError('sso_unavailable', 'the sign-in could not be completed; see the gateway log');
  if (!isHearthError(error)) request.log.error({ err: error }, 'SSO sign-in failed');
  else request.log.warn({ code: refusal.code, reason: refusal.message }, 'SSO sign-in refused');
  await recordAudit(deps, request, {
    actorId: null,
    action: 'auth.sign_in_failed',
    target: null,
    detail: { method: 'sso', code: refusal.code, reason: refusal.message },
  });
  clearStateCookie(reply, deps);
  return reply
    .code(refusal.status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', ssoErrorPagePolicy)
    .send(ssoErrorPage(refusal));
}

/**
 * Ends what a logout token names: the Hearth sessions of the provider session when it names
 * one, else every session of the subject's user (if the subject has signed in here).
 */
async function endSessionsOfLogout(deps: GatewayDeps, oidc: Oidc, request: FastifyRequest, logout: LogoutClaims): Promise<void> {
  const at = new Date().toISOString();
  if (logout.idpSessionId !== null) {
    await endProviderSession(deps, request, logout.idpSessionId, at);
    return;
  }
  if (logout.subject === null) return;
  const user = await deps.store.getUserByIdentity(oidc.config.issuer, logout.subject);
  if (user !== null) await endUserSessions(deps, request, user.id, at);
}

async function endProviderSession(deps: GatewayDeps, request: FastifyRequest, idpSessionId: string, at: string): Promise<void> {
  const ended = await deps.store.transaction((tx) => tx.deleteSessionsByIdpSession(idpSessionId), GATED);
  for (const sessionId of ended) await deps.bus.publishSignal({ type: 'session.ended', sessionId, at });
  await recordAudit(deps, request, {
    actorId: null,
    action: 'auth.logout_from_provider',
    target: { type: 'session', id: idpSessionId },
    detail: { sessionsEnded: ended.length },
  });
}

async function endUserSessions(deps: GatewayDeps, request: FastifyRequest, userId: string, at: string): Promise<void> {
  const ended = await deps.store.transaction((tx) => tx.deleteUserSessions(userId), GATED);
  await deps.bus.publishSignal({ type: 'sessions.revoked', userId, at });
  await recordAudit(deps, request, {
    actorId: null,
    action: 'auth.logout_from_provider',
    target: { type: 'user', id: userId },
    detail: { sessionsEnded: ended },
  });
}

/** The pending sign-in the callback answers, used once: a replayed or forged callback finds nothing. */
async function takePending(deps: GatewayDeps, request: CallbackRequest): Promise<PendingSignIn> {
  const state = request.query['state'];
  const cookieState = request.cookies[STATE_COOKIE];
  if (typeof state !== 'string' || state === '' || cookieState === undefined || state !== cookieState) {
    throw new HearthError('sso_refused', 'the sign-in answer does not belong to a sign-in started in this browser (state mismatch); start again');
  }
  const stored = await deps.ephemeral.get(pendingKey(state));
  await deps.ephemeral.delete(pendingKey(state));
  if (stored === null) throw new HearthError('sso_refused', 'this sign-in has expired or was already completed; start again');
  return JSON.parse(stored) as PendingSignIn;
}

function stateCookieOptions(deps: GatewayDeps, maxAgeMs: number) {
  // Lax, not Strict: the provider sends the browser back with a top-level cross-site GET.
  return { httpOnly: true, sameSite: 'lax' as const, secure: deps.http.secureCookies, path: '/auth/oidc', maxAge: Math.floor(maxAgeMs / 1000) };
}

function clearStateCookie(reply: FastifyReply, deps: GatewayDeps): void {
  reply.clearCookie(STATE_COOKIE, stateCookieOptions(deps, 0));
}
