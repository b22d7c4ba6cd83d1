import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DesiredObject } from '../tiers/index.ts';
import { ensureApplied } from './apply.ts';
import { createChangeLog } from './events.ts';
import { pathOf } from './kinds.ts';
import { ObjectWriteError } from './problems.ts';
import { serviceBody, startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';

describe('ensureApplied on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('apply');
  });
  after(async () => {
    await bed.stop();
  });

  const service = (name: string, port: number): DesiredObject =>
    ({ ...serviceBody(name), metadata: { name, namespace: bed.namespace }, spec: { ports: [{ name: 'http', port }] } }) as unknown as DesiredObject;
  const policy = (name: string): DesiredObject =>
    ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: bed.namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    }) as unknown as DesiredObject;
  const exists = async (kind: 'Service' | 'NetworkPolicy', name: string): Promise<boolean> =>
    (await bed.client.get(pathOf(kind, bed.namespace, name))) !== undefined;

  it('applies a kind at a time, and says what it made of a kind one object of which the API server refused', async () => {
    const changes = createChangeLog();
    const objects = [policy('first'), service('one', 80), service('refused', 99_999), service('three', 82), policy('after')];
    await assert.rejects(
      ensureApplied(bed.context(), objects, changes),
      (error: unknown) => error instanceof ObjectWriteError && /refused/.test(error.message),
    );
    assert.deepEqual(changes.drain(), [{ reason: 'Created', message: 'Created NetworkPolicy first, Service one, Service three' }]);
    assert.deepEqual(
      await Promise.all([
        exists('NetworkPolicy', 'first'),
        exists('Service', 'one'),
        exists('Service', 'refused'),
        exists('Service', 'three'),
        exists('NetworkPolicy', 'after'),
      ]),
      [true, true, false, true, false],
      'the kind after the refusal is not applied',
    );
  });

  it('applies again only what differs', async () => {
    const objects = [service('steady', 80), service('moved', 80)];
    await ensureApplied(bed.context(), objects);
    const results = await ensureApplied(bed.context(), [service('steady', 80), service('moved', 81)]);
    assert.deepEqual(
      results.map(({ name, result }) => `${name} ${result}`),
      ['steady unchanged', 'moved updated'],
    );
  });
});
