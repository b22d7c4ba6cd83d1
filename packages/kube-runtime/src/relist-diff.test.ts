import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './kube-object.ts';
import { diffRelist } from './relist-diff.ts';

/** An object `namespace/name` at `version`. */
const at = (key: string, version: string): KubeObject => {
  const [namespace = '', name = ''] = key.split('/');
  return { metadata: { namespace, name, resourceVersion: version } };
};
const cacheOf = (objects: KubeObject[]): Map<string, KubeObject> =>
  new Map(objects.map((object) => [`${object.metadata?.namespace}/${object.metadata?.name}`, object]));
const label = (object: KubeObject): string => `${object.metadata?.namespace}/${object.metadata?.name}@${object.metadata?.resourceVersion}`;

describe('diffRelist', () => {
  const cases: { name: string; cached: KubeObject[]; listed: KubeObject[]; added: string[]; updated: string[]; deleted: string[] }[] = [
    { name: 'the first list: all added', cached: [], listed: [at('a/x', '1'), at('a/y', '2')], added: ['a/x@1', 'a/y@2'], updated: [], deleted: [] },
    { name: 'nothing changed: nothing to say', cached: [at('a/x', '1')], listed: [at('a/x', '1')], added: [], updated: [], deleted: [] },
    { name: 'a new version: updated, old then new', cached: [at('a/x', '1')], listed: [at('a/x', '5')], added: [], updated: ['a/x@1→a/x@5'], deleted: [] },
    {
      name: 'gone from the list: deleted as last cached',
      cached: [at('a/x', '1'), at('a/y', '2')],
      listed: [at('a/y', '2')],
      added: [],
      updated: [],
      deleted: ['a/x@1'],
    },
    { name: 'an empty list: everything deleted', cached: [at('a/x', '1')], listed: [], added: [], updated: [], deleted: ['a/x@1'] },
    {
      name: 'all three at once',
      cached: [at('a/keep', '1'), at('a/moved', '2'), at('a/gone', '3')],
      listed: [at('a/moved', '9'), at('a/new', '10'), at('a/keep', '1')],
      added: ['a/new@10'],
      updated: ['a/moved@2→a/moved@9'],
      deleted: ['a/gone@3'],
    },
    {
      name: 'the same name in two namespaces: two objects',
      cached: [at('a/x', '1')],
      listed: [at('a/x', '1'), at('b/x', '1')],
      added: ['b/x@1'],
      updated: [],
      deleted: [],
    },
  ];
  for (const { name, cached, listed, added, updated, deleted } of cases) {
    it(name, () => {
      const diff = diffRelist(cacheOf(cached), listed);
      assert.deepEqual(diff.added.map(label), added);
      assert.deepEqual(
        diff.updated.map(([old, object]) => `${label(old)}→${label(object)}`),
        updated,
      );
      assert.deepEqual(diff.deleted.map(label), deleted);
      assert.deepEqual([...diff.cache.values()], listed, 'the new cache holds what was listed');
    });
  }

  it('leaves the cache it was given alone', () => {
    const cached = cacheOf([at('a/x', '1')]);
    diffRelist(cached, []);
    assert.equal(cached.size, 1);
  });
});
