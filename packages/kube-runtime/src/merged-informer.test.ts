import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createInformer, type Informer, type InformerStats } from './informer.ts';
import type { KubeObject } from './kube-object.ts';
import { createMergedInformer } from './merged-informer.ts';
import { eventually, kubeConfigOf } from './testing.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

describe('merged informer against a real kube-apiserver', () => {
  let kube: ControlPlane;
  let core: CoreV1Api;

  before(async () => {
    kube = await startControlPlane();
    core = kubeConfigOf(kube).makeApiClient(CoreV1Api);
    for (const name of ['merged-a', 'merged-b', 'merged-c']) await core.createNamespace({ body: { metadata: { name } } });
  });
  after(async () => {
    await kube?.stop();
  });

  const configMap = (namespace: string, name: string, v: string): Promise<unknown> =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace, labels: { app: 'merged-test' } }, data: { v } } });
  const update = (namespace: string, name: string, v: string): Promise<unknown> =>
    core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: '/data', value: { v } }] });
  const part = (namespace: string, plural = 'configmaps'): Informer<ConfigMap> =>
    createInformer<ConfigMap>({ kubeConfig: kubeConfigOf(kube), resource: { group: '', version: 'v1', plural, namespace }, labelSelector: 'app=merged-test' });

  it('hears both namespaces and only them: lists, handlers, get by key, versions and stats of its parts', async () => {
    await configMap('merged-a', 'one', '1');
    await configMap('merged-b', 'two', '1');
    await configMap('merged-c', 'three', '1');
    const parts = [part('merged-a'), part('merged-b')];
    const merged = createMergedInformer(parts);
    const seen: string[] = [];
    merged.addHandlers({
      onAdd: (object) => seen.push(`add ${object.metadata?.namespace}/${object.metadata?.name}`),
      onUpdate: (_previous, object) => seen.push(`update ${object.metadata?.namespace}/${object.metadata?.name} ${object.data?.v}`),
      onDelete: (object) => seen.push(`delete ${object.metadata?.namespace}/${object.metadata?.name}`),
    });
    assert.deepEqual(merged.namespaces, ['merged-a', 'merged-b']);
    assert.deepEqual(merged.resource, { group: '', version: 'v1', plural: 'configmaps' });
    assert.equal(merged.hasSynced(), false);
    merged.start();
    try {
      assert.equal(await merged.waitForSync(), true);
      assert.equal(merged.hasSynced(), true);
      assert.deepEqual(seen.sort(), ['add merged-a/one', 'add merged-b/two']);
      assert.deepEqual(
        merged.list().map((object) => `${object.metadata?.namespace}/${object.metadata?.name}`),
        ['merged-a/one', 'merged-b/two'],
      );
      assert.equal(merged.get('merged-a/one')?.data?.v, '1');
      assert.equal(merged.get('merged-b/two')?.metadata?.name, 'two');
      assert.equal(merged.get('merged-a/two'), undefined, 'two is in merged-b, not merged-a');
      assert.equal(merged.get('merged-c/three'), undefined, 'merged-c is not watched');
      assert.equal(merged.get('one'), undefined, 'a key without a namespace matches no part');

      seen.length = 0;
      await update('merged-b', 'two', '2');
      await configMap('merged-a', 'four', '1');
      await configMap('merged-c', 'ignored', '1');
      await core.deleteNamespacedConfigMap({ namespace: 'merged-a', name: 'one' });
      await eventually('the three changes', () => seen.length >= 3);
      assert.deepEqual(seen.sort(), ['add merged-a/four', 'delete merged-a/one', 'update merged-b/two 2']);
      assert.equal(merged.get('merged-b/two')?.data?.v, '2');

      assert.equal(merged.resourceVersion(), `merged-a=${parts[0]?.resourceVersion()},merged-b=${parts[1]?.resourceVersion()}`);
      const summed = (field: keyof InformerStats): number => parts.reduce((sum, informer) => sum + informer.stats()[field], 0);
      const stats = merged.stats();
      for (const field of Object.keys(stats) as (keyof InformerStats)[]) assert.equal(stats[field], summed(field), field);
      assert.equal(stats.lists, 2, 'one LIST per namespace');
      assert.ok(stats.events >= 3, `events: ${stats.events}`);
    } finally {
      await merged.stop();
    }
  });

  it('removes a handler from every part, and stop() stops them all', async () => {
    const parts = [part('merged-a'), part('merged-b')];
    const merged = createMergedInformer(parts);
    const seen: string[] = [];
    const remove = merged.addHandlers({ onAdd: (object) => seen.push(object.metadata?.name ?? '') });
    merged.start();
    try {
      await merged.waitForSync();
      remove();
      seen.length = 0;
      await configMap('merged-a', 'after-remove-a', '1');
      await configMap('merged-b', 'after-remove-b', '1');
      await eventually(
        'both parts to see them',
        () => merged.get('merged-a/after-remove-a') !== undefined && merged.get('merged-b/after-remove-b') !== undefined,
      );
      assert.deepEqual(seen, []);
    } finally {
      await merged.stop();
    }
    const watches = merged.stats().watches;
    await configMap('merged-b', 'after-stop', '1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(merged.get('merged-b/after-stop'), undefined, 'a stopped part hears nothing');
    assert.equal(merged.stats().watches, watches);
  });

  it('waitForSync resolves false when aborted or stopped before every part synced', async () => {
    const merged = createMergedInformer([part('merged-a'), part('merged-b')]);
    assert.equal(await merged.waitForSync(AbortSignal.abort()), false);
    const waiting = merged.waitForSync();
    await merged.stop();
    assert.equal(await waiting, false);
    assert.equal(merged.hasSynced(), false);
  });

  it('refuses parts it could not route a key to, or of different kinds', () => {
    assert.throws(() => createMergedInformer([]), /no informers to merge/);
    assert.throws(() => createMergedInformer([part('merged-a'), part('merged-a')]), /namespace merged-a is watched twice/);
    const everywhere = createInformer<ConfigMap>({ kubeConfig: kubeConfigOf(kube), resource: { group: '', version: 'v1', plural: 'configmaps' } });
    assert.throws(() => createMergedInformer([part('merged-a'), everywhere]), /core\/v1\/configmaps watches every namespace/);
    assert.throws(
      () => createMergedInformer([part('merged-a'), part('merged-b', 'secrets')]),
      /core\/v1\/secrets and core\/v1\/configmaps are different kinds/,
    );
  });
});
