import type { JWTPayload } from 'jose';
import { HearthError } from '@hearth/core';

/** Who a back-channel logout token signs out: a provider session, a subject, or both. */
export interface LogoutClaims {
  readonly subject: string | null;
  readonly idpSessionId: string | null;
  readonly tokenId: string;
}

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const refusedToken = (message: string): HearthError => new HearthError('invalid_request', message, { field: 'logout_token' });

/**
 * The claims of a logout token whose signature, issuer, audience and age are already checked,
 * refused unless they are what OpenID Connect Back-Channel Logout 1.0, §2.6 requires: the
 * events claim, a sub or sid, no nonce; and a jti, so a replay can be told apart.
 */
export function logoutClaimsOf(payload: JWTPayload): LogoutClaims {
  if (!hasBackchannelLogoutEvent(payload)) throw refusedToken('the logout token has no back-channel logout event');
  if (payload['nonce'] !== undefined) throw refusedToken('a logout token must not carry a nonce');
  const sid = typeof payload['sid'] === 'string' ? payload['sid'] : null;
  const subject = payload.sub ?? null;
  if (sid === null && subject === null) throw refusedToken('the logout token names neither a session nor a subject');
  if (payload.jti === undefined) throw refusedToken('the logout token has no jti');
  return { subject, idpSessionId: sid, tokenId: payload.jti };
}

function hasBackchannelLogoutEvent(payload: JWTPayload): boolean {
  const events = payload['events'];
  return typeof events === 'object' && events !== null && BACKCHANNEL_LOGOUT_EVENT in events;
}
