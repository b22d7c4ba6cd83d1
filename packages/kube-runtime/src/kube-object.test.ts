import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forCache, groupOf, lastAppliedAnnotation, objectKey, ownerKeys, specChanged, splitKey, type KubeObject, type ObjectMeta } from './kube-object.ts';

describe('object keys', () => {
  it('are namespace/name, or the name alone for cluster-scoped objects, and split back', () => {
    const cases: Array<[KubeObject, string]> = [
      [{ metadata: { name: 'a', namespace: 'ns' } }, 'ns/a'],
      [{ metadata: { name: 'node-1' } }, 'node-1'],
      [{ metadata: { name: 'b', namespace: '' } }, 'b'],
    ];
    for (const [object, key] of cases) {
      assert.equal(objectKey(object), key);
      assert.deepEqual(splitKey(key), { namespace: object.metadata?.namespace || undefined, name: object.metadata?.name });
    }
    assert.throws(() => objectKey({ metadata: {} }), /no metadata.name/);
  });

  it('knows the API group of an apiVersion', () => {
    assert.equal(groupOf('v1'), '');
    assert.equal(groupOf('apps/v1'), 'apps');
    assert.equal(groupOf('hearth.dev/v1alpha1'), 'hearth.dev');
  });
});

describe('ownerKeys', () => {
  const owner = { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth' };
  const reference = (kind: string, apiVersion: string, name: string) => ({ kind, apiVersion, name, uid: `uid-${name}` });
  const table: Array<[string, KubeObject, string[]]> = [
    ['no owner references', { metadata: { name: 'x', namespace: 'ns' } }, []],
    ['an owner of the kind', { metadata: { name: 'x', namespace: 'ns', ownerReferences: [reference('Hearth', 'hearth.dev/v1alpha1', 'h')] } }, ['ns/h']],
    [
      'another version of the same group',
      { metadata: { name: 'x', namespace: 'ns', ownerReferences: [reference('Hearth', 'hearth.dev/v1beta1', 'h')] } },
      ['ns/h'],
    ],
    ['the same kind in another group', { metadata: { name: 'x', namespace: 'ns', ownerReferences: [reference('Hearth', 'other.dev/v1', 'h')] } }, []],
    ['another kind', { metadata: { name: 'x', namespace: 'ns', ownerReferences: [reference('StatefulSet', 'apps/v1', 's')] } }, []],
    [
      'two owners, one twice',
      {
        metadata: {
          name: 'x',
          namespace: 'ns',
          ownerReferences: [
            reference('Hearth', 'hearth.dev/v1alpha1', 'a'),
            reference('Hearth', 'hearth.dev/v1alpha1', 'b'),
            reference('Hearth', 'hearth.dev/v1alpha1', 'a'),
          ],
        },
      },
      ['ns/a', 'ns/b'],
    ],
  ];
  for (const [name, object, keys] of table) {
    it(name, () => assert.deepEqual(ownerKeys(object, owner), keys));
  }
});

describe('forCache', () => {
  const spec = { tier: 'single', replicas: 3 };
  const lastApplied = JSON.stringify({ apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'acme' }, spec });
  const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
  const table: Array<[string, KubeObject & { spec?: unknown }, KubeObject & { spec?: unknown }]> = [
    [
      'nothing to trim: the very object',
      { metadata: { name: 'a', annotations: { keep: 'me' } }, spec },
      { metadata: { name: 'a', annotations: { keep: 'me' } }, spec },
    ],
    [
      'managedFields and the last-applied copy go; other annotations stay',
      {
        metadata: { name: 'a', managedFields, annotations: { [lastAppliedAnnotation]: lastApplied, 'hearth.dev/applied-hash': 'h' } } as ObjectMeta,
        spec,
      },
      { metadata: { name: 'a', annotations: { 'hearth.dev/applied-hash': 'h' } }, spec },
    ],
    [
      'annotations left empty are left out, as the API server does',
      { metadata: { name: 'a', annotations: { [lastAppliedAnnotation]: lastApplied } }, spec },
      { metadata: { name: 'a' }, spec },
    ],
    ['no metadata', { kind: 'List' }, { kind: 'List' }],
  ];
  for (const [name, object, expected] of table) it(name, () => assert.deepEqual(forCache(object), expected));

  it('never changes the object it is given', () => {
    const object = { metadata: { name: 'a', annotations: { [lastAppliedAnnotation]: lastApplied } } };
    forCache(object);
    assert.equal(object.metadata.annotations[lastAppliedAnnotation], lastApplied);
  });
});

describe('specChanged', () => {
  const base: KubeObject = {
    metadata: { name: 'a', namespace: 'ns', generation: 1, resourceVersion: '10', labels: { a: '1' }, annotations: { b: '2' }, finalizers: ['x'] },
  };
  const changed = (metadata: Partial<ObjectMeta>, extra: Record<string, unknown> = {}): KubeObject =>
    ({ ...base, ...extra, metadata: { ...base.metadata, resourceVersion: '11', ...metadata } }) as KubeObject;

  it('is false for what a status write changes: the status, the resourceVersion, managedFields; and for finalizers', () => {
    assert.equal(specChanged(base, changed({}, { status: { ready: true } })), false);
    assert.equal(specChanged(base, changed({ managedFields: [{ manager: 'op' }] } as Partial<ObjectMeta>)), false);
    assert.equal(specChanged(base, changed({ finalizers: ['x', 'hearth.dev/cleanup'] })), false);
  });

  it('is true for a new generation, labels, annotations or a deletion', () => {
    assert.equal(specChanged(base, changed({ generation: 2 })), true);
    assert.equal(specChanged(base, changed({ labels: { a: '2' } })), true);
    assert.equal(specChanged(base, changed({ annotations: {} })), true);
    assert.equal(specChanged(base, changed({ deletionTimestamp: '2026-12-05T00:00:00Z' })), true);
  });
});
