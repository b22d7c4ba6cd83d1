import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebhookSecrets } from '@hearth/core';
import { createWebhookSecret, SIGNATURE_HEADER, signatureHeaders, signingSecrets, signPayload, TIMESTAMP_HEADER } from './signature.ts';

describe('signPayload', () => {
  it('is the HMAC-SHA256 in hex of "<timestamp>.<body>" keyed with the whole secret (as openssl dgst -hmac computes it)', () => {
    // { printf '%s.' 1767225600; printf '%s' '{"hello":"world"}'; } | openssl dgst -sha256 -hmac whsec_test -r
    assert.equal(signPayload('whsec_test', 1_767_225_600, '{"hello":"world"}'), '6e71b585e159805f050878ee829a4a61a8ca5280212d978c7a7f4dd927fc34aa');
  });
});

describe('createWebhookSecret', () => {
  it('is whsec_ and 32 random bytes in base64url, new each time', () => {
    const [a, b] = [createWebhookSecret(), createWebhookSecret()];
    assert.match(a, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a.slice('whsec_'.length), 'base64url').length, 32);
    assert.notEqual(a, b);
  });
});

describe('signingSecrets', () => {
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  const rotated = (expiresAt: string): WebhookSecrets => ({ current: 'whsec_new', previous: { secret: 'whsec_old', expiresAt } });
  const cases: [what: string, secrets: WebhookSecrets | null, expected: string[]][] = [
    ['no bot', null, []],
    ['a bot made before deliveries were signed', { current: null, previous: null }, []],
    ['one secret', { current: 'whsec_new', previous: null }, ['whsec_new']],
    ['in the grace period: the new one first', rotated('2026-01-01T12:00:00.001Z'), ['whsec_new', 'whsec_old']],
    ['at the end of the grace period', rotated('2026-01-01T12:00:00.000Z'), ['whsec_new']],
    ['after it', rotated('2026-01-01T11:00:00.000Z'), ['whsec_new']],
  ];
  for (const [what, secrets, expected] of cases) {
    it(`${what} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(signingSecrets(secrets, now), expected);
    });
  }
});

describe('signatureHeaders', () => {
  const now = 1_767_225_600_999;
  it('gives the time in whole Unix seconds and one v1= signature per secret, separated by a space', () => {
    const headers = signatureHeaders(['whsec_test', 'whsec_other'], now, '{"hello":"world"}');
    assert.deepEqual(Object.keys(headers).sort(), [SIGNATURE_HEADER, TIMESTAMP_HEADER]);
    assert.equal(headers[TIMESTAMP_HEADER], '1767225600');
    assert.equal(
      headers[SIGNATURE_HEADER],
      `v1=6e71b585e159805f050878ee829a4a61a8ca5280212d978c7a7f4dd927fc34aa v1=${signPayload('whsec_other', 1_767_225_600, '{"hello":"world"}')}`,
    );
  });

  it('leaves the signature out when there is no secret', () => {
    assert.deepEqual(signatureHeaders([], now, '{}'), { [TIMESTAMP_HEADER]: '1767225600' });
  });
});
