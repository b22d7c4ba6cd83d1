import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { sessionKeySecret } from '../tiers/hearth-container.ts';
import { defaultTierContext, desiredObjects, secretsChecksumAnnotation, type DesiredObject } from '../tiers/index.ts';
import { pathOf } from './kinds.ts';
import { startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';
import { readSecrets, withLiveSecretsChecksums } from './secrets-checksums.ts';
import { dataOf, requestedSecret } from './secrets-rotation.ts';

function checksumOf(object: DesiredObject | undefined): string {
  const template = object?.kind === 'StatefulSet' || object?.kind === 'Deployment' ? object.spec?.template : undefined;
  return template?.metadata?.annotations?.[secretsChecksumAnnotation] ?? '';
}

describe('the Secret values a reconcile reads for the checksums', { timeout: 120_000 }, () => {
  let testbed: ReconcileTestbed;
  let hearth: Hearth;

  before(async () => {
    testbed = await startReconcileTestbed('secrets-checksums');
    hearth = await testbed.createHearth('delta', 'embedded.yaml', {
      auth: { oidc: { issuerURL: 'https://sso.example', clientID: 'hearth', clientSecretRef: { name: 'delta-oidc' } } },
    });
  });
  after(() => testbed?.stop());

  it('a created Secret’s data, as dataOf gives it, is what the API server returns: no second roll once the cache has it', async () => {
    const built = requestedSecret(hearth, sessionKeySecret(hearth), { random: (count) => new Uint8Array(count).fill(9) }, 'r1');
    await testbed.client.create(pathOf('Secret', testbed.namespace), built);
    const read = (await testbed.client.get(pathOf('Secret', testbed.namespace, 'delta-session-key'))) as KubeObject & { data?: Record<string, string> };
    assert.deepEqual(read.data, dataOf(built));
    assert.equal(read.metadata?.annotations?.['hearth.dev/rotation-request'], 'r1');
  });

  it('reads what this reconcile made, else the cache, else the API server; a missing Secret is undefined, one without data empty', async () => {
    await testbed.client.create(pathOf('Secret', testbed.namespace), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty' } });
    const ctx = {
      ...testbed.context(),
      cached: () => ({
        ofInstance: () => [],
        get: (_namespace: string, name: string) =>
          name === 'delta-session-key' ? ({ metadata: { name }, data: { key: 'Y2FjaGVk' } } as KubeObject) : undefined,
      }),
    };
    const read = await readSecrets(ctx, testbed.namespace, ['made', 'delta-session-key', 'empty', 'absent'], new Map([['made', { key: 'bWFkZQ==' }]]));
    assert.deepEqual(Object.fromEntries(read), { made: { key: 'bWFkZQ==' }, 'delta-session-key': { key: 'Y2FjaGVk' }, empty: {}, absent: undefined });
  });

  it('a Secret the spec names and is not there: the problem names the field, and the objects are returned unstamped', async () => {
    const desired = desiredObjects(hearth, defaultTierContext);
    if (!desired.ok) throw new Error(desired.error.message);
    const outcome = await withLiveSecretsChecksums(testbed.context(), hearth, desired.objects);
    assert.equal(outcome.problem?.code, 'CredentialsMissing');
    assert.match(outcome.problem?.message ?? '', /^Secret delta-oidc \(spec\.auth\.oidc\.clientSecretRef\) is missing\. /);
    assert.equal(outcome.objects, desired.objects);

    const oidc = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'delta-oidc' }, stringData: { clientSecret: 's' } };
    await testbed.client.create(pathOf('Secret', testbed.namespace), oidc);
    const stamped = await withLiveSecretsChecksums(testbed.context(), hearth, desired.objects);
    assert.equal(stamped.problem, undefined);
    assert.match(checksumOf(stamped.objects.find((object) => object.kind === 'StatefulSet')), /^[0-9a-f]{64}$/);
  });
});
