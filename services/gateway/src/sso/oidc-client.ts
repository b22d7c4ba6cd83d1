import * as client from 'openid-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { HearthError, type Logger, type OidcConfig } from '@hearth/core';
import { logoutClaimsOf, type LogoutClaims } from './logout-claims.ts';

/** What one sign-in needs to remember between the redirect to the provider and its answer. */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
}

/**
 * The provider as Hearth uses it, through openid-client (authorization code flow with PKCE,
 * state and nonce; ID token checks of issuer, audience, expiry and signature against the
 * provider's JWKS, refetched when a token names a key it has not seen) and jose for
 * back-channel logout tokens, which openid-client does not validate.
 *
 * Discovery happens on first use and is retried on the next sign-in after a failure, so an
 * unreachable provider never stops Hearth from starting (break-glass admins can still sign in).
 */
export interface OidcClient {
  authorizationUrl(pending: PendingSignIn): Promise<URL>;
  /** Redeems the code in `callbackUrl`; returns the ID token's validated claims. */
  exchange(callbackUrl: URL, pending: PendingSignIn): Promise<Record<string, unknown>>;
  /** RP-initiated logout at the provider, or null when it has no end_session_endpoint. */
  endSessionUrl(): Promise<URL | null>;
  verifyLogoutToken(token: string): Promise<LogoutClaims>;
}

const TIMEOUT_SECONDS = 10;

export function newPendingSignIn(returnTo: string): PendingSignIn {
  return { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), returnTo };
}

export function createOidcClient(config: OidcConfig, logger: Logger): OidcClient {
  let discovered: Promise<client.Configuration> | null = null;
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
        timeout: TIMEOUT_SECONDS,
        ...(config.allowInsecureIssuer ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .then((found) => {
        found.timeout = TIMEOUT_SECONDS;
        // Without this, an ID token straight from the token endpoint is trusted on TLS alone;
        // with it, its signature is checked against the provider's JWKS too.
        client.enableNonRepudiationChecks(found);
        return found;
      })
      .catch((error: unknown) => {
        discovered = null;
        throw explain(error, 'discovery');
      });
    return discovered;
  }

  return {
    async authorizationUrl(pending) {
      const found = await configuration();
      return client.buildAuthorizationUrl(found, {
        redirect_uri: config.redirectUri,
        scope: config.scopes.join(' '),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
    },

    async exchange(callbackUrl, pending) {
      const found = await configuration();
      try {
        const tokens = await client.authorizationCodeGrant(found, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (claims === undefined) throw new HearthError('sso_refused', 'the provider sent no ID token');
        return { ...claims };
      } catch (error) {
        throw explain(error, 'sign-in');
      }
    },

    async endSessionUrl() {
      const found = await configuration();
      if (found.serverMetadata().end_session_endpoint === undefined) return null;
      return client.buildEndSessionUrl(found, { client_id: config.clientId, post_logout_redirect_uri: config.postLogoutRedirectUri });
    },

    async verifyLogoutToken(token) {
      const found = await configuration();
      const jwksUri = found.serverMetadata().jwks_uri;
      if (jwksUri === undefined) throw new HearthError('sso_unavailable', 'the provider publishes no jwks_uri');
      jwks ??= createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: TIMEOUT_SECONDS * 1000, cooldownDuration: 10_000 });
      const payload = await verifiedLogoutPayload(token, jwks, { issuer: found.serverMetadata().issuer, audience: config.clientId });
      const claims = logoutClaimsOf(payload);
      logger.debug({ sid: claims.idpSessionId, subject: claims.subject }, 'back-channel logout token accepted');
      return claims;
    },
  };
}

/** A logout token's payload once its signature, issuer, audience and age check out; else a 400 saying why. */
async function verifiedLogoutPayload(
  token: string,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  expected: { readonly issuer: string; readonly audience: string },
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, jwks, { ...expected, maxTokenAge: '5 minutes' });
    return payload;
  } catch (error) {
    const reason = error instanceof joseErrors.JOSEError ? error.code : String(error);
    throw new HearthError('invalid_request', `the logout token is not valid (${reason})`, { field: 'logout_token', cause: error });
  }
}

/**
 * Sorts what went wrong into the provider being unreachable (502, try later) and the
 * sign-in being refused (401): a bad state, a used code, a token for someone else, expired
 * or signed with an unknown key.
 */
function explain(error: unknown, step: string): HearthError {
  if (error instanceof HearthError) return error;
  const code = error instanceof client.ClientError ? error.code : undefined;
  const unreachable =
    error instanceof TypeError ||
    code === 'OAUTH_TIMEOUT' ||
    code === 'OAUTH_ABORT' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
    code === 'OAUTH_RESPONSE_IS_NOT_JSON';
  if (unreachable && !(error instanceof client.ResponseBodyError)) {
    return new HearthError('sso_unavailable', `the identity provider could not be reached during ${step}; try again shortly (${describe(error)})`, {
      cause: error,
    });
  }
  return new HearthError('sso_refused', `the identity provider's answer was refused during ${step}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return `${error.error}${error.error_description === undefined ? '' : `: ${error.error_description}`}`;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
