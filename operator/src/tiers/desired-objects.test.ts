import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hearth, HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredObjects, servingTier, type DesiredResult, type DesiredTier } from './desired-objects.ts';
import { find, hearthFixture, kindsAndNames } from './testing.ts';

const ctx = defaultTierContext;

function built(result: DesiredResult): DesiredTier {
  if (!result.ok) throw new Error(`expected objects, got ${result.error.code}: ${result.error.message}`);
  return result;
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
    for (const name of ['StatefulSet/acme', 'Service/acme', 'Deployment/acme-gateway', 'StatefulSet/acme-postgres']) assert.ok(names.includes(name), name);
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
      [
        'embedded:StatefulSet/acme',
        'single:StatefulSet/acme-postgres',
        'single:StatefulSet/acme-nats',
        'single:StatefulSet/acme-redis',
        'single:Deployment/acme-gateway',
        'single:Deployment/acme-realtime',
        'single:Deployment/acme-messaging',
      ],
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

  it('a tier the cluster cannot run yet over one that serves: the serving tier alone, and why', () => {
    const result = built(desiredObjects(hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' }), ctx));
    assert.equal(result.servingTier, 'single');
    assert.ok(result.workloads.every((ref) => ref.tier === 'single'));
    assert.equal(result.migrationBlocked?.reason, 'DataCopyNotAvailable');
    const withCnpg = built(desiredObjects(hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' }), { ...ctx, cloudNativePG: true }));
    assert.ok(
      withCnpg.workloads.some((ref) => ref.tier === 'clustered' && ref.kind === 'Cluster'),
      'the clustered objects wait beside the serving tier',
    );
    assert.equal(withCnpg.url, built(desiredObjects(hearthFixture({ tier: 'single' }), ctx)).url);
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
