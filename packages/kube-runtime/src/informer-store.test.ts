import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInformerStore } from './informer-store.ts';
import type { KubeObject } from './kube-object.ts';

const object = (namespace: string | undefined, name: string, resourceVersion = '1'): KubeObject => ({
  metadata: { ...(namespace === undefined ? {} : { namespace }), name, resourceVersion },
});
const names = (objects: readonly KubeObject[]): string[] => objects.map((o) => o.metadata?.name ?? '').sort();

describe('InformerStore.listIn', () => {
  it('holds what list() holds, by namespace, through a relist, updates and deletions', () => {
    const store = createInformerStore((error) => {
      throw error;
    });
    store.replace([object('a', 'one'), object('a', 'two'), object('b', 'three'), object(undefined, 'cluster-wide')]);
    assert.deepEqual(names(store.listIn('a')), ['one', 'two']);
    assert.deepEqual(names(store.listIn('b')), ['three']);
    assert.deepEqual(names(store.listIn('')), ['cluster-wide']);
    assert.deepEqual(store.listIn('c'), []);

    store.upsert(object('a', 'one', '2'));
    store.upsert(object('c', 'four'));
    store.remove(object('b', 'three'));
    assert.equal(store.listIn('a').find((o) => o.metadata?.name === 'one')?.metadata?.resourceVersion, '2', 'the update replaces the object');
    assert.deepEqual(names(store.listIn('b')), []);
    assert.deepEqual(names(store.listIn('c')), ['four']);

    store.replace([object('b', 'five')]);
    assert.deepEqual(names(store.listIn('a')), [], 'a relist drops what it no longer lists');
    assert.deepEqual(names(store.listIn('b')), ['five']);
    for (const namespace of ['a', 'b', 'c', '']) {
      assert.deepEqual(names(store.listIn(namespace)), names(store.list().filter((o) => (o.metadata?.namespace ?? '') === namespace)));
    }
  });
});

describe('InformerStore.listIn with an index label', () => {
  const labelled = (namespace: string, name: string, instance: string | undefined, resourceVersion = '1'): KubeObject => ({
    ...object(namespace, name, resourceVersion),
    metadata: { ...object(namespace, name, resourceVersion).metadata, ...(instance === undefined ? {} : { labels: { instance } }) },
  });

  it("holds each namespace's objects by the label's value, through a relist, a relabelling update and deletions", () => {
    const store = createInformerStore((error) => {
      throw error;
    }, 'instance');
    store.replace([
      labelled('a', 'x-1', 'x'),
      labelled('a', 'x-2', 'x'),
      labelled('a', 'y-1', 'y'),
      labelled('b', 'x-3', 'x'),
      labelled('a', 'bare', undefined),
    ]);
    assert.deepEqual(names(store.listIn('a', 'x')), ['x-1', 'x-2']);
    assert.deepEqual(names(store.listIn('b', 'x')), ['x-3'], 'the same value in another namespace is another group');
    assert.deepEqual(names(store.listIn('a', '')), ['bare'], 'an object without the label is under the empty value');
    assert.deepEqual(names(store.listIn('a')), ['bare', 'x-1', 'x-2', 'y-1'], 'without a value, the whole namespace');

    store.upsert(labelled('a', 'x-2', 'y', '2'));
    store.remove(labelled('a', 'x-1', 'x'));
    assert.deepEqual(names(store.listIn('a', 'x')), [], 'relabelled away and deleted');
    assert.deepEqual(names(store.listIn('a', 'y')), ['x-2', 'y-1']);

    store.replace([labelled('a', 'y-1', 'y')]);
    assert.deepEqual(names(store.listIn('a', 'y')), ['y-1'], 'a relist drops what it no longer lists');
  });

  it('refuses a value when the store has no index label', () => {
    const store = createInformerStore((error) => {
      throw error;
    });
    assert.throws(() => store.listIn('a', 'x'), /no index label/);
  });
});
