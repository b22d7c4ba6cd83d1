import type { EphemeralConfig } from '../config.ts';
import type { Ephemeral } from './ephemeral.ts';

/** Loads only the implementation the config names, so a tier never loads a driver it does not use. */
export async function createEphemeral(config: EphemeralConfig): Promise<Ephemeral> {
  switch (config.type) {
    case 'memory': {
      const { EphemeralMemory } = await import('./ephemeral-memory.ts');
      return new EphemeralMemory();
    }
    case 'redis': {
      const { EphemeralRedis } = await import('./ephemeral-redis.ts');
      // A short first wait: start-up's own retry loop logs and backs off, as for the other backends.
      return EphemeralRedis.connect(config, { readyTimeoutMs: 2_000 });
    }
  }
}
