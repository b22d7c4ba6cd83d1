import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredService } from '../tiers/index.ts';
import { appliedHashAnnotation, byKind, firstDifference, isSubset, isUpToDate, withAppliedHash } from './apply.ts';

describe('isSubset', () => {
  const cases: { name: string; desired: unknown; live: unknown; expected: string | undefined }[] = [
    { name: 'equal scalars', desired: 1, live: 1, expected: undefined },
    { name: 'a changed scalar', desired: { spec: { replicas: 2 } }, live: { spec: { replicas: 5 } }, expected: '.spec.replicas' },
    { name: 'fields the server added', desired: { a: 1 }, live: { a: 1, b: 2, status: {} }, expected: undefined },
    { name: 'a missing field', desired: { a: 1, b: 'x' }, live: { a: 1 }, expected: '.b' },
    { name: 'lists item by item', desired: { l: [{ n: 'a' }, { n: 'b' }] }, live: { l: [{ n: 'a', x: 1 }, { n: 'b' }] }, expected: undefined },
    { name: 'a list of another length', desired: { l: [1] }, live: { l: [1, 2] }, expected: '.l' },
    { name: 'a changed list item', desired: { l: [{ n: 'a' }] }, live: { l: [{ n: 'b' }] }, expected: '.l[0].n' },
    { name: 'an empty list the server dropped', desired: { volumes: [] }, live: {}, expected: undefined },
    { name: 'an empty object the server dropped', desired: { resources: {} }, live: {}, expected: undefined },
    { name: 'an undefined field', desired: { a: undefined }, live: {}, expected: undefined },
    { name: 'a string against a number', desired: { port: '80' }, live: { port: 80 }, expected: '.port' },
    // The API server writes quantities back in canonical form.
    {
      name: 'a canonical cpu request',
      desired: { resources: { requests: { cpu: '0.5' } } },
      live: { resources: { requests: { cpu: '500m' } } },
      expected: undefined,
    },
    {
      name: 'a canonical memory limit',
      desired: { resources: { limits: { memory: '1024Mi' } } },
      live: { resources: { limits: { memory: '1Gi' } } },
      expected: undefined,
    },
    { name: 'a number as a quantity', desired: { requests: { storage: 1073741824 } }, live: { requests: { storage: '1Gi' } }, expected: undefined },
    {
      name: 'another amount',
      desired: { resources: { limits: { memory: '1Gi' } } },
      live: { resources: { limits: { memory: '1G' } } },
      expected: '.resources.limits.memory',
    },
    { name: 'quantity-like text elsewhere', desired: { env: { value: '0.5' } }, live: { env: { value: '500m' } }, expected: '.env.value' },
  ];
  for (const { name, desired, live, expected } of cases) {
    it(name, () => {
      assert.equal(firstDifference(desired, live), expected);
      assert.equal(isSubset(desired, live), expected === undefined);
    });
  }
});

describe('isUpToDate', () => {
  const service: DesiredService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'n', labels: { a: 'b' } },
    spec: { ports: [{ port: 80 }] },
  };
  const stamped = withAppliedHash(service);

  it('stamps the hash of the object without it', () => {
    assert.match(stamped.metadata.annotations?.[appliedHashAnnotation] ?? '', /^[0-9a-f]{20}$/);
    assert.equal(service.metadata.annotations, undefined, 'the desired object is not changed');
  });
  it('holds for what the server stored of the same object', () => {
    const live = { ...stamped, metadata: { ...stamped.metadata, uid: 'u', resourceVersion: '7' }, spec: { ...stamped.spec, clusterIP: '10.0.0.1' } };
    assert.equal(isUpToDate(stamped, live), true);
  });
  it('fails when a field we no longer set is still there (the hash differs)', () => {
    const previous = withAppliedHash({ ...service, spec: { ports: [{ port: 80 }], sessionAffinity: 'ClientIP' } });
    assert.equal(isUpToDate(stamped, previous), false);
  });
  it('fails when someone else changed a field we set', () => {
    assert.equal(isUpToDate(stamped, { ...stamped, spec: { ports: [{ port: 81 }] } }), false);
  });
});

describe('byKind', () => {
  it('groups runs of one kind in their order, and keeps a kind that comes back apart', () => {
    const object = (kind: string, name: string): DesiredService => ({ kind, metadata: { name } }) as unknown as DesiredService;
    const objects = [object('NetworkPolicy', 'a'), object('NetworkPolicy', 'b'), object('Service', 'c'), object('Deployment', 'd'), object('Service', 'e')];
    assert.deepEqual(
      byKind(objects).map((wave) => wave.map((item) => `${item.kind}/${item.metadata.name}`)),
      [['NetworkPolicy/a', 'NetworkPolicy/b'], ['Service/c'], ['Deployment/d'], ['Service/e']],
    );
    assert.deepEqual(byKind([]), []);
  });
});
