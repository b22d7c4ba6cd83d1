import { after, before, describe, it } from 'node:test';
import { eventually } from '../chaos-helpers.ts';
import { runDeliveryUnderFaults, type Fault } from '../fault-run.ts';
import { startSingleTier, type SingleTier } from '../single-tier.ts';

/**
 * DESIGN.md §2's delivery guarantee under faults in the single tier (fault-run.ts): while several
 * people post steadily and others follow over WebSocket and SSE through the Ingress, kill -9 a
 * messaging process, kill -9 a realtime process, and restart nats-server. Afterwards every
 * acknowledged post is stored once, and every member received each (room, seq) once, in order,
 * without a gap: acknowledged == stored == delivered.
 */

/** Reconnects of the streams a killed realtime process held, with their back-off. */
const RECONNECT_WITHIN_MS = 30_000;

describe('single tier under faults: acknowledged == stored == delivered', () => {
  let tier: SingleTier;

  before(async () => {
    tier = await startSingleTier({ replicas: { messaging: 2, realtime: 2, gateway: 1 } });
  });
  after(async () => {
    await tier?.stop();
  });

  it('kill -9 of a messaging process, kill -9 of a realtime process and a nats-server restart lose, duplicate and reorder nothing', async (t) => {
    const messaging: Fault = {
      name: 'kill -9 of a messaging process',
      inject: () => tier.services('messaging')[0]!.kill9(),
      recover: () => tier.services('messaging')[0]!.restart(),
    };
    const realtime: Fault = {
      name: 'kill -9 of a realtime process',
      inject: () => tier.services('realtime')[0]!.kill9(),
      async settle(run, before) {
        await eventually('the streams of the killed realtime process reconnect', () => run.reconnects() > before.reconnects, RECONNECT_WITHIN_MS);
      },
      recover: () => tier.services('realtime')[0]!.restart(),
    };
    const nats: Fault = { name: 'a nats-server restart', inject: () => tier.nats.restart() };
    await runDeliveryUnderFaults(t, tier, [messaging, realtime, nats]);
  });
});
