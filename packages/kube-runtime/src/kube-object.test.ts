import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupOf, objectKey, ownerKeys, splitKey, type KubeObject } from './kube-object.ts';

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
