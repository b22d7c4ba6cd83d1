import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecretData } from '../tiers/index.ts';
import { hearthFixture } from '../tiers/testing.ts';
import { decideIncludedSecrets, secretsToInclude } from './archive-secrets.ts';

const include = { keySecretRef: { name: 'archive-key', key: 'key' } };
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const goodKey = { key: b64('x'.repeat(32)) };

describe('the Secrets a backup keeps', () => {
  it('are the ones the spec names, each once, and neither the generated ones nor the S3 credentials', () => {
    const hearth = hearthFixture({
      tier: 'single',
      auth: { oidc: { issuerURL: 'https://id.example', clientID: 'hearth', clientSecretRef: { name: 'oidc' } } },
      database: { external: { secretRef: { name: 'db' } } },
      redis: { external: { secretRef: { name: 'db' } } },
      ingress: { host: 'chat.example', tlsSecretName: 'chat-tls' },
      backup: { schedule: '@daily', retention: 3, destination: { s3: { bucket: 'b', credentialsSecretRef: { name: 'backup-s3' } } } },
    });
    assert.deepEqual(secretsToInclude(hearth), ['chat-tls', 'db', 'oidc']);
    assert.deepEqual(secretsToInclude(hearthFixture({})), []);
  });

  const table: readonly (readonly [string, Record<string, SecretData | undefined>, ReturnType<typeof decideIncludedSecrets>])[] = [
    ['the ones that exist, when the key serves', { 'archive-key': goodKey, oidc: {} }, { ok: true, names: ['oidc'] }],
    ['none, when none exists', { 'archive-key': goodKey }, { ok: true, names: [] }],
    [
      'nothing, with a missing key Secret',
      { oidc: {} },
      {
        ok: false,
        message:
          'Secret archive-key (spec.includeSecrets.keySecretRef) is missing: create it (kubectl create secret generic archive-key --from-literal=key=$(openssl rand -base64 32)) and this resource again',
      },
    ],
    [
      'nothing, without the key',
      { 'archive-key': { other: goodKey.key } },
      { ok: false, message: 'Secret archive-key (spec.includeSecrets.keySecretRef) has no key key' },
    ],
    [
      'nothing, with a short passphrase',
      { 'archive-key': { key: b64('short') } },
      { ok: false, message: 'Secret archive-key (spec.includeSecrets.keySecretRef) key key holds 5 bytes: the passphrase must be at least 32 bytes' },
    ],
  ];
  for (const [name, secrets, want] of table)
    it(name, () => assert.deepEqual(decideIncludedSecrets(include, ['oidc', 'tls'], new Map(Object.entries(secrets)), 'spec.includeSecrets'), want));
});
