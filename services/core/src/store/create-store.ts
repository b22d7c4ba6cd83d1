import type { StoreConfig } from '../config.ts';
import type { Store } from './store.ts';

/**
 * The Store a config names. Each implementation is imported only when chosen, so a tier
 * never loads a driver it does not use.
 */
export async function createStore(config: StoreConfig): Promise<Store> {
  switch (config.type) {
    case 'sqlite': {
      const { StoreSqlite } = await import('./store-sqlite.ts');
      return StoreSqlite.open(config.path);
    }
    case 'postgres': {
      const { StorePostgres } = await import('./store-postgres.ts');
      return StorePostgres.open(config.url, config.poolSize);
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown store type ${String(unknown)}`);
    }
  }
}
