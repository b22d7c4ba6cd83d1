import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeApiError } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { generatedAnnotation } from '../tiers/index.ts';
import { createChangeLog } from './events.ts';
import { cleanupFinalizer, cleanupOwned, ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
import { pathOf } from './kinds.ts';
import { serviceBody, startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';

describe('hasFinalizer', () => {
  const withFinalizers = (finalizers: string[] | undefined): Hearth => ({ metadata: { finalizers } }) as unknown as Hearth;
  const cases: [string, string[] | undefined, boolean][] = [
    ['none at all', undefined, false],
    ['only another', ['example.com/other'], false],
    ['ours', [cleanupFinalizer], true],
    ['ours among others', ['example.com/other', cleanupFinalizer], true],
  ];
  for (const [name, finalizers, expected] of cases) it(name, () => assert.equal(hasFinalizer(withFinalizers(finalizers)), expected));
});

describe('the finalizer on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('finalizer');
  });
  after(async () => {
    await bed.stop();
  });

  it('is added once, next to another controller’s, and removed without taking that one', async () => {
    const created = await bed.createHearth('fin');
    const ctx = bed.context();
    await bed.client.mergePatch(pathOf('Hearth', bed.namespace, 'fin'), { metadata: { finalizers: ['example.com/other'] } });
    const other = (await bed.client.get(pathOf('Hearth', bed.namespace, 'fin'))) as unknown as Hearth;
    const added = await ensureFinalizer(ctx, other);
    assert.deepEqual(added.metadata.finalizers, ['example.com/other', cleanupFinalizer]);
    const requests = bed.client.requests().PATCH ?? 0;
    assert.equal(await ensureFinalizer(ctx, added), added, 'already there: no write');
    assert.equal(bed.client.requests().PATCH ?? 0, requests);
    const removed = await removeFinalizer(ctx, added);
    assert.deepEqual(removed.metadata.finalizers, ['example.com/other']);
    assert.notEqual(created.metadata.resourceVersion, removed.metadata.resourceVersion);
  });

  it('refuses to write over a list someone changed since it was read (409), rather than drop their finalizer', async () => {
    const stale = await bed.createHearth('stale');
    await bed.client.mergePatch(pathOf('Hearth', bed.namespace, 'stale'), { metadata: { finalizers: ['example.com/other'] } });
    await assert.rejects(ensureFinalizer(bed.context(), stale), (error: unknown) => error instanceof KubeApiError && error.status === 409);
    const now = (await bed.client.get(pathOf('Hearth', bed.namespace, 'stale'))) as unknown as Hearth;
    assert.deepEqual(now.metadata.finalizers, ['example.com/other']);
  });

  /** A Hearth with an owned Service, a generated Secret, a Secret of the user's and a volume claim. */
  const withData = async (name: string, retainOnDelete: boolean): Promise<Hearth> => {
    const hearth = await bed.createHearth(name, 'embedded.yaml', { storage: { retainOnDelete } } as Partial<Hearth['spec']>);
    await bed.createLabelled('Service', hearth, serviceBody(`${name}-web`));
    await bed.createLabelled(
      'Secret',
      hearth,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-keys`, annotations: { [generatedAnnotation]: 'k: a key' } } },
      false,
    );
    await bed.createLabelled('Secret', hearth, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-users` } }, false);
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${name}-data` },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    await bed.createLabelled('PersistentVolumeClaim', hearth, claim, false);
    return hearth;
  };
  const exists = async (kind: 'Service' | 'Secret' | 'PersistentVolumeClaim', name: string): Promise<boolean> => {
    const object = await bed.client.get(pathOf(kind, bed.namespace, name));
    return object !== undefined && object.metadata?.deletionTimestamp === undefined;
  };

  it('cleans up what the Hearth owns and keeps the volume and its credentials when retainOnDelete is true', async () => {
    const hearth = await withData('keep', true);
    const changes = createChangeLog();
    const cleanup = await cleanupOwned(bed.context(), hearth, changes);
    assert.deepEqual(cleanup, { deleted: ['Service keep-web'], kept: ['PersistentVolumeClaim keep-data', 'Secret keep-keys'], remaining: 0 });
    assert.deepEqual(
      await Promise.all([
        exists('Service', 'keep-web'),
        exists('Secret', 'keep-keys'),
        exists('Secret', 'keep-users'),
        exists('PersistentVolumeClaim', 'keep-data'),
      ]),
      [false, true, true, true],
    );
    assert.deepEqual(changes.drain(), [{ reason: 'Deleted', message: 'Deleted Service keep-web' }]);
  });

  it('deletes the volume and the generated credentials with it when retainOnDelete is false, never the user’s Secret', async () => {
    const hearth = await withData('drop', false);
    const changes = createChangeLog();
    const cleanup = await cleanupOwned(bed.context(), hearth, changes);
    assert.deepEqual([...cleanup.deleted].sort(), ['PersistentVolumeClaim drop-data', 'Secret drop-keys', 'Service drop-web']);
    // One Event for all of them.
    assert.deepEqual(changes.drain(), [{ reason: 'Deleted', message: `Deleted ${cleanup.deleted.join(', ')}` }]);
    assert.deepEqual(cleanup.kept, []);
    assert.deepEqual(
      await Promise.all([
        exists('Service', 'drop-web'),
        exists('Secret', 'drop-keys'),
        exists('Secret', 'drop-users'),
        exists('PersistentVolumeClaim', 'drop-data'),
      ]),
      [false, false, true, false],
    );
  });
});
