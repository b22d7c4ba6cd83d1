import { after, before, describe, it } from 'node:test';
import type { RedisServer } from '@hearth/harness';
import { startClusteredTier, type ClusteredTier } from '../clustered-tier.ts';
import { eventually } from '../chaos-helpers.ts';
import { runDeliveryUnderFaults, type Fault } from '../fault-run.ts';

/**
 * The clustered tier has no single point of failure but the machine: under a steady load of
 * posts with readers on WebSocket and SSE, a NATS node is killed (then, once it is back, another),
 * the PostgreSQL primary is killed and its replica promoted, the Redis master is killed (the
 * Sentinels promote its replica), and one process of each service is killed. Acknowledged ==
 * stored == delivered throughout (fault-run.ts); the outage each fault caused, as the posting
 * clients saw it, is in the diagnostics.
 */

/** Reconnects of the streams a killed realtime process held, with their back-off. */
const RECONNECT_WITHIN_MS = 30_000;

describe('clustered tier under faults: acknowledged == stored == delivered', () => {
  let tier: ClusteredTier;

  before(async () => {
    tier = await startClusteredTier();
  });
  after(async () => {
    await tier?.stop();
  });

  const natsNode = (index: number): Fault => ({
    name: `kill -9 of NATS node ${index}`,
    inject: () => tier.nats.nodes[index]!.kill9(),
    async recover() {
      await tier.nats.nodes[index]!.start();
      await tier.nats.waitForQuorum();
    },
  });

  const postgresPrimary: Fault = {
    name: 'kill -9 of the PostgreSQL primary, its replica promoted',
    async inject() {
      const [primary, replica] = tier.postgres.nodes;
      await primary!.kill9();
      await tier.postgres.promote(replica!);
    },
  };

  let killedRedis: RedisServer | undefined;
  const redisMaster: Fault = {
    name: 'kill -9 of the Redis master (Sentinel failover)',
    async inject() {
      killedRedis = await tier.redis.master();
      await killedRedis.kill9();
    },
    async recover() {
      // Posting goes through Redis (rate limits), so the load going on means the Sentinels promoted the replica.
      const master = await tier.redis.master();
      await killedRedis?.start();
      await tier.redis.waitForMaster(master);
    },
  };

  const service = (role: 'messaging' | 'realtime' | 'gateway'): Fault => ({
    name: `kill -9 of one ${role} process`,
    inject: () => tier.services(role)[0]!.kill9(),
    async settle(run, before) {
      if (role !== 'realtime') return;
      await eventually('the streams of the killed realtime process reconnect', () => run.reconnects() > before.reconnects, RECONNECT_WITHIN_MS);
    },
    recover: () => tier.services(role)[0]!.restart(),
  });

  it('NATS node, PostgreSQL primary, Redis master and one of each service killed: nothing lost, duplicated or reordered', async (t) => {
    await runDeliveryUnderFaults(t, tier, [
      natsNode(0),
      natsNode(1),
      postgresPrimary,
      redisMaster,
      service('messaging'),
      service('realtime'),
      service('gateway'),
    ]);
  });
});
