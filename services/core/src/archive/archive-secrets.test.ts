import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildArchiveHeader, type ArchiveHeader } from './archive-format.ts';
import { decryptArchiveSecrets, isSecretName, withEncryptedSecrets, type ArchivedSecret, type EncryptedSecrets } from './archive-secrets.ts';

const KEY = Buffer.from('a passphrase of at least thirty-two bytes, kept by the operator');
const SECRETS: ArchivedSecret[] = [
  { name: 'acme-oidc', data: { clientSecret: Buffer.from('s3cr3t-value').toString('base64') } },
  { name: 'acme-db', data: { password: Buffer.from('pg pass').toString('base64'), user: Buffer.from('hearth').toString('base64') } },
];

const header = (at = '2026-12-05T02:00:00.000Z'): ArchiveHeader => buildArchiveHeader(new Date(at), '1.2.3', null);

/** The sealed field of a header, for tests that change it. */
function sealedOf(sealed: ArchiveHeader): EncryptedSecrets {
  assert.ok(sealed.encryptedSecrets !== undefined);
  return sealed.encryptedSecrets;
}

/** The base64 text with one bit of its first byte flipped. */
function flipped(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0]! ^= 1;
  return bytes.toString('base64');
}

const REFUSED = /^cannot decrypt the archive's Secrets: wrong key, or the archive was altered$/;

describe('Secret values in an archive header', () => {
  it('decrypts what it encrypted, and shows only the names in the clear', async () => {
    const sealed = await withEncryptedSecrets(header(), SECRETS, KEY);
    const field = sealedOf(sealed);
    assert.deepEqual(field.names, ['acme-oidc', 'acme-db']);
    assert.equal(field.cipher, 'aes-256-gcm');
    assert.deepEqual({ ...field.kdf, salt: undefined }, { name: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: undefined });
    assert.doesNotMatch(JSON.stringify(sealed), /s3cr3t|czNjcjN0/);
    assert.deepEqual(await decryptArchiveSecrets(JSON.parse(JSON.stringify(sealed)) as ArchiveHeader, KEY), SECRETS);
  });

  it('uses a fresh salt and iv each time', async () => {
    const [a, b] = await Promise.all([withEncryptedSecrets(header(), SECRETS, KEY), withEncryptedSecrets(header(), SECRETS, KEY)]);
    assert.notEqual(sealedOf(a).kdf.salt, sealedOf(b).kdf.salt);
    assert.notEqual(sealedOf(a).iv, sealedOf(b).iv);
    assert.notEqual(sealedOf(a).data, sealedOf(b).data);
  });

  it('refuses a wrong key, an altered ciphertext, tag, iv or names, and a blob moved into another archive', async () => {
    const sealed = await withEncryptedSecrets(header(), SECRETS, KEY);
    const field = sealedOf(sealed);
    const altered: [string, ArchiveHeader, Buffer][] = [
      ['a wrong key', sealed, Buffer.from(`${KEY.toString()}!`)],
      ['the ciphertext', { ...sealed, encryptedSecrets: { ...field, data: flipped(field.data) } }, KEY],
      ['the tag', { ...sealed, encryptedSecrets: { ...field, tag: flipped(field.tag) } }, KEY],
      ['the iv', { ...sealed, encryptedSecrets: { ...field, iv: flipped(field.iv) } }, KEY],
      ['the names', { ...sealed, encryptedSecrets: { ...field, names: ['acme-oidc'] } }, KEY],
      ['the salt', { ...sealed, encryptedSecrets: { ...field, kdf: { ...field.kdf, salt: flipped(field.kdf.salt) } } }, KEY],
      ['another archive', { ...header('2026-12-06T02:00:00.000Z'), encryptedSecrets: field }, KEY],
      ['a malformed field', { ...sealed, encryptedSecrets: { names: [] } as unknown as EncryptedSecrets }, KEY],
    ];
    for (const [what, changed, key] of altered) {
      await assert.rejects(decryptArchiveSecrets(changed, key), (error: Error) => REFUSED.test(error.message), what);
    }
  });

  it('says so when the archive holds no Secret values', async () => {
    await assert.rejects(decryptArchiveSecrets(header(), KEY), {
      message: 'the archive holds no Secret values (it was written without --include-secrets)',
    });
  });

  it('takes only DNS-1123 subdomains as Secret names', () => {
    for (const name of ['acme', 'acme-db', 'a.b-c.d', '0', 'x'.repeat(253)]) assert.equal(isSecretName(name), true, name);
    for (const name of ['', 'Acme', 'acme_db', '-acme', 'acme-', 'a..b', '.acme', 'x'.repeat(254)]) assert.equal(isSecretName(name), false, name);
  });
});
