import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hearth, HearthSpec, HearthStatus } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredObjects, servingTier, type DesiredResult, type DesiredTier } from './desired-objects.ts';
import type { DesiredObject } from './desired-object.ts';
import { find, hearthFixture, kindsAndNames } from './testing.ts';
import { databaseNotAvailable } from './errors.ts';

const ctx = defaultTierContext;

function built(result: DesiredResult): DesiredTier {
  if (!result.ok) throw new Error(`expected objects, got ${result.error.code}: ${result.error.message}`);
  return result;
}

/** Whom the Service named after the Hearth selects, and the Service the Ingress sends to. */
function reachedBy(objects: readonly DesiredObject[]): [string | undefined, string | undefined] {
  const selector = find(objects, 'Service', 'acme').spec?.selector;
  const path = find(objects, 'Ingress', 'acme').spec?.rules?.[0]?.http?.paths[0];
  return [selector?.['app.kubernetes.io/component'], path?.backend.service?.name];
}

describe('desiredObjects', () => {
  it('switches on the tier', () => {
    const cases: { name: string; hearth: Hearth; want: Partial<DesiredTier> & { kinds: Record<string, number> } }[] = [
      {
        name: 'embedded with ingress',
        hearth: hearthFixture({ tier: 'embedded', ingress: { host: 'chat.acme.example' } }),
        want: { servingTier: 'embedded', url: 'http://chat.acme.example', kinds: { Service: 1, StatefulSet: 1, Ingress: 1 } },
      },
      {
        name: 'single with ingress',
        hearth: hearthFixture({ tier: 'single', ingress: { host: 'chat.globex.example' } }),
        want: {
          servingTier: 'single',
          url: 'http://chat.globex.example',
          kinds: { NetworkPolicy: 3, Service: 5, StatefulSet: 3, Deployment: 3, Ingress: 1 },
        },
      },
    ];
    for (const { name, hearth, want } of cases) {
      const result = built(desiredObjects(hearth, ctx));
      const kinds: Record<string, number> = {};
      for (const object of result.objects) kinds[object.kind] = (kinds[object.kind] ?? 0) + 1;
      assert.deepEqual(kinds, want.kinds, name);
      assert.equal(result.servingTier, want.servingTier, name);
      assert.equal(result.url, want.url, name);
      assert.equal(result.image, 'ghcr.io/hearth/hearth:0.1.0', name);
    }
  });

  it('refuses what it cannot build, as a value', () => {
    const noUid = hearthFixture({});
    delete noUid.metadata.uid;
    const noNamespace = hearthFixture({});
    delete noNamespace.metadata.namespace;
    const cases = [
      { name: 'clustered without CloudNativePG or an external database', hearth: hearthFixture({ tier: 'clustered' }), code: 'DatabaseNotAvailable' },
      { name: 'no uid', hearth: noUid, code: 'InvalidResource' },
      { name: 'no namespace', hearth: noNamespace, code: 'InvalidResource' },
    ];
    for (const { name, hearth, code } of cases) {
      const result = desiredObjects(hearth, ctx);
      assert.equal(result.ok, false, name);
      if (!result.ok) assert.equal(result.error.code, code, name);
    }
  });

  it('gives every object the namespace, the owner reference and the labels of the Hearth', () => {
    const spec: HearthSpec = { tier: 'single', ingress: { host: 'h.example' }, services: { gateway: { autoscaling: { maxReplicas: 3 } } } };
    for (const hearth of [hearthFixture({ ingress: { host: 'h.example' } }), hearthFixture(spec)]) {
      const { objects } = built(desiredObjects(hearth, ctx));
      for (const object of objects) {
        const at = `${object.kind}/${object.metadata.name}`;
        assert.equal(object.metadata.namespace, 'chat', at);
        assert.deepEqual(
          object.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.uid, owner.controller]),
          [['Hearth', 'acme', hearth.metadata.uid, true]],
          at,
        );
        assert.equal(object.metadata.labels['app.kubernetes.io/instance'], 'acme', at);
        assert.equal(object.metadata.labels['app.kubernetes.io/managed-by'], 'hearth-operator', at);
      }
      assert.equal(new Set(kindsAndNames(objects)).size, objects.length, 'no object twice');
    }
  });

  it('orders objects for applying: policies, Services, workloads, autoscalers, Ingress', () => {
    const hearth = hearthFixture({ tier: 'single', ingress: { host: 'h.example' }, services: { realtime: { autoscaling: { maxReplicas: 3 } } } });
    const kinds = built(desiredObjects(hearth, ctx)).objects.map((object) => object.kind);
    const order = ['NetworkPolicy', 'Service', 'StatefulSet', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress'];
    assert.deepEqual(
      kinds,
      [...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    );
  });

  it('keeps the embedded tier serving when spec.tier moves up to single', () => {
    const hearth = hearthFixture({ tier: 'single', ingress: { host: 'chat.acme.example' } }, {}, { tier: 'embedded' });
    const result = built(desiredObjects(hearth, ctx));
    assert.equal(result.tier, 'single');
    assert.equal(result.servingTier, 'embedded');
    assert.equal(result.url, 'http://chat.acme.example');
    const names = kindsAndNames(result.objects);
    for (const name of ['StatefulSet/acme', 'Service/acme', 'StatefulSet/acme-postgres']) assert.ok(names.includes(name), name);
    assert.ok(!names.includes('Deployment/acme-gateway'), 'the services wait for the switch');
    assert.deepEqual(
      names.filter((name) => name.startsWith('Ingress/')),
      ['Ingress/acme'],
    );
    const ingress = find(result.objects, 'Ingress', 'acme');
    assert.deepEqual(
      ingress.spec?.rules?.[0]?.http?.paths.map((path) => path.backend.service?.name),
      ['acme'],
    );
    assert.deepEqual(
      result.workloads.map((ref) => `${ref.tier}:${ref.kind}/${ref.name}`),
      ['embedded:StatefulSet/acme', 'single:StatefulSet/acme-postgres', 'single:StatefulSet/acme-nats', 'single:StatefulSet/acme-redis'],
    );
    assert.deepEqual(
      result.secrets.map((secret) => secret.name),
      ['acme-session-key', 'acme-postgres-credentials', 'acme-nats-credentials', 'acme-redis-credentials'],
    );
  });

  it('the serving tier: the status tier while it is below the spec tier', () => {
    const cases = [
      { spec: 'embedded' as const, status: undefined, want: 'embedded' },
      { spec: 'single' as const, status: undefined, want: 'single' },
      { spec: 'single' as const, status: 'embedded' as const, want: 'embedded' },
      { spec: 'single' as const, status: 'single' as const, want: 'single' },
      { spec: 'clustered' as const, status: 'single' as const, want: 'single' },
    ];
    for (const { spec, status, want } of cases) {
      assert.equal(servingTier(hearthFixture({ tier: spec }, {}, status === undefined ? undefined : { tier: status })), want, `${spec} over ${status}`);
    }
  });

  it('refuses a spec.version older than the newest release served, even by way of a tag that is none', () => {
    const cases: { name: string; version: string; status: HearthStatus; refused: boolean }[] = [
      { name: 'an upgrade', version: '0.3.0', status: { version: '0.2.0', newestVersion: '0.2.0' }, refused: false },
      { name: 'the same release', version: 'v0.2', status: { version: '0.2.0' }, refused: false },
      { name: 'back past a tag that is none', version: '0.1.0', status: { version: 'nightly', newestVersion: '0.3.0' }, refused: true },
      { name: 'below what serves (an earlier release’s status)', version: '0.1.0', status: { version: '0.2.0' }, refused: true },
      { name: 'to a tag that is none', version: 'nightly', status: { version: '0.3.0', newestVersion: '0.3.0' }, refused: false },
      { name: 'nothing served yet', version: '0.1.0', status: {}, refused: false },
    ];
    for (const { name, version, status, refused } of cases) {
      const result = desiredObjects(hearthFixture({ version }, {}, status), ctx);
      assert.equal(!result.ok, refused, name);
      if (!result.ok) {
        assert.equal(result.error.code, 'InvalidResource', name);
        assert.match(result.error.message, /^spec\.version 0\.1\.0 is older than 0\.[23]\.0, the newest release this Hearth has served/, name);
      }
    }
  });

  it('single → clustered without CloudNativePG: the single tier alone, and no backends to wait for', () => {
    const result = built(desiredObjects(hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' }), ctx));
    assert.equal(result.servingTier, 'single');
    assert.ok(result.workloads.every((ref) => ref.tier === 'single'));
    assert.deepEqual(result.migrationBackends, { buildable: false, missing: databaseNotAvailable() });
  });

  it('single → clustered before the switch: only the clustered PostgreSQL comes up beside the single tier', () => {
    const single = built(desiredObjects(hearthFixture({ tier: 'single' }), ctx));
    const result = built(desiredObjects(hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' }), { ...ctx, cloudNativePG: true }));
    assert.deepEqual(result.migration, { kind: 'copying', move: { from: 'single', to: 'clustered' }, startServices: false });
    assert.deepEqual(
      kindsAndNames(result.objects).filter((name) => !kindsAndNames(single.objects).includes(name)),
      ['Cluster/acme-postgres'],
      'NATS, Redis and the services keep their single-tier shape until the switch',
    );
    assert.deepEqual(result.migrationBackends, { buildable: true, workloads: [{ kind: 'Cluster', name: 'acme-postgres', tier: 'clustered' }] });
    assert.deepEqual(result.migrationServices, [], 'the services keep their names: updated in place at the switch, nothing to start before it');
    assert.equal(find(result.objects, 'StatefulSet', 'acme-nats').spec?.replicas, 1);
    assert.equal(result.url, single.url);
  });

  it('embedded → single before the switch: the embedded tier serves, the single tier’s backends beside it, not its services', () => {
    const result = built(desiredObjects(hearthFixture({ tier: 'single', ingress: { host: 'chat.acme.example' } }, {}, { tier: 'embedded' }), ctx));
    assert.equal(result.servingTier, 'embedded');
    assert.deepEqual(kindsAndNames(result.objects).sort(), [
      'Ingress/acme',
      'NetworkPolicy/acme-nats',
      'NetworkPolicy/acme-postgres',
      'NetworkPolicy/acme-redis',
      'Service/acme',
      'Service/acme-nats',
      'Service/acme-postgres',
      'Service/acme-redis',
      'StatefulSet/acme',
      'StatefulSet/acme-nats',
      'StatefulSet/acme-postgres',
      'StatefulSet/acme-redis',
    ]);
    assert.deepEqual(result.migrationBackends.buildable ? result.migrationBackends.workloads.map((ref) => ref.name) : result.migrationBackends.missing, [
      'acme-postgres',
      'acme-nats',
      'acme-redis',
    ]);
    assert.deepEqual(
      result.migrationServices,
      ['acme-gateway', 'acme-realtime', 'acme-messaging'].map((name) => ({ kind: 'Deployment', name, tier: 'single' })),
      'listed, not built before the copy is done',
    );
    assert.equal(
      find(result.objects, 'Ingress', 'acme').spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name,
      'acme',
      'the Ingress stays the embedded tier’s',
    );
  });

  it('embedded → single once the copy is done (StartingServices): the single tier’s services beside the embedded tier, which still serves', () => {
    const migration = { from: 'embedded' as const, to: 'single' as const, startedAt: '2026-01-02T15:04:05Z' };
    const spec = { tier: 'single' as const, ingress: { host: 'chat.acme.example' } };
    const copying = built(desiredObjects(hearthFixture(spec, {}, { tier: 'embedded', migration: { ...migration, stage: 'Verifying' } }), ctx));
    const starting = built(desiredObjects(hearthFixture(spec, {}, { tier: 'embedded', migration: { ...migration, stage: 'StartingServices' } }), ctx));
    assert.deepEqual(starting.migration, { kind: 'copying', move: { from: 'embedded', to: 'single' }, startServices: true });
    assert.equal(starting.servingTier, 'embedded');
    const added = kindsAndNames(starting.objects).filter((name) => !kindsAndNames(copying.objects).includes(name));
    for (const name of ['Deployment/acme-gateway', 'Deployment/acme-realtime', 'Deployment/acme-messaging', 'Service/acme-gateway', 'Service/acme-realtime'])
      assert.ok(added.includes(name), `${name} in ${added.join(', ')}`);
    assert.ok(
      added.every((name) => !name.startsWith('Ingress/') && name !== 'Service/acme'),
      'the Ingress and the Service named after the Hearth move only at the switch',
    );
    assert.deepEqual(reachedBy(starting.objects), ['all', 'acme'], 'the embedded pod serves');
    assert.deepEqual(
      starting.workloads.filter((ref) => ref.kind === 'Deployment'),
      starting.migrationServices,
      'their readiness is watched, as the new tier’s',
    );
    // The switch builds the same Deployments: they are not rolled again when the Service moves to them.
    const switching = built(
      desiredObjects(hearthFixture(spec, {}, { tier: 'embedded', migration: { ...migration, stage: 'Switching' } }), ctx, { addressService: true }),
    );
    for (const name of ['acme-gateway', 'acme-realtime', 'acme-messaging'])
      assert.deepEqual(find(starting.objects, 'Deployment', name), find(switching.objects, 'Deployment', name), name);
  });

  it('embedded → single after the switch: the single tier serves, the Service named after the Hearth reaches the gateway, the embedded StatefulSet stays until scaled down', () => {
    const migration = { from: 'embedded' as const, to: 'single' as const, startedAt: '2026-01-02T15:04:05Z' };
    const switching = hearthFixture({ tier: 'single' }, {}, { tier: 'embedded', migration: { ...migration, stage: 'Switching' } });
    const result = built(desiredObjects(switching, ctx, { addressService: true }));
    assert.equal(result.servingTier, 'single');
    assert.deepEqual(find(result.objects, 'Service', 'acme').spec?.selector?.['app.kubernetes.io/component'], 'gateway');
    assert.equal(find(result.objects, 'StatefulSet', 'acme').spec?.replicas, 1);
    assert.deepEqual(result.oldStatefulSets, ['acme']);
    const scalingDown = hearthFixture({ tier: 'single' }, {}, { tier: 'single', migration: { ...migration, stage: 'ScalingDown' } });
    assert.equal(find(built(desiredObjects(scalingDown, ctx, { addressService: true })).objects, 'StatefulSet', 'acme').spec?.replicas, 0);
    const done = built(
      desiredObjects(hearthFixture({ tier: 'single' }, {}, { tier: 'single', migration: { ...migration, stage: 'Succeeded' } }), ctx, { addressService: true }),
    );
    assert.ok(!kindsAndNames(done.objects).includes('StatefulSet/acme'), 'pruned once the migration succeeded');
    assert.deepEqual(done.oldStatefulSets, ['acme'], 'its claim is the old data');
    assert.ok(kindsAndNames(done.objects).includes('Service/acme'));
  });

  it('single → clustered after the switch: the clustered tier, and the single tier’s PostgreSQL StatefulSet alone besides', () => {
    const status = {
      tier: 'clustered' as const,
      migration: { from: 'single' as const, to: 'clustered' as const, stage: 'ScalingDown' as const, startedAt: 't' },
    };
    const result = built(desiredObjects(hearthFixture({ tier: 'clustered' }, {}, status), { ...ctx, cloudNativePG: true }));
    assert.deepEqual(result.oldStatefulSets, ['acme-postgres']);
    assert.equal(find(result.objects, 'StatefulSet', 'acme-postgres').spec?.replicas, 0);
    assert.equal(find(result.objects, 'StatefulSet', 'acme-nats').spec?.replicas, 3, 'NATS reshaped as a cluster');
    assert.equal(kindsAndNames(result.objects).filter((name) => name === 'Deployment/acme-gateway').length, 1, 'one Deployment of a name');
  });

  it('refuses a replica count above the operator’s limit, naming every field', () => {
    const hearth = hearthFixture({
      tier: 'single',
      services: { gateway: { replicas: 30, autoscaling: { maxReplicas: 40 } }, realtime: { replicas: 20 } },
      nats: { replicas: 21 },
    });
    const result = desiredObjects(hearth, { ...ctx, maxReplicas: 20 });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.code, 'InvalidResource');
      assert.equal(
        result.error.message,
        'spec.services.gateway.replicas is 30, spec.services.gateway.autoscaling.maxReplicas is 40, spec.nats.replicas is 21: this operator allows at most 20 (HEARTH_OPERATOR_MAX_REPLICAS)',
      );
    }
    assert.equal(desiredObjects(hearth, ctx).ok, true, 'within the default of 100');
  });

  it('uses the operator defaults when the spec leaves the image and version out', () => {
    const hearth = hearthFixture({});
    delete hearth.spec.version;
    delete hearth.spec.image;
    const result = built(desiredObjects(hearth, { ...ctx, image: 'mirror.local/hearth', version: '9.9.9' }));
    assert.deepEqual([result.image, result.version], ['mirror.local/hearth:9.9.9', '9.9.9']);
  });
});
