import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataClaimName, objectNames, ownerReference } from './names.ts';
import { hearthFixture } from './testing.ts';

describe('names', () => {
  it('derives every object name from the Hearth name', () => {
    assert.deepEqual(objectNames('acme'), {
      embedded: 'acme',
      ingress: 'acme',
      services: { gateway: 'acme-gateway', realtime: 'acme-realtime', messaging: 'acme-messaging' },
      backends: { postgres: 'acme-postgres', nats: 'acme-nats', redis: 'acme-redis' },
      natsRoutes: 'acme-nats-routes',
      redisPods: 'acme-redis-pods',
      sentinel: 'acme-sentinel',
      postgresApp: 'acme-postgres-app',
      postgresPrimary: 'acme-postgres-rw',
      sessionKey: 'acme-session-key',
      postgresCredentials: 'acme-postgres-credentials',
      redisCredentials: 'acme-redis-credentials',
      natsCredentials: 'acme-nats-credentials',
    });
  });

  it('the longest Hearth name the CRD allows still gives valid names', () => {
    const names = objectNames('a'.repeat(40));
    const all = Object.values(names).flatMap((value: string | Record<string, string>) => (typeof value === 'string' ? [value] : Object.values(value)));
    assert.ok(all.length >= 17, `${all.length} names`);
    for (const name of all) assert.ok(name.length <= 63, `${name} is a DNS label`);
    // A StatefulSet's pods carry `controller-revision-hash: <name>-<10 characters>`, a label value.
    for (const set of [names.embedded, names.sentinel, ...Object.values(names.backends)]) assert.ok(`${set}-0123456789`.length <= 63, set);
  });

  it('claim names follow the StatefulSet convention', () => {
    const cases = [
      { set: 'acme', ordinal: undefined, want: 'data-acme-0' },
      { set: 'acme-postgres', ordinal: 2, want: 'data-acme-postgres-2' },
    ];
    for (const { set, ordinal, want } of cases) assert.equal(dataClaimName(set, ordinal), want);
  });

  it('the owner reference makes the Hearth the controller', () => {
    assert.deepEqual(ownerReference(hearthFixture({}, { name: 'acme', uid: 'u-1' })), {
      apiVersion: 'hearth.dev/v1alpha1',
      kind: 'Hearth',
      name: 'acme',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it('an owner reference needs a uid', () => {
    const hearth = hearthFixture({});
    delete hearth.metadata.uid;
    assert.throws(() => ownerReference(hearth), /uid/);
  });
});
