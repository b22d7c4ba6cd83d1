import { createServer, type Server } from 'node:http';
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { freePort } from './harness.ts';

/**
 * A real OpenID provider for the SSO tests: `oidc-provider` (the certified implementation
 * from npm) on a loopback port, with its own login page, test people and groups that a
 * test can change, signing-key rotation, and back-channel logout to Hearth.
 *
 * `tamper` stands in for a broken or hostile provider, which a real one cannot be made to
 * be: it re-signs the ID token of the next token responses with another audience, an expiry
 * in the past, or a key the provider never published, so Hearth's refusal can be seen.
 */

/** The group whose members the tests' Hearth makes administrators. */
export const ADMIN_GROUP = 'hearth-admins';

/** Hearth's SSO settings for this provider (plain http is allowed: it is on loopback). */
export function ssoEnv(provider: TestProvider, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    HEARTH_OIDC_ISSUER_URL: provider.issuer,
    HEARTH_OIDC_CLIENT_ID: provider.clientId,
    HEARTH_OIDC_CLIENT_SECRET: provider.clientSecret,
    HEARTH_OIDC_ALLOW_INSECURE_ISSUER: 'true',
    HEARTH_OIDC_SCOPES: 'openid email profile groups',
    HEARTH_OIDC_ADMIN_GROUPS: ADMIN_GROUP,
    ...extra,
  };
}

export interface TestPerson {
  readonly login: string;
  readonly email: string;
  readonly name: string;
  emailVerified: boolean;
  groups: string[];
}

export type Tamper = 'none' | 'audience' | 'expired' | 'unknown-key';

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly people: Map<string, TestPerson>;
  tamper: Tamper;
  /** Registers Hearth as the client: its redirect, post-logout and back-channel URIs hang off `url`. */
  registerHearth(url: string): void;
  /** Publishes a new signing key, signs with it, and drops the old one from the JWKS. */
  rotateKeys(): Promise<void>;
  /** Back-channel logout requests the provider has sent, with their HTTP status. */
  readonly logoutsSent: number[];
  stop(): Promise<void>;
}

export interface ProviderOptions {
  readonly people: readonly TestPerson[];
  readonly port?: number;
}

interface SigningKey {
  readonly privateJwk: JWK;
  readonly kid: string;
}

async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }, kid };
}

interface ProviderSetup {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Hearth's base URL: the client's redirect, post-logout and back-channel URIs hang off it. */
  readonly hearthUrl: string;
  readonly signing: SigningKey;
  /** Read at each sign-in, so a test's changes to a person's claims take effect. */
  readonly people: ReadonlyMap<string, TestPerson>;
}

/** oidc-provider's configuration: Hearth as the one client, the test people as accounts. */
function providerConfiguration({ clientId, clientSecret, hearthUrl, signing, people }: ProviderSetup): Configuration {
  return {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${hearthUrl}/auth/oidc/callback`],
        post_logout_redirect_uris: [`${hearthUrl}/`],
        backchannel_logout_uri: `${hearthUrl}/auth/oidc/backchannel-logout`,
        backchannel_logout_session_required: true,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [signing.privateJwk] },
    cookies: { keys: ['test-cookie-key-one', 'test-cookie-key-two'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // Put the people's claims in the ID token, which is all Hearth reads.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(_ctx, id) {
      const person = people.get(id);
      if (person === undefined) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: person.email, email_verified: person.emailVerified, name: person.name, groups: [...person.groups] };
        },
      };
    },
    loadExistingGrant,
    // The provider refuses to call loopback addresses (SSRF protection); in this test Hearth is
    // on loopback, so its back-channel logout calls go out without that guard.
    fetch: (url: string | URL | Request, init?: RequestInit) => {
      const rest: RequestInit & { dispatcher?: unknown } = { ...init };
      delete rest.dispatcher;
      return globalThis.fetch(url, rest);
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 600 },
  };
}

/** A first-party app: no consent screen, the grant covers what Hearth asks for. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc;
  if (client === undefined || session?.accountId === undefined) return undefined;
  const grantId = ctx.oidc.result?.['consent']?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId === undefined ? undefined : await provider.Grant.find(grantId);
  if (existing !== undefined) return existing;
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid email profile groups');
  await grant.save();
  return grant;
}

export async function startTestProvider(options: ProviderOptions): Promise<TestProvider> {
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'hearth';
  const clientSecret = 'hearth-test-client-secret-0123456789';
  const people = new Map(options.people.map((person) => [person.login, { ...person, groups: [...person.groups] }]));
  let key = await newSigningKey('key-1');
  let generation = 1;
  const logoutsSent: number[] = [];
  let hearthUrl = 'http://127.0.0.1:1';

  const build = (signing: SigningKey): Provider => {
    const built = new Provider(issuer, providerConfiguration({ clientId, clientSecret, hearthUrl, signing, people }));
    built.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/token' && tamperMode !== 'none') await tamperWith(ctx, tamperMode, signing, issuer);
    });
    built.on('backchannel.success', () => logoutsSent.push(200));
    built.on('backchannel.error', (_ctx: unknown, error: Error) => {
      logoutsSent.push(0);
      process.stderr.write(
        `test provider: back-channel logout failed: ${error.message} ${String((error as { error_description?: string }).error_description ?? '')}\n`,
      );
    });
    return built;
  };

  let tamperMode: Tamper = 'none';
  let provider = build(key);
  // One HTTP server for the provider's whole life; rotating keys swaps the provider behind it.
  const server: Server = createServer((request, response) => {
    void provider.callback()(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    issuer,
    clientId,
    clientSecret,
    people,
    get tamper() {
      return tamperMode;
    },
    set tamper(mode: Tamper) {
      tamperMode = mode;
    },
    logoutsSent,
    registerHearth(url: string) {
      hearthUrl = url;
      provider = build(key);
    },
    async rotateKeys() {
      generation += 1;
      key = await newSigningKey(`key-${generation}`);
      provider = build(key);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Re-signs the response's ID token as a broken provider would have issued it. */
async function tamperWith(ctx: { body: unknown }, mode: Exclude<Tamper, 'none'>, signing: SigningKey, issuer: string): Promise<void> {
  const body = ctx.body as { id_token?: string } | undefined;
  if (body?.id_token === undefined) return;
  const claims = decodeJwt(body.id_token);
  const now = Math.floor(Date.now() / 1000);
  let signer = signing;
  if (mode === 'audience') claims.aud = 'some-other-app';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (mode === 'unknown-key') signer = await newSigningKey('never-published');
  const privateKey = await importJWK(signer.privateJwk, 'RS256');
  const token = await new SignJWT({ ...claims, iss: issuer }).setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT' }).sign(privateKey);
  ctx.body = { ...body, id_token: token };
}
