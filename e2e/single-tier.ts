import { startNats, startPostgres, startRedis, startTogether, type NatsServer, type PostgresServer, type RedisServer } from '@hearth/harness';
import { startServiceTier, type ServiceTier, type ServiceTierOptions, type TierBackends } from './service-tier.ts';

export { ROLES, type Role } from './service-tier.ts';

export interface SingleTier extends ServiceTier {
  readonly postgres: PostgresServer;
  readonly nats: NatsServer;
  readonly redis: RedisServer;
}

export type SingleTierOptions = ServiceTierOptions;

/**
 * Starts the single tier for real: PostgreSQL, NATS with JetStream and Redis on free
 * loopback ports, the messaging, realtime and gateway processes, and nginx routing
 * between them as the Ingress does. Its url is the Ingress's.
 */
export async function startSingleTier(options: SingleTierOptions = {}): Promise<SingleTier> {
  const backends = await startSingleBackends();
  const tier = await startServiceTier(backends, options);
  return Object.assign(tier, { postgres: backends.postgres, nats: backends.nats, redis: backends.redis });
}

export interface SingleBackends extends TierBackends {
  readonly postgres: PostgresServer;
  readonly nats: NatsServer;
  readonly redis: RedisServer;
}

/**
 * The single tier's backends alone, the services not yet started: a tier migration fills the
 * database (hearth migrate) before startServiceTier starts the services on it.
 */
export async function startSingleBackends(): Promise<SingleBackends> {
  const [postgres, nats, redis] = await startTogether([startPostgres({ durable: true }), startNats(), startRedis()] as const);
  return {
    postgres,
    nats,
    redis,
    // The stream's cap as the operator sets it (three quarters of a 1 GiB NATS volume).
    env: {
      HEARTH_DATABASE_URL: await postgres.createDatabase('hearth'),
      HEARTH_NATS_URL: nats.url,
      HEARTH_REDIS_URL: redis.url,
      HEARTH_NATS_STREAM_MAX_BYTES: String(0.75 * 2 ** 30),
    },
    async stop() {
      await Promise.allSettled([postgres.stop(), nats.stop(), redis.stop()]);
    },
  };
}
