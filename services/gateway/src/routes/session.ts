import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HearthError, SESSION_COOKIE, decoyHash, hashPassword, verifyPassword, type Credentials, type User, limitRate } from '@hearth/core';
import { recordAudit } from '../audit.ts';
import { clearSessionCookie, requireSignedIn, setSessionCookie } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { joinBody, joinParams, setupBody, signInBody } from '../schemas.ts';
import { commandMeta } from '../origin.ts';
import { endSession } from '../session-ending.ts';

type SetupBody = { accountName: string; name: string; email: string; password: string };
type SignInBody = { email: string; password: string };
type JoinBody = { name: string; email: string; password: string };

const exempt = { config: { csrfExempt: true } };

/** First-run, sign-in, join and sign-out: every way a session starts or ends. */
export function registerSessionRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/status', async () => {
    const account = await deps.store.getAccount();
    const sso = deps.auth.oidc === null ? null : { label: deps.auth.oidc.buttonLabel, startUrl: '/auth/oidc/start' };
    return { setUp: account !== null, accountName: account?.name ?? null, signIn: { password: deps.auth.passwordSignIn, sso } };
  });

  app.post<{ Body: SetupBody }>('/api/setup', { ...exempt, schema: { body: setupBody } }, async (request, reply) => {
    await limitRate(deps.ephemeral, `signin:${request.ip}`, deps.limits.signInPerMinute);
    const { accountName, name, email, password } = request.body;
    const { user } = await deps.commands.send(
      'account.setup',
      { accountName, admin: { name, email, passwordHash: await hashPassword(password) } },
      commandMeta(request),
    );
    return reply.code(201).send(await startSession(deps, { request, reply }, user, 'setup'));
  });

  app.post<{ Body: SignInBody }>('/api/session', { ...exempt, schema: { body: signInBody } }, async (request, reply) => {
    await limitRate(deps.ephemeral, `signin:${request.ip}`, deps.limits.signInPerMinute);
    const user = await signInWithPassword(deps, request, request.body);
    return startSession(deps, { request, reply }, user, 'password');
  });

  app.get('/api/session', async (request) => {
    const { user, session } = requireSignedIn(request);
    return { user, csrfToken: session.csrfToken };
  });

  app.delete('/api/session', async (request, reply) => signOut(deps, request, reply));

  registerJoinRoutes(app, deps);
}

/** Joining the account by its link: what the link is for, and the new person's account and session. */
function registerJoinRoutes(app: FastifyInstance, deps: GatewayDeps): void {
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
      await limitRate(deps.ephemeral, `signin:${request.ip}`, deps.limits.signInPerMinute);
      requirePasswordsFor(deps, null);
      const { name, email, password } = request.body;
      const user = await deps.commands.send(
        'user.create',
        {
          joinCode: request.params.joinCode,
          actorId: null,
          user: { name, email, passwordHash: await hashPassword(password) },
        },
        commandMeta(request),
      );
      return reply.code(201).send(await startSession(deps, { request, reply }, user, 'join'));
    },
  );
}

/** The request a session starts on, and the reply that carries its cookie. */
interface Exchange {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

async function startSession(deps: GatewayDeps, { request, reply }: Exchange, user: User, method: 'password' | 'setup' | 'join') {
  const session = await deps.sessions.create(user.id, { userAgent: request.headers['user-agent'] ?? '', ip: request.ip });
  await recordAudit(deps, request, { actorId: user.id, action: 'auth.sign_in', target: { type: 'user', id: user.id }, detail: { method } });
  setSessionCookie(reply, deps, session);
  return { user, csrfToken: session.csrfToken };
}

/**
 * Refuses a password sign-in the password policy does not allow `role`; joining by link
 * (role null) creates a password account, so it follows the policy too.
 */
function requirePasswordsFor(deps: GatewayDeps, role: User['role'] | null): void {
  const policy = deps.auth.passwordSignIn;
  if (policy === 'enabled' || (policy === 'admins' && role === 'administrator')) return;
  throw new HearthError(
    'password_sign_in_disabled',
    policy === 'admins'
      ? 'only administrators may sign in with a password here (break-glass); sign in with SSO'
      : 'passwords are turned off here; sign in with SSO',
  );
}

/** Why a password sign-in fails, for the audit log (the client only hears "wrong email or password"); null when it may go on. */
export function passwordRefusalOf(credentials: Credentials | null, passwordMatches: boolean): 'unknown email' | 'deactivated' | 'wrong password' | null {
  if (credentials === null) return 'unknown email';
  if (!credentials.user.active) return 'deactivated';
  if (credentials.passwordHash === null || !passwordMatches) return 'wrong password';
  return null;
}

/** The user these credentials sign in, once the password matches and the password policy lets them; every refusal is audited. */
async function signInWithPassword(deps: GatewayDeps, request: FastifyRequest, body: SignInBody): Promise<User> {
  const credentials = await deps.store.getCredentialsByEmail(body.email.trim().toLowerCase());
  // Hash even for an unknown email so the answer's timing does not say which emails exist.
  const valid = await verifyPassword(body.password, credentials?.passwordHash ?? (await decoyHash()));
  const reason = passwordRefusalOf(credentials, valid);
  if (credentials === null || reason !== null) {
    await recordAudit(deps, request, {
      actorId: null,
      action: 'auth.sign_in_failed',
      target: credentials === null ? null : { type: 'user', id: credentials.user.id },
      detail: { method: 'password', reason },
    });
    throw new HearthError('invalid_credentials', 'wrong email or password', { field: 'password' });
  }
  try {
    requirePasswordsFor(deps, credentials.user.role);
  } catch (error) {
    await recordAudit(deps, request, {
      actorId: null,
      action: 'auth.sign_in_failed',
      target: { type: 'user', id: credentials.user.id },
      detail: { method: 'password', reason: 'passwords disabled' },
    });
    throw error;
  }
  return credentials.user;
}

/** Ends this browser's session (and its realtime streams); a provider's session is the client's to end, at the URL returned. */
export async function signOut(deps: GatewayDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const sessionId = request.cookies[SESSION_COOKIE];
  const signedIn = request.signedIn;
  // Open realtime streams of this session end with it.
  if (sessionId !== undefined) await endSession(deps, sessionId);
  clearSessionCookie(reply, deps);
  if (signedIn === null) return reply.code(204).send();
  await recordAudit(deps, request, {
    actorId: signedIn.user.id,
    action: 'auth.sign_out',
    target: { type: 'user', id: signedIn.user.id },
    detail: { sso: signedIn.session.idpSessionId !== null },
  });
  // Signed in through the provider: the client goes on to end the provider's session too
  // (RP-initiated logout), or the next visit would sign straight back in.
  const logoutUrl = signedIn.session.idpSessionId === null ? null : await providerLogoutUrl(deps, request);
  return logoutUrl === null ? reply.code(204).send() : reply.code(200).send({ logoutUrl });
}

/** The provider's end-session URL; null (a local sign-out only) when the provider cannot be reached. */
async function providerLogoutUrl(deps: GatewayDeps, request: FastifyRequest): Promise<string | null> {
  if (deps.oidc === null) return null;
  try {
    return (await deps.oidc.endSessionUrl())?.href ?? null;
  } catch (error) {
    request.log.warn({ err: error }, 'signed out locally; the identity provider could not be reached for its logout URL');
    return null;
  }
}
