import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '@hearth/core';
import { profileFromClaims, roleFromGroups, safeReturnTo } from './claims.ts';

const base = { iss: 'https://sso.example', sub: 'u-1', email: 'Ada@Example.com', email_verified: true, name: 'Ada Lovelace', sid: 's-1' };

const STANDARD = { groupsClaim: 'groups', emailVerifiedClaim: 'email_verified' };

describe('profileFromClaims', () => {
  it('keeps the subject, a lower-cased email, the name, the groups and the provider session', () => {
    assert.deepEqual(profileFromClaims({ ...base, groups: ['staff', 'admins', 7] }, STANDARD), {
      issuer: 'https://sso.example',
      subject: 'u-1',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      groups: ['staff', 'admins'],
      idpSessionId: 's-1',
    });
  });
  it('reads groups from the configured claim, also when it is one string', () => {
    assert.deepEqual(profileFromClaims({ ...base, roles: 'admins' }, { ...STANDARD, groupsClaim: 'roles' }).groups, ['admins']);
    assert.deepEqual(profileFromClaims({ ...base }, STANDARD).groups, []);
  });
  it('builds a name from given and family names, or falls back to the email', () => {
    const noName: Record<string, unknown> = { ...base };
    delete noName['name'];
    assert.equal(profileFromClaims({ ...noName, given_name: 'Ada', family_name: 'L' }, STANDARD).name, 'Ada L');
    assert.equal(profileFromClaims(noName, STANDARD).name, 'ada@example.com');
  });
  it("reads email verification from the configured claim (Entra ID's xms_edov)", () => {
    const entra = { ...base, email_verified: undefined, xms_edov: true };
    assert.equal(profileFromClaims(entra, { ...STANDARD, emailVerifiedClaim: 'xms_edov' }).email, 'ada@example.com');
    assert.throws(() => profileFromClaims(entra, STANDARD), /not verified/);
  });
  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['an unverified email', { ...base, email_verified: false }, 'sso_forbidden'],
    ['an email_verified given as a string', { ...base, email_verified: 'true' }, 'sso_forbidden'],
    ['no email', { ...base, email: undefined }, 'sso_forbidden'],
    ['no subject', { ...base, sub: '' }, 'sso_refused'],
  ];
  for (const [what, claims, code] of refused) {
    it(`refuses ${what}`, () =>
      assert.throws(
        () => profileFromClaims(claims, STANDARD),
        (error: unknown) => error instanceof HearthError && error.code === code,
      ));
  }
});

describe('roleFromGroups', () => {
  const cases: Array<[string[], string[], string]> = [
    [['staff', 'hearth-admins'], ['hearth-admins'], 'administrator'],
    [['staff'], ['hearth-admins'], 'member'],
    [['hearth-admins'], [], 'member'],
    [[], ['hearth-admins'], 'member'],
  ];
  for (const [groups, admins, role] of cases)
    it(`${JSON.stringify(groups)} with admin groups ${JSON.stringify(admins)} → ${role}`, () => assert.equal(roleFromGroups(groups, admins), role));
});

describe('safeReturnTo', () => {
  const cases: Array<[unknown, string]> = [
    ['/rooms/abc?x=1', '/rooms/abc?x=1'],
    [undefined, '/'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['rooms', '/'],
  ];
  for (const [value, expected] of cases) it(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(safeReturnTo(value), expected));
});
