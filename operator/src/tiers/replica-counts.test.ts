import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { replicaCounts } from './replica-counts.ts';
import { hearthFixture } from './testing.ts';

describe('replicaCounts', () => {
  it('lists every count the spec sets, with the field that sets it, and none it leaves out', () => {
    const cases: { name: string; spec: HearthSpec; want: [string, number][] }[] = [
      { name: 'none set', spec: { tier: 'clustered' }, want: [] },
      {
        name: 'a service’s replicas and autoscaling bounds',
        spec: { services: { realtime: { replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 12 } } } },
        want: [
          ['spec.services.realtime.replicas', 3],
          ['spec.services.realtime.autoscaling.minReplicas', 2],
          ['spec.services.realtime.autoscaling.maxReplicas', 12],
        ],
      },
      {
        name: 'autoscaling without a floor',
        spec: { services: { messaging: { autoscaling: { maxReplicas: 5 } } } },
        want: [['spec.services.messaging.autoscaling.maxReplicas', 5]],
      },
      {
        name: 'every service, in order, then the database and NATS',
        spec: { nats: { replicas: 5 }, database: { instances: 3 }, services: { messaging: { replicas: 4 }, gateway: { replicas: 2 } } },
        want: [
          ['spec.services.gateway.replicas', 2],
          ['spec.services.messaging.replicas', 4],
          ['spec.database.instances', 3],
          ['spec.nats.replicas', 5],
        ],
      },
      { name: 'zero is a count', spec: { services: { gateway: { replicas: 0 } } }, want: [['spec.services.gateway.replicas', 0]] },
    ];
    for (const { name, spec, want } of cases) {
      assert.deepEqual(
        replicaCounts(hearthFixture(spec)).map(({ field, count }) => [field, count]),
        want,
        name,
      );
    }
  });
});
