import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Credentials, User } from '@hearth/core';
import { passwordRefusalOf } from './session.ts';

const ada: User = { id: 'u-1', name: 'Ada', email: 'ada@example.com', role: 'member', active: true, createdAt: '2026-01-01T00:00:00.000Z', avatar: null };

describe('passwordRefusalOf', () => {
  const withPassword: Credentials = { user: ada, passwordHash: 'hash' };
  const ssoOnly: Credentials = { user: ada, passwordHash: null };
  const deactivated: Credentials = { user: { ...ada, active: false }, passwordHash: 'hash' };
  const cases: [what: string, credentials: Credentials | null, matches: boolean, expected: ReturnType<typeof passwordRefusalOf>][] = [
    ['the right password of an active account', withPassword, true, null],
    ['a wrong password', withPassword, false, 'wrong password'],
    ['an account without a password (SSO only)', ssoOnly, true, 'wrong password'],
    ['an unknown email', null, false, 'unknown email'],
    ['a deactivated account, right password', deactivated, true, 'deactivated'],
    ['a deactivated account, wrong password', deactivated, false, 'deactivated'],
  ];
  for (const [what, credentials, matches, expected] of cases) {
    it(`${what} → ${expected ?? 'signed in'}`, () => assert.equal(passwordRefusalOf(credentials, matches), expected));
  }
});
