import {
  startNatsCluster,
  startPostgresPair,
  startRedisSentinel,
  startTogether,
  type NatsCluster,
  type PostgresPair,
  type RedisSentinelSet,
} from '@hearth/harness';
import { startServiceTier, type ServiceTier, type ServiceTierOptions, type TierBackends } from './service-tier.ts';

export interface ClusteredTier extends ServiceTier {
  /** A primary and its streaming replica, behind one address that follows promotion. */
  readonly postgres: PostgresPair;
  /** Three NATS servers; the event stream is R3. */
  readonly nats: NatsCluster;
  /** A Redis master and replica watched by three Sentinels. */
  readonly redis: RedisSentinelSet;
}

/**
 * Starts the clustered tier as processes on this machine, with no single point of failure but the
 * machine: PostgreSQL with a replica, a 3-node NATS cluster, Redis with Sentinels, and two
 * processes of each role (unless `replicas` says otherwise) behind nginx.
 */
export async function startClusteredTier(options: ServiceTierOptions = {}): Promise<ClusteredTier> {
  const backends = await startClusteredBackends();
  const replicas = { messaging: 2, realtime: 2, gateway: 2, ...options.replicas };
  const tier = await startServiceTier(backends, { ...options, replicas });
  return Object.assign(tier, { postgres: backends.postgres, nats: backends.nats, redis: backends.redis });
}

export interface ClusteredBackends extends TierBackends {
  readonly postgres: PostgresPair;
  readonly nats: NatsCluster;
  readonly redis: RedisSentinelSet;
}

/**
 * The clustered tier's backends alone, the services not yet started: a tier migration fills the
 * database (hearth migrate) before startServiceTier starts the services on it.
 */
export async function startClusteredBackends(): Promise<ClusteredBackends> {
  const [postgres, nats, redis] = await startTogether([startPostgresPair(), startNatsCluster({ size: 3 }), startRedisSentinel()] as const);
  return {
    postgres,
    nats,
    redis,
    env: {
      HEARTH_DATABASE_URL: await postgres.createDatabase('hearth'),
      HEARTH_NATS_URL: nats.url,
      HEARTH_NATS_STREAM_REPLICAS: '3',
      HEARTH_NATS_STREAM_MAX_BYTES: String(0.75 * 2 ** 30),
      HEARTH_REDIS_URL: redis.url,
    },
    async stop() {
      await Promise.allSettled([postgres.stop(), nats.stop(), redis.stop()]);
    },
  };
}
