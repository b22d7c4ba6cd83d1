import { mkdir, rm } from 'node:fs/promises';
import { serviceFault } from '../e2e/chaos/faults.ts';
import { CLUSTERED_FAULT_KINDS, type PlannedFault } from '../e2e/chaos/schedule.ts';
import type { ChaosTarget } from '../e2e/chaos/run.ts';
import type { ClusteredTier } from '../e2e/clustered-tier.ts';
import type { Fault } from '../e2e/fault-run.ts';
import { natsNode, postgresPrimary, redisMaster, type RedisState } from './clustered-failover.ts';

/**
 * The chaos run's faults on the clustered tier (e2e/clustered-tier.ts): its services' as on the
 * single tier, and its backends' failovers as bench/clustered-failover.ts injects and recovers
 * from them, with one more: a NATS node killed and its JetStream store lost (the loss of its
 * volume), brought back empty to catch up from the other two.
 */

function natsNodeStoreLost(tier: ClusteredTier, index: number): Fault {
  const node = tier.nats.nodes[index]!;
  return {
    name: `kill -9 of NATS node ${index} and the loss of its JetStream store`,
    async inject() {
      await node.kill9();
      await rm(node.storeDir, { recursive: true, force: true });
      await mkdir(node.storeDir);
    },
    async recover() {
      await node.start();
      await tier.nats.waitForQuorum();
    },
  };
}

/** The clustered tier as a chaos target; asks the Sentinels for the Redis master once, as the failover benchmark does. */
export async function clusteredChaosTarget(tier: ClusteredTier): Promise<ChaosTarget> {
  const redis: RedisState = { master: await tier.redis.master() };
  const faultFor = (planned: PlannedFault): Fault => {
    const service = serviceFault(tier, planned);
    if (service !== null) return service;
    const node = typeof planned.target === 'number' ? planned.target : 0;
    switch (planned.kind) {
      case 'kill9-nats-node':
        return natsNode(tier, node);
      case 'wipe-nats-node':
        return natsNodeStoreLost(tier, node);
      case 'failover-postgres':
        return postgresPrimary(tier);
      case 'failover-redis':
        return redisMaster(tier, redis);
      default:
        throw new Error(`no fault ${planned.kind} in the clustered tier`);
    }
  };
  return { tier: 'clustered', kinds: CLUSTERED_FAULT_KINDS, faultFor };
}
