import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { botSecretMatches, createBotToken, hashBotSecret, parseBotToken } from './bot-tokens.ts';

describe('bot tokens', () => {
  it('are hbt_<uuid>_<43 base64url characters>, each different, and parse back into id and secret', () => {
    const made = createBotToken();
    assert.match(made.token, /^hbt_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseBotToken(made.token);
    assert.equal(parsed?.tokenId, made.tokenId);
    assert.equal(Buffer.from(parsed?.secret ?? '', 'base64url').length, 32);
    assert.equal(made.secretHash, hashBotSecret(parsed?.secret ?? ''));
    assert.ok(!made.secretHash.includes(parsed?.secret ?? 'x'));
    assert.notEqual(createBotToken().token, made.token);
  });

  it('store sha256 in hex of the secret', () => {
    assert.equal(hashBotSecret('abc'), createHash('sha256').update('abc').digest('hex'));
    assert.match(hashBotSecret('abc'), /^[0-9a-f]{64}$/);
  });

  it('match only their own secret', () => {
    const made = createBotToken();
    const secret = parseBotToken(made.token)?.secret ?? '';
    assert.equal(botSecretMatches(secret, made.secretHash), true);
    assert.equal(botSecretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, made.secretHash), false);
    assert.equal(botSecretMatches(secret, createBotToken().secretHash), false);
    assert.equal(botSecretMatches(secret, 'not hex'), false);
    assert.equal(botSecretMatches(secret, ''), false);
  });

  const id = '0b6c3f8e-2d7a-4c1e-9f00-123456789abc';
  const secret = 'A'.repeat(43);
  const malformed: [string, string][] = [
    ['empty', ''],
    ['another prefix', `hbx_${id}_${secret}`],
    ['no prefix', `${id}_${secret}`],
    ['an id that is not a UUID', `hbt_not-a-uuid_${secret}`],
    ['an upper-case id', `hbt_${id.toUpperCase()}_${secret}`],
    ['a short secret', `hbt_${id}_${'A'.repeat(42)}`],
    ['a secret with characters outside base64url', `hbt_${id}_${'A'.repeat(42)}=`],
    ['trailing space', `hbt_${id}_${secret} `],
    ['no secret', `hbt_${id}`],
  ];
  for (const [what, token] of malformed) {
    it(`refuse ${what}`, () => {
      assert.equal(parseBotToken(token), null);
    });
  }
  it('accept a well-formed token with a secret containing _ and -', () => {
    assert.deepEqual(parseBotToken(`hbt_${id}_${'a_b-'.repeat(11)}`), { tokenId: id, secret: 'a_b-'.repeat(11) });
  });
});
