import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '@hearth/kube-runtime';
import type { DesiredStatefulSet } from '../tiers/index.ts';
import { keepLiveClaimTemplates } from './claims.ts';

describe('keepLiveClaimTemplates', () => {
  const claim = (size: string, storageClassName?: string) => ({
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(storageClassName === undefined ? {} : { storageClassName }) },
  });
  const set = (size: string, storageClassName?: string, replicas = 1): DesiredStatefulSet => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'acme', namespace: 'chat', labels: {} },
    spec: { replicas, selector: {}, serviceName: 'acme', template: {}, volumeClaimTemplates: [claim(size, storageClassName)] },
  });

  /** The live object as the informer holds it: plain JSON. */
  const live = (object: DesiredStatefulSet): KubeObject => JSON.parse(JSON.stringify(object)) as KubeObject;

  it('leaves a StatefulSet that does not exist yet as the tier built it', () => {
    const desired = set('20Gi');
    assert.deepEqual(keepLiveClaimTemplates(desired, undefined), { object: desired, changes: [] });
  });

  it('changes nothing when the live template has the same size, however it is written', () => {
    const result = keepLiveClaimTemplates(set('1Gi'), live(set('1024Mi')));
    assert.deepEqual(result.changes, []);
    assert.equal(
      result.object.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.['storage'],
      '1024Mi',
      'the live spelling, so the apply changes nothing',
    );
  });

  it('keeps the live size and storage class in the template and reports what the spec wants', () => {
    const result = keepLiveClaimTemplates(set('20Gi', 'fast'), live(set('10Gi', undefined, 3)));
    assert.deepEqual(result.object.spec?.volumeClaimTemplates, [claim('10Gi')]);
    assert.deepEqual(result.changes, [
      {
        statefulSet: 'acme',
        namespace: 'chat',
        template: 'data',
        replicas: 3,
        liveSize: '10Gi',
        wantedSize: '20Gi',
        liveClass: undefined,
        wantedClass: 'fast',
      },
    ]);
  });

  it('leaves a template the live StatefulSet does not have (it would be refused, and said so, by the API server)', () => {
    const withoutTemplates = { ...set('10Gi'), spec: { ...set('10Gi').spec, volumeClaimTemplates: [] } } as DesiredStatefulSet;
    const result = keepLiveClaimTemplates(set('20Gi'), live(withoutTemplates));
    assert.deepEqual(result.object.spec?.volumeClaimTemplates, [claim('20Gi')]);
    assert.deepEqual(result.changes, []);
  });
});
