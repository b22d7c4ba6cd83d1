import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGeneratedSecret, type GeneratedSecret } from './secrets.ts';
import { hearthFixture } from './testing.ts';

const secret: GeneratedSecret = {
  name: 'acme-postgres-credentials',
  component: 'postgres',
  keys: [
    { key: 'password', bytes: 4, encoding: 'hex', description: 'the password' },
    { key: 'token', bytes: 3, encoding: 'base64url', description: 'a token' },
  ],
};
const counting = (count: number): Uint8Array => Uint8Array.from({ length: count }, (_, i) => 250 + i);

describe('buildGeneratedSecret', () => {
  it('encodes the random bytes of each key', () => {
    const built = buildGeneratedSecret(hearthFixture({}), secret, counting);
    assert.deepEqual(built.stringData, { password: 'fafbfcfd', token: '-vv8' });
    assert.equal(built.immutable, true);
    assert.equal(built.type, 'Opaque');
    assert.equal(built.metadata?.namespace, 'chat');
    assert.equal(built.metadata?.labels?.['app.kubernetes.io/component'], 'postgres');
    assert.equal(built.metadata?.annotations?.['hearth.dev/generated'], 'password: the password; token: a token');
  });

  it('is never owned by the Hearth: its fate is decided at deletion, with the volumes', () => {
    for (const retainOnDelete of [true, false]) {
      const built = buildGeneratedSecret(hearthFixture({ storage: { retainOnDelete } }), secret, counting);
      assert.equal(built.metadata?.ownerReferences, undefined, String(retainOnDelete));
    }
  });
});
