import path from 'node:path';
import { ConfigError, type StoreConfig } from '@hearth/core';
import { DEFAULT_LEASE, type LeaseTiming } from './migrate-lease.ts';

/**
 * The source store of `hearth migrate`, from the environment the operator's copy Job gives it,
 * and the names the command gives its stores in its messages and in the target's import marker.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** A copy reads through few connections: the export's snapshot, and the lease's renewals. */
const SOURCE_POOL_SIZE = 2;

/** HEARTH_SOURCE_DATABASE_URL, or hearth.db in HEARTH_SOURCE_DATA_DIR (resolved against `cwd`); exactly one. */
export function sourceStoreOf(env: Env, cwd: string): StoreConfig {
  const url = nonEmpty(env['HEARTH_SOURCE_DATABASE_URL']);
  const dir = nonEmpty(env['HEARTH_SOURCE_DATA_DIR']);
  if (url !== undefined && dir !== undefined) {
    throw new ConfigError('set HEARTH_SOURCE_DATABASE_URL or HEARTH_SOURCE_DATA_DIR for hearth migrate, not both');
  }
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('HEARTH_SOURCE_DATABASE_URL must be a postgres:// URL');
    return { type: 'postgres', url, poolSize: SOURCE_POOL_SIZE };
  }
  if (dir !== undefined) return { type: 'sqlite', path: path.resolve(cwd, dir, 'hearth.db') };
  throw new ConfigError('hearth migrate needs the store to copy from: HEARTH_SOURCE_DATABASE_URL, or HEARTH_SOURCE_DATA_DIR (the directory of its hearth.db)');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A store as messages and the import marker name it: the SQLite file, or PostgreSQL's host:port/database, never credentials. */
export function storeName(store: StoreConfig): string {
  if (store.type === 'sqlite') return `SQLite ${store.path}`;
  try {
    const url = new URL(store.url);
    return `PostgreSQL ${url.hostname || 'localhost'}:${url.port || '5432'}${decodeURIComponent(url.pathname)}`;
  } catch {
    return 'PostgreSQL (an unreadable URL)';
  }
}

/** Whether two configs name one store: a copy onto itself would pause, then clear, its own data. */
export function isSameStore(a: StoreConfig, b: StoreConfig): boolean {
  return storeName(a) === storeName(b);
}

/**
 * The lease on the source's pause: HEARTH_MIGRATE_LEASE_SECONDS (default 60, from 2 to 3600),
 * renewed six times a lease. A shorter lease lets a killed copy's source take writes sooner.
 */
export function leaseTimingOf(env: Env): LeaseTiming {
  const text = nonEmpty(env['HEARTH_MIGRATE_LEASE_SECONDS']);
  if (text === undefined) return DEFAULT_LEASE;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 2 || seconds > 3600) {
    throw new ConfigError(`HEARTH_MIGRATE_LEASE_SECONDS must be a whole number of seconds from 2 to 3600 (got ${text})`);
  }
  return { leaseSeconds: seconds, renewEveryMs: (seconds * 1000) / 6 };
}
