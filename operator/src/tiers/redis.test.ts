import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredRedis, redisEnv, redisPingProbe, redisSecrets } from './redis.ts';
import { containerOf, envOf, find, hearthFixture, kindsAndNames, podSpecOf } from './testing.ts';

const ctx = defaultTierContext;
const external = { external: { secretRef: { name: 'redis' } } };
const single = (spec: HearthSpec = {}) => hearthFixture({ tier: 'single', ...spec });
const clustered = (spec: HearthSpec = {}) => hearthFixture({ tier: 'clustered', ...spec });
const sentinels =
  'redis-sentinel://:$(REDIS_PASSWORD)@acme-sentinel-0.acme-sentinel:26379,acme-sentinel-1.acme-sentinel:26379,acme-sentinel-2.acme-sentinel:26379/hearth';

describe('desiredRedis', () => {
  it('is one server, Sentinels and their servers, or nothing, as the tier, mode and spec say', () => {
    const standalone = ['NetworkPolicy/acme-redis', 'Service/acme-redis', 'StatefulSet/acme-redis'];
    const cases: { name: string; hearth: ReturnType<typeof single>; want: string[] }[] = [
      { name: 'single', hearth: single(), want: standalone },
      { name: 'clustered, standalone', hearth: clustered({ redis: { mode: 'standalone' } }), want: standalone },
      {
        name: 'clustered: Sentinels by default',
        hearth: clustered(),
        want: [
          'NetworkPolicy/acme-redis',
          'Service/acme-redis-pods',
          'StatefulSet/acme-redis',
          'PodDisruptionBudget/acme-redis',
          'NetworkPolicy/acme-sentinel',
          'Service/acme-sentinel',
          'StatefulSet/acme-sentinel',
          'PodDisruptionBudget/acme-sentinel',
        ],
      },
      { name: 'single, external', hearth: single({ redis: external }), want: [] },
      { name: 'clustered, external', hearth: clustered({ redis: external }), want: [] },
    ];
    for (const { name, hearth, want } of cases) assert.deepEqual(kindsAndNames(desiredRedis(hearth, ctx)), want, name);
  });

  it('runs one server with its password and nothing on disk', () => {
    const set = find(desiredRedis(single(), ctx), 'StatefulSet', 'acme-redis');
    const container = containerOf(set);
    assert.equal(container.image, 'redis:7.0.15');
    assert.deepEqual(container.args, ['--requirepass', '$(REDIS_PASSWORD)', '--save', '', '--appendonly', 'no']);
    assert.deepEqual(envOf(container), {
      REDIS_PASSWORD: 'secret:acme-redis-credentials/password',
      REDISCLI_AUTH: 'secret:acme-redis-credentials/password',
    });
    assert.deepEqual(container.ports, [{ name: 'redis', containerPort: 6379, protocol: 'TCP' }]);
    assert.deepEqual(container.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
    assert.deepEqual(podSpecOf(set).volumes, [{ name: 'data', emptyDir: { sizeLimit: '64Mi' } }]);
    assert.equal(set.spec?.volumeClaimTemplates, undefined);
    assert.equal(podSpecOf(set).securityContext?.runAsUser, 999);
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  it('is alive while it listens, ready once it answers PONG', () => {
    const container = containerOf(find(desiredRedis(single({ redis: { image: 'registry.local/redis:7' } }), ctx), 'StatefulSet', 'acme-redis'));
    assert.equal(container.image, 'registry.local/redis:7');
    assert.deepEqual(container.livenessProbe, { tcpSocket: { port: 'redis' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
    assert.deepEqual(container.readinessProbe, redisPingProbe(6379));
    assert.deepEqual(redisPingProbe(6379), {
      exec: { command: ['sh', '-c', 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'] },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });
});

describe('redisSecrets', () => {
  it('generates the password of a bundled Redis, and none for an external one', () => {
    assert.deepEqual(
      redisSecrets(clustered()).flatMap((secret) => secret.keys.map((key) => [secret.name, key.key, key.bytes, key.encoding])),
      [['acme-redis-credentials', 'password', 24, 'hex']],
    );
    assert.deepEqual(redisSecrets(single({ redis: external })), []);
  });
});

describe('redisEnv', () => {
  it('gives the services the server, the Sentinels or the external URL', () => {
    const cases: { name: string; hearth: ReturnType<typeof single>; want: Record<string, string> }[] = [
      {
        name: 'single',
        hearth: single(),
        want: { REDIS_PASSWORD: 'secret:acme-redis-credentials/password', HEARTH_REDIS_URL: 'redis://:$(REDIS_PASSWORD)@acme-redis:6379' },
      },
      {
        name: 'clustered, standalone',
        hearth: clustered({ redis: { mode: 'standalone' } }),
        want: { REDIS_PASSWORD: 'secret:acme-redis-credentials/password', HEARTH_REDIS_URL: 'redis://:$(REDIS_PASSWORD)@acme-redis:6379' },
      },
      { name: 'clustered', hearth: clustered(), want: { REDIS_PASSWORD: 'secret:acme-redis-credentials/password', HEARTH_REDIS_URL: sentinels } },
      { name: 'external', hearth: clustered({ redis: external }), want: { HEARTH_REDIS_URL: 'secret:redis/url' } },
    ];
    for (const { name, hearth, want } of cases) assert.deepEqual(envOf({ name: 'hearth', env: redisEnv(hearth) }), want, name);
  });
});
