import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { desiredObjects } from './desired-objects.ts';
import {
  describeMissing,
  isMadeByAnotherOperator,
  missingSecretKeys,
  secretKeysUsedBy,
  secretNamesOf,
  secretNamesUsedBy,
  secretReferencesOf,
  secretsChecksum,
  secretsChecksumAnnotation,
  withSecretsChecksums,
  type SecretData,
} from './secret-checksums.ts';
import { hearthFixture, kindsAndNames } from './testing.ts';

const ctx = { ...defaultTierContext, cloudNativePG: true };
const external = (name: string) => ({ external: { secretRef: { name } } });
const oidc = { issuerURL: 'https://sso.acme.example', clientID: 'hearth', clientSecretRef: { name: 'acme-oidc' } };

function objectsOf(spec: HearthSpec): DesiredObject[] {
  const desired = desiredObjects(hearthFixture(spec), ctx);
  if (!desired.ok) throw new Error(desired.error.message);
  return [...desired.objects];
}

/** Each workload of the tier, with the Secret keys its pods read as `secret/key`. */
function usesByWorkload(spec: HearthSpec): Record<string, string[]> {
  return Object.fromEntries(
    objectsOf(spec)
      .filter((object) => object.kind === 'StatefulSet' || object.kind === 'Deployment')
      .map((object) => [
        `${object.kind}/${object.metadata.name}`,
        secretKeysUsedBy(object.kind === 'StatefulSet' || object.kind === 'Deployment' ? object.spec?.template : undefined).map(
          (use) => `${use.secret}/${use.key}`,
        ),
      ]),
  );
}

const all = (entries: Record<string, string>): Map<string, SecretData> => new Map(Object.entries(entries).map(([name, value]) => [name, { url: value }]));

describe('which workloads read which Secrets', () => {
  it('follows each tier and each external backend, and leaves out what PostgreSQL reads only at initdb', () => {
    const session = 'acme-session-key/key';
    const cases: { name: string; spec: HearthSpec; want: Record<string, string[]> }[] = [
      { name: 'embedded', spec: {}, want: { 'StatefulSet/acme': [session] } },
      { name: 'embedded with SSO', spec: { auth: { oidc } }, want: { 'StatefulSet/acme': ['acme-oidc/clientSecret', session] } },
      {
        name: 'single, all bundled: PostgreSQL itself rolls for no password (it reads it only at initdb)',
        spec: { tier: 'single' },
        want: {
          'StatefulSet/acme-postgres': [],
          'StatefulSet/acme-nats': ['acme-nats-credentials/password'],
          'StatefulSet/acme-redis': ['acme-redis-credentials/password'],
          'Deployment/acme-gateway': ['acme-nats-credentials/password', 'acme-postgres-credentials/password', 'acme-redis-credentials/password', session],
          'Deployment/acme-realtime': ['acme-nats-credentials/password', 'acme-postgres-credentials/password', 'acme-redis-credentials/password', session],
          'Deployment/acme-messaging': ['acme-nats-credentials/password', 'acme-postgres-credentials/password', 'acme-redis-credentials/password'],
        },
      },
      {
        name: 'single, all external, with SSO: only the gateway reads the OIDC client secret, messaging no session key',
        spec: { tier: 'single', database: external('pg'), nats: external('nats'), redis: external('redis'), auth: { oidc } },
        want: {
          'Deployment/acme-gateway': ['acme-oidc/clientSecret', session, 'nats/url', 'pg/url', 'redis/url'],
          'Deployment/acme-realtime': [session, 'nats/url', 'pg/url', 'redis/url'],
          'Deployment/acme-messaging': ['nats/url', 'pg/url', 'redis/url'],
        },
      },
      {
        name: 'clustered on CloudNativePG: its app Secret, the NATS route password for the NATS servers',
        spec: { tier: 'clustered', redis: external('redis') },
        want: {
          'StatefulSet/acme-nats': ['acme-nats-credentials/password', 'acme-nats-credentials/routePassword'],
          'Deployment/acme-gateway': ['acme-nats-credentials/password', 'acme-postgres-app/password', session, 'redis/url'],
          'Deployment/acme-realtime': ['acme-nats-credentials/password', 'acme-postgres-app/password', session, 'redis/url'],
          'Deployment/acme-messaging': ['acme-nats-credentials/password', 'acme-postgres-app/password', 'redis/url'],
        },
      },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(usesByWorkload(spec), want, name);
  });

  it('lists each Secret to read once, sorted', () => {
    assert.deepEqual(secretNamesUsedBy(objectsOf({ tier: 'single', database: external('pg') })), [
      'acme-nats-credentials',
      'acme-redis-credentials',
      'acme-session-key',
      'pg',
    ]);
  });
});

describe('secretsChecksum', () => {
  const uses = [
    { secret: 'a', key: 'url' },
    { secret: 'b', key: 'url' },
  ];
  const base = secretsChecksum(uses, all({ a: 'x', b: 'y' }));
  it('is the same for the same values, whatever else the Secrets hold or the order they were listed in', () => {
    const cases: { name: string; secrets: Map<string, SecretData>; same: boolean }[] = [
      { name: 'the same', secrets: all({ a: 'x', b: 'y' }), same: true },
      { name: 'listed the other way round', secrets: all({ b: 'y', a: 'x' }), same: true },
      {
        name: 'a key nobody reads added',
        secrets: new Map([
          ['a', { url: 'x', other: 'z' }],
          ['b', { url: 'y' }],
        ]),
        same: true,
      },
      { name: 'a Secret nobody reads', secrets: new Map([...all({ a: 'x', b: 'y' }), ['c', { url: 'z' }]]), same: true },
      { name: 'a value changed', secrets: all({ a: 'x', b: 'y2' }), same: false },
      { name: 'the values swapped between Secrets', secrets: all({ a: 'y', b: 'x' }), same: false },
      {
        name: 'a key gone',
        secrets: new Map([
          ['a', { url: 'x' }],
          ['b', {}],
        ]),
        same: false,
      },
      { name: 'a Secret gone', secrets: new Map([['a', { url: 'x' }]]), same: false },
    ];
    for (const { name, secrets, same } of cases) assert.equal(secretsChecksum(uses, secrets) === base, same, name);
  });

  it('is a SHA-256 in hex', () => assert.match(base, /^[0-9a-f]{64}$/));
});

describe('withSecretsChecksums', () => {
  const spec: HearthSpec = { tier: 'single', database: external('pg'), nats: external('nats'), redis: external('redis'), auth: { oidc } };
  const secrets = new Map<string, SecretData>([
    ['pg', { url: 'cG9zdGdyZXM6Ly8x' }],
    ['nats', { url: 'bmF0czovLzE=' }],
    ['redis', { url: 'cmVkaXM6Ly8x' }],
    ['acme-oidc', { clientSecret: 'czE=' }],
    ['acme-session-key', { key: 'azE=' }],
  ]);
  const checksums = (objects: readonly DesiredObject[]): Record<string, string | undefined> =>
    Object.fromEntries(
      objects
        .filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
        .map((object) => [
          object.metadata.name,
          object.kind === 'Deployment' || object.kind === 'StatefulSet' ? object.spec?.template.metadata?.annotations?.[secretsChecksumAnnotation] : undefined,
        ]),
    );
  const before = checksums(withSecretsChecksums(objectsOf(spec), secrets));

  it('changes exactly the pod templates that read a changed Secret', () => {
    const changedIn = (name: string, data: SecretData): string[] => {
      const after = checksums(withSecretsChecksums(objectsOf(spec), new Map([...secrets, [name, data]])));
      return Object.keys(after).filter((workload) => after[workload] !== before[workload]);
    };
    const cases: { name: string; secret: string; data: SecretData; want: string[] }[] = [
      { name: 'the database URL', secret: 'pg', data: { url: 'cG9zdGdyZXM6Ly8y' }, want: ['acme-gateway', 'acme-realtime', 'acme-messaging'] },
      { name: 'the OIDC client secret', secret: 'acme-oidc', data: { clientSecret: 'czI=' }, want: ['acme-gateway'] },
      { name: 'the session key', secret: 'acme-session-key', data: { key: 'azI=' }, want: ['acme-gateway', 'acme-realtime'] },
      { name: 'a key of the OIDC Secret nobody reads', secret: 'acme-oidc', data: { clientSecret: 'czE=', note: 'eA==' }, want: [] },
      { name: 'a Secret nobody reads', secret: 'unrelated', data: { url: 'eA==' }, want: [] },
    ];
    for (const { name, secret, data, want } of cases) assert.deepEqual(changedIn(secret, data), want, name);
  });

  it('annotates every workload that reads a Secret, and leaves the builders’ objects and the others as they were', () => {
    const objects = objectsOf(spec);
    const copy = structuredClone(objects);
    const stamped = withSecretsChecksums(objects, secrets);
    assert.deepEqual(objects, copy, 'the input is not changed');
    assert.deepEqual(kindsAndNames(stamped), kindsAndNames(objects));
    assert.ok(Object.values(before).every((checksum) => checksum !== undefined && /^[0-9a-f]{64}$/.test(checksum)));
    const services = stamped.filter((object) => object.kind === 'Service');
    assert.deepEqual(
      services,
      objects.filter((object) => object.kind === 'Service'),
    );
  });
});

describe('a Secret that pods read and is not there', () => {
  const spec: HearthSpec = { tier: 'single', database: external('pg'), auth: { oidc: { ...oidc, clientSecretRef: { name: 'acme-oidc', key: 'secret' } } } };
  const present = new Map<string, SecretData | undefined>([
    ['pg', { url: 'eA==' }],
    ['acme-oidc', { secret: 'eA==' }],
    ['acme-session-key', { key: 'eA==' }],
    ['acme-nats-credentials', { password: 'eA==' }],
    ['acme-redis-credentials', { password: 'eA==' }],
  ]);
  it('is named with the field of the spec that names it, or as missing a key', () => {
    const cases: { name: string; change: [string, SecretData | undefined][]; want: string }[] = [
      { name: 'all there', change: [], want: '' },
      { name: 'the database Secret', change: [['pg', undefined]], want: 'Secret pg (spec.database.external.secretRef) is missing' },
      {
        name: 'a key the spec names',
        change: [['acme-oidc', { clientSecret: 'eA==' }]],
        want: 'Secret acme-oidc (spec.auth.oidc.clientSecretRef) has no key secret',
      },
      { name: 'a generated one', change: [['acme-session-key', undefined]], want: 'Secret acme-session-key is missing' },
      {
        name: 'two',
        change: [
          ['pg', {}],
          ['acme-redis-credentials', undefined],
        ],
        want: 'Secret pg (spec.database.external.secretRef) has no key url; Secret acme-redis-credentials is missing',
      },
    ];
    for (const { name, change, want } of cases) {
      const secrets = new Map([...present, ...change]);
      const missing = missingSecretKeys(objectsOf(spec), secrets);
      const ordered = [...missing].sort((a, b) => (a.secret === 'pg' ? -1 : b.secret === 'pg' ? 1 : 0));
      assert.equal(describeMissing(ordered, secretReferencesOf(hearthFixture(spec)), secrets), want, name);
    }
  });
});

describe('secretNamesOf', () => {
  it('names what the spec names and every generated Secret, each once', () => {
    const hearth = hearthFixture({ tier: 'single', database: external('pg'), redis: external('pg'), auth: { oidc } });
    assert.deepEqual(secretNamesOf(hearth), [
      'pg',
      'acme-oidc',
      'acme-session-key',
      'acme-postgres-credentials',
      'acme-nats-credentials',
      'acme-redis-credentials',
      'acme-postgres-app',
    ]);
  });
});

describe('isMadeByAnotherOperator', () => {
  it('is CloudNativePG’s app Secret, which appears only once the Cluster is applied', () => {
    const hearth = hearthFixture({ tier: 'clustered' });
    assert.deepEqual(
      secretNamesOf(hearth).filter((name) => isMadeByAnotherOperator(hearth, name)),
      ['acme-postgres-app'],
    );
  });
});
