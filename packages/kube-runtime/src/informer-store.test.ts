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
