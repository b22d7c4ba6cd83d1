import {
  startNats,
  startPostgres,
  startRedis,
  startTogether,
  startToxiproxy,
  type NatsServer,
  type PostgresSingle,
  type RedisServer,
  type Toxiproxy,
} from '@hearth/harness';
import { startServiceTier, type ServiceTier, type ServiceTierOptions, type TierBackends } from './service-tier.ts';

export { ROLES, type Role } from './service-tier.ts';

/** The backends toxiproxy stands in front of when the tier has network faults, each a proxy of that name. */
export const PROXIED_BACKENDS = ['postgres', 'nats', 'redis'] as const;
export type ProxiedBackend = (typeof PROXIED_BACKENDS)[number];

export interface SingleTier extends ServiceTier {
  readonly postgres: PostgresSingle;
  readonly nats: NatsServer;
  readonly redis: RedisServer;
  /** With `networkFaults`, the proxy every service reaches its backends through (proxies named as PROXIED_BACKENDS); null otherwise. */
  readonly toxiproxy: Toxiproxy | null;
}

export interface SingleTierOptions extends ServiceTierOptions {
  /** The services reach PostgreSQL, NATS and Redis through toxiproxy, so that a test can break the network between them. */
  readonly networkFaults?: boolean;
}

/**
 * Starts the single tier for real: PostgreSQL, NATS with JetStream and Redis on free
 * loopback ports, the messaging, realtime and gateway processes, and nginx routing
 * between them as the Ingress does. Its url is the Ingress's.
 */
export async function startSingleTier(options: SingleTierOptions = {}): Promise<SingleTier> {
  const backends = await startSingleBackends({ networkFaults: options.networkFaults === true });
  const tier = await startServiceTier(backends, options);
  return Object.assign(tier, { postgres: backends.postgres, nats: backends.nats, redis: backends.redis, toxiproxy: backends.toxiproxy });
}

export interface SingleBackends extends TierBackends {
  readonly postgres: PostgresSingle;
  readonly nats: NatsServer;
  readonly redis: RedisServer;
  readonly toxiproxy: Toxiproxy | null;
}

/**
 * The single tier's backends alone, the services not yet started: a tier migration fills the
 * database (hearth migrate) before startServiceTier starts the services on it.
 */
export async function startSingleBackends(options: { readonly networkFaults?: boolean } = {}): Promise<SingleBackends> {
  const [postgres, nats, redis] = await startTogether([startPostgres({ durable: true }), startNats(), startRedis()] as const);
  const stopServers = async (): Promise<void> => {
    await Promise.allSettled([postgres.stop(), nats.stop(), redis.stop()]);
  };
  const urls: Record<ProxiedBackend, string> = { postgres: await postgres.createDatabase('hearth'), nats: nats.url, redis: redis.url };
  let toxiproxy: Toxiproxy | null = null;
  if (options.networkFaults === true) {
    try {
      toxiproxy = await startToxiproxy();
      for (const backend of PROXIED_BACKENDS) urls[backend] = await throughProxy(toxiproxy, backend, urls[backend]);
    } catch (error) {
      await toxiproxy?.stop();
      await stopServers();
      throw error;
    }
  }
  return {
    postgres,
    nats,
    redis,
    toxiproxy,
    // The stream's cap as the operator sets it (three quarters of a 1 GiB NATS volume).
    env: {
      HEARTH_DATABASE_URL: urls.postgres,
      HEARTH_NATS_URL: urls.nats,
      HEARTH_REDIS_URL: urls.redis,
      HEARTH_NATS_STREAM_MAX_BYTES: String(0.75 * 2 ** 30),
    },
    async stop() {
      await toxiproxy?.stop();
      await stopServers();
    },
  };
}

/** A proxy named `name` in front of the server `url` names; returns `url` with the proxy's port. */
async function throughProxy(toxiproxy: Toxiproxy, name: string, url: string): Promise<string> {
  const proxied = new URL(url);
  proxied.port = String(await toxiproxy.proxy(name, Number(proxied.port)));
  return proxied.href;
}
