import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hearth } from '../api/index.ts';
import { createEventRecorder, reportingComponent } from './events.ts';
import { startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';

interface StoredEvent {
  metadata: { name: string };
  involvedObject: { kind: string; name: string; uid: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

describe('the event recorder on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('events');
  });
  after(async () => {
    await bed.stop();
  });

  const eventsOf = async (hearth: Hearth): Promise<StoredEvent[]> => {
    const all = (await bed.client.list(`/api/v1/namespaces/${bed.namespace}/events`)) as unknown as StoredEvent[];
    return all.filter((event) => event.involvedObject.uid === hearth.metadata.uid);
  };

  it('writes an Event on the Hearth, and counts the same one again instead of adding another', async () => {
    const hearth = await bed.createHearth('told');
    const recorder = createEventRecorder(bed.client, { instance: 'pod-a' });
    await recorder.record(hearth, 'Normal', 'Created', 'Created Service told');
    await recorder.record(hearth, 'Normal', 'Created', 'Created Service told');
    await recorder.record(hearth, 'Warning', 'Degraded', 'something else');
    const events = await eventsOf(hearth);
    assert.deepEqual(
      events.map((event) => [event.involvedObject.kind, event.involvedObject.name, event.type, event.reason, event.message, event.count]).sort(),
      [
        ['Hearth', 'told', 'Normal', 'Created', 'Created Service told', 2],
        ['Hearth', 'told', 'Warning', 'Degraded', 'something else', 1],
      ],
    );
    assert.ok(events.every((event) => event.reportingComponent === reportingComponent && event.reportingInstance === 'pod-a'));
    assert.ok(events.every((event) => event.metadata.name.startsWith('told.')));
  });

  it('never throws: an Event that cannot be written is logged, and a vanished one is made anew', async () => {
    const hearth = await bed.createHearth('unlucky');
    const logged: string[] = [];
    const recorder = createEventRecorder(bed.client, { log: (message, fields) => logged.push(`${message}: ${String(fields?.reason)}`) });
    const elsewhere = { ...hearth, metadata: { ...hearth.metadata, namespace: 'no-such-namespace' } };
    await recorder.record(elsewhere, 'Normal', 'Created', 'x');
    assert.deepEqual(logged, ['event not recorded: Created']);

    await recorder.record(hearth, 'Normal', 'Ready', 'ready');
    const [first] = await eventsOf(hearth);
    assert.ok(first !== undefined);
    // Events expire (an hour): the count bump fails, is logged, and the next one is created anew.
    await bed.client.delete(`/api/v1/namespaces/${bed.namespace}/events/${first.metadata.name}`);
    await recorder.record(hearth, 'Normal', 'Ready', 'ready');
    await recorder.record(hearth, 'Normal', 'Ready', 'ready');
    const after = await eventsOf(hearth);
    assert.equal(after.length, 1);
    assert.equal(after[0]?.count, 1);
    assert.deepEqual(logged, ['event not recorded: Created', 'event not recorded: Ready']);
  });
});
