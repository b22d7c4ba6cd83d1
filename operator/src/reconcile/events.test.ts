import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hearth } from '../api/index.ts';
import { changeMessage, createChangeLog, createEventRecorder, maxEventMessage, reportingComponent } from './events.ts';
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

describe('changeMessage', () => {
  const objects = (count: number): string[] => Array.from({ length: count }, (_, i) => `Secret s-${String(i).padStart(2, '0')}`);
  const cases: { name: string; objects: string[]; limit?: number; expected: string }[] = [
    { name: 'one object', objects: ['StatefulSet acme'], expected: 'Created StatefulSet acme' },
    { name: 'several, in order', objects: ['Secret a', 'Service b', 'StatefulSet c'], expected: 'Created Secret a, Service b, StatefulSet c' },
    { name: 'exactly at the limit', objects: ['Secret a', 'Service b'], limit: 27, expected: 'Created Secret a, Service b' },
    { name: 'past it: as many as fit, then how many more', objects: objects(5), limit: 43, expected: 'Created Secret s-00, Secret s-01 and 3 more' },
    { name: 'not even one fits: the count', objects: ['StatefulSet a-very-long-name'], limit: 20, expected: 'Created 1 objects' },
  ];
  for (const { name, objects: listed, limit, expected } of cases) it(name, () => assert.equal(changeMessage('Created', listed, limit), expected));

  it('a reconcile of thousands of objects stays within the limit', () => {
    const message = changeMessage('Created', objects(500));
    assert.ok(message.length <= maxEventMessage);
    assert.match(message, / and \d+ more$/);
  });
});

describe('createChangeLog', () => {
  it('one Event per reason, in the order first noted; a drain forgets what it said', () => {
    const changes = createChangeLog();
    changes.note('Created', 'Secret', 'acme-session-key');
    changes.note('Updated', 'Deployment', 'acme-gateway');
    changes.note('Created', 'StatefulSet', 'acme');
    changes.note('Pruned', 'Ingress', 'acme');
    assert.deepEqual(changes.drain(), [
      { reason: 'Created', message: 'Created Secret acme-session-key, StatefulSet acme' },
      { reason: 'Updated', message: 'Updated Deployment acme-gateway' },
      { reason: 'Pruned', message: 'Deleted Ingress acme' },
    ]);
    assert.deepEqual(changes.drain(), []);
  });
});

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
