import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredRedisSentinel, isSentinelMode, sentinelCount, sentinelMasterName, sentinelQuorum, sentinelUrl } from './redis-sentinel.ts';
import { containerOf, envOf, find, hearthFixture, podSpecOf } from './testing.ts';

const ctx = defaultTierContext;
const objects = desiredRedisSentinel(hearthFixture({ tier: 'clustered' }), ctx);
const sentinelHosts = ['acme-sentinel-0.acme-sentinel', 'acme-sentinel-1.acme-sentinel', 'acme-sentinel-2.acme-sentinel'];

describe('isSentinelMode', () => {
  it('is the clustered tier’s bundled Redis, unless it asks for one server', () => {
    const cases: { spec: HearthSpec; want: boolean }[] = [
      { spec: { tier: 'clustered' }, want: true },
      { spec: { tier: 'clustered', redis: { mode: 'sentinel' } }, want: true },
      { spec: { tier: 'clustered', redis: { mode: 'standalone' } }, want: false },
      { spec: { tier: 'clustered', redis: { external: { secretRef: { name: 'redis' } } } }, want: false },
      { spec: { tier: 'single' }, want: false },
      { spec: { tier: 'single', redis: { mode: 'sentinel' } }, want: false },
      { spec: { tier: 'embedded' }, want: false },
    ];
    for (const { spec, want } of cases) assert.equal(isSentinelMode(hearthFixture(spec)), want, JSON.stringify(spec));
  });
});

describe('sentinelUrl', () => {
  it('names each Sentinel by its stable DNS name, and the master', () => {
    assert.equal(
      sentinelUrl(hearthFixture({ tier: 'clustered' }, { name: 'globex' }), 'pw'),
      `redis-sentinel://:pw@${[0, 1, 2].map((i) => `globex-sentinel-${i}.globex-sentinel:26379`).join(',')}/hearth`,
    );
    assert.equal(sentinelMasterName, 'hearth');
  });
});

describe('desiredRedisSentinel', () => {
  it('runs a master and a replica, and three Sentinels agreeing by two', () => {
    assert.deepEqual(
      [find(objects, 'StatefulSet', 'acme-redis').spec?.replicas, find(objects, 'StatefulSet', 'acme-sentinel').spec?.replicas],
      [2, sentinelCount],
    );
    assert.deepEqual([sentinelCount, sentinelQuorum], [3, 2]);
    assert.deepEqual(
      ['acme-redis', 'acme-sentinel'].map((name) => find(objects, 'StatefulSet', name).spec?.serviceName),
      ['acme-redis-pods', 'acme-sentinel'],
    );
  });

  it('gives each pod its own DNS name, the first master and the Sentinels to ask', () => {
    const cases: { name: string; want: Record<string, string> }[] = [
      {
        name: 'acme-redis',
        want: {
          POD_NAME: 'field:metadata.name',
          ME: '$(POD_NAME).acme-redis-pods',
          FIRST_MASTER: 'acme-redis-0.acme-redis-pods',
          SENTINELS: sentinelHosts.join(' '),
          REDIS_PASSWORD: 'secret:acme-redis-credentials/password',
          REDISCLI_AUTH: 'secret:acme-redis-credentials/password',
        },
      },
      {
        // A Sentinel takes no password: REDISCLI_AUTH would make its ping fail.
        name: 'acme-sentinel',
        want: {
          POD_NAME: 'field:metadata.name',
          ME: '$(POD_NAME).acme-sentinel',
          FIRST_MASTER: 'acme-redis-0.acme-redis-pods',
          SENTINELS: sentinelHosts.join(' '),
          REDIS_PASSWORD: 'secret:acme-redis-credentials/password',
        },
      },
    ];
    for (const { name, want } of cases) assert.deepEqual(envOf(containerOf(find(objects, 'StatefulSet', name))), want, name);
  });

  it('starts each from a script that asks the Sentinels for the master', () => {
    const cases: { name: string; has: RegExp[] }[] = [
      { name: 'acme-redis', has: [/--replica-announce-ip "\$ME"/, /--replicaof "\$master" 6379/, /--masterauth "\$REDIS_PASSWORD"/] },
      { name: 'acme-sentinel', has: [/sentinel monitor hearth \$master 6379 2/, /sentinel announce-hostnames yes/, /port 26379/, /--sentinel$/] },
    ];
    for (const { name, has } of cases) {
      const [shell, flag, script = ''] = containerOf(find(objects, 'StatefulSet', name)).command ?? [];
      assert.deepEqual([shell, flag], ['sh', '-c'], name);
      assert.match(script, /get-master-addr-by-name hearth/, name);
      for (const pattern of has) assert.match(script, pattern, name);
    }
  });

  it('opens the ports, probes and scratch volumes each needs', () => {
    const cases: { name: string; port: [string, number]; mount: string; sizeLimit: string; ready: string }[] = [
      { name: 'acme-redis', port: ['redis', 6379], mount: '/data', sizeLimit: '64Mi', ready: 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG' },
      { name: 'acme-sentinel', port: ['sentinel', 26379], mount: '/sentinel', sizeLimit: '1Mi', ready: 'redis-cli -h 127.0.0.1 -p 26379 ping | grep -q PONG' },
    ];
    for (const { name, port, mount, sizeLimit, ready } of cases) {
      const set = find(objects, 'StatefulSet', name);
      const container = containerOf(set);
      assert.deepEqual(container.ports, [{ name: port[0], containerPort: port[1], protocol: 'TCP' }], name);
      assert.equal(container.livenessProbe?.tcpSocket?.port, port[0], name);
      assert.deepEqual(container.readinessProbe?.exec?.command, ['sh', '-c', ready], name);
      assert.equal(container.volumeMounts?.[0]?.mountPath, mount, name);
      assert.deepEqual(
        podSpecOf(set).volumes?.map((volume) => volume.emptyDir?.sizeLimit),
        [sizeLimit],
        name,
      );
      assert.equal(container.image, 'redis:7.0.15', name);
      assert.equal(podSpecOf(set).securityContext?.runAsUser, 999, name);
    }
  });

  it('lets the services and the Sentinels reach Redis, and each set its own peers', () => {
    const ingress = (name: string) =>
      find(objects, 'NetworkPolicy', name).spec.ingress?.map((rule) => [
        rule.from?.[0]?.podSelector?.matchExpressions?.[0]?.values,
        rule.ports?.map((p) => p.port),
      ]);
    assert.deepEqual(ingress('acme-redis'), [
      [['gateway', 'realtime', 'messaging', 'sentinel'], [6379]],
      [['redis'], [6379]],
    ]);
    assert.deepEqual(ingress('acme-sentinel'), [
      [['gateway', 'realtime', 'messaging'], [26379]],
      [['sentinel'], [26379]],
    ]);
  });
});
