import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DesiredObject } from '../tiers/index.ts';
import { pathOf } from './kinds.ts';
import { ownedObjects, pruneUndesired } from './prune.ts';
import { serviceBody, startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';

describe('pruneUndesired on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('prune');
  });
  after(async () => {
    await bed.stop();
  });

  it('deletes what the Hearth owns and no longer wants, and nothing else', async () => {
    const hearth = await bed.createHearth('pruned');
    const ctx = bed.context();
    await bed.createLabelled('Service', hearth, serviceBody('wanted'));
    await bed.createLabelled('Service', hearth, serviceBody('unwanted'));
    // Labelled like ours, but owned by nobody: someone else's, never deleted.
    await bed.createLabelled('Service', hearth, serviceBody('lookalike'), false);
    // Owned and unwanted, but already being deleted (held by a finalizer): left to finish.
    await bed.createLabelled('Service', hearth, { ...serviceBody('leaving'), metadata: { name: 'leaving', finalizers: ['example.com/hold'] } });
    await bed.client.delete(pathOf('Service', bed.namespace, 'leaving'));
    // Another Hearth's object.
    const other = await bed.createHearth('other');
    await bed.createLabelled('Service', other, serviceBody('theirs'));

    const desired = [{ kind: 'Service', metadata: { name: 'wanted' } }] as unknown as DesiredObject[];
    const pruned = await pruneUndesired(ctx, hearth, desired, ['Service']);
    assert.deepEqual(pruned, [{ kind: 'Service', name: 'unwanted' }]);
    const remaining = async (name: string): Promise<boolean> => (await bed.client.get(pathOf('Service', bed.namespace, name))) !== undefined;
    assert.deepEqual(await Promise.all(['wanted', 'unwanted', 'lookalike', 'leaving', 'theirs'].map(remaining)), [true, false, true, true, true]);
    assert.deepEqual(await pruneUndesired(ctx, hearth, desired, ['Service']), [], 'a second prune finds nothing to do');
    await bed.client.mergePatch(pathOf('Service', bed.namespace, 'leaving'), { metadata: { finalizers: null } });
  });

  it('reads the informer cache when the context has one, and the API server when it has not', async () => {
    const hearth = await bed.createHearth('cached');
    await bed.createLabelled('Service', hearth, serviceBody('live'));
    const fromServer = await ownedObjects(bed.context(), hearth, 'Service');
    assert.deepEqual(
      fromServer.map((object) => object.metadata?.name),
      ['live'],
    );
    const stale = { ...bed.context(), cached: () => ({ ofInstance: () => [], get: () => undefined }) };
    assert.deepEqual(await ownedObjects(stale, hearth, 'Service'), [], 'the cache, even when behind');
  });
});
