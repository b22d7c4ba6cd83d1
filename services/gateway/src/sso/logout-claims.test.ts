import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JWTPayload } from 'jose';
import { HearthError } from '@hearth/core';
import { logoutClaimsOf } from './logout-claims.ts';

const EVENTS = { 'http://schemas.openid.net/event/backchannel-logout': {} };
const base: JWTPayload = { iss: 'https://sso.example', aud: 'hearth', sub: 'u-1', sid: 's-1', jti: 'j-1', events: EVENTS };

/** The base token without some of its claims. */
function without(...claims: string[]): JWTPayload {
  const payload: JWTPayload = { ...base };
  for (const claim of claims) delete payload[claim];
  return payload;
}

describe('logoutClaimsOf', () => {
  const accepted: [what: string, payload: JWTPayload, expected: ReturnType<typeof logoutClaimsOf>][] = [
    ['a subject and a session', base, { subject: 'u-1', idpSessionId: 's-1', tokenId: 'j-1' }],
    ['a session only', without('sub'), { subject: null, idpSessionId: 's-1', tokenId: 'j-1' }],
    ['a subject only', without('sid'), { subject: 'u-1', idpSessionId: null, tokenId: 'j-1' }],
    ['a sid that is not a string, with a subject', { ...base, sid: 7 }, { subject: 'u-1', idpSessionId: null, tokenId: 'j-1' }],
  ];
  for (const [what, payload, expected] of accepted) {
    it(`accepts ${what}`, () => assert.deepEqual(logoutClaimsOf(payload), expected));
  }

  const refused: [what: string, payload: JWTPayload, message: RegExp][] = [
    ['no events claim', without('events'), /no back-channel logout event/],
    ['events that are not an object', { ...base, events: 'logout' }, /no back-channel logout event/],
    ['events without the logout event', { ...base, events: { other: {} } }, /no back-channel logout event/],
    ['a nonce', { ...base, nonce: 'n' }, /must not carry a nonce/],
    ['neither sub nor sid', without('sub', 'sid'), /neither a session nor a subject/],
    ['no jti', without('jti'), /no jti/],
  ];
  for (const [what, payload, message] of refused) {
    it(`refuses ${what}`, () =>
      assert.throws(
        () => logoutClaimsOf(payload),
        (error: unknown) => error instanceof HearthError && error.code === 'invalid_request' && error.field === 'logout_token' && message.test(error.message),
      ));
  }
});
