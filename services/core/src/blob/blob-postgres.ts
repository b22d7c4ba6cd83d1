import { Pool, type QueryResultRow } from 'pg';
import { HearthError } from '../errors.ts';
import { describeServer } from '../store/store-postgres.ts';
import { answering } from './answering.ts';
import { checkBlobKey, checkBlobKeyPrefix, type BlobStore } from './blob.ts';

/** Few connections: a blob is one statement, and the store's own pool does the rest of the work. */
const POOL_SIZE = 4;
const CONNECT_TIMEOUT_MS = 10_000;
/** Keys read per query by keys(): few enough to hold, many enough that a sweep takes few queries. */
const KEYS_PAGE = 1_000;

export interface BlobStorePostgresOptions {
  /** Keys read per query by keys() (tests make it small, to cross pages). */
  readonly keysPage?: number;
}

/**
 * Blobs as rows of the `blobs` table, which the Store's migration 0007-files makes (so the Store
 * opens first). A put is one upsert, durable when it returns (a commit). Keys are compared and
 * sorted as bytes (COLLATE "C"), whatever the database's locale, so the order is the other
 * back-ends' order.
 */
export class BlobStorePostgres implements BlobStore {
  readonly #pool: Pool;
  readonly #server: string;
  readonly #keysPage: number;
  #closing: Promise<void> | undefined;

  /** Connects lazily: nothing is sent until the first call. */
  constructor(url: string, options: BlobStorePostgresOptions = {}) {
    this.#pool = new Pool({
      connectionString: url,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'hearth-blobs',
      keepAlive: true,
    });
    // An idle connection that breaks is dropped from the pool; unheard, its error would crash the process.
    this.#pool.on('error', () => undefined);
    this.#server = describeServer(url);
    this.#keysPage = options.keysPage ?? KEYS_PAGE;
  }

  /** A store whose server answered and whose table is there; else it is closed again and the failure thrown. */
  static async open(url: string, options: BlobStorePostgresOptions = {}): Promise<BlobStorePostgres> {
    return answering(new BlobStorePostgres(url, options));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    checkBlobKey(key);
    // created_at says when the bytes were written, so a sweep of orphans never takes bytes just replaced.
    await this.#query(
      `put blob ${key}`,
      'INSERT INTO blobs (key, bytes) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, created_at = now()',
      [key, bytes],
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkBlobKey(key);
    const rows = await this.#query<{ bytes: Buffer }>(`get blob ${key}`, 'SELECT bytes FROM blobs WHERE key = $1', [key]);
    const bytes = rows[0]?.bytes;
    // A copy that owns its memory: a small Buffer from the driver is a slice of Node's shared pool.
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  async delete(key: string): Promise<void> {
    checkBlobKey(key);
    await this.#query(`delete blob ${key}`, 'DELETE FROM blobs WHERE key = $1', [key]);
  }

  /** Page after page, each after the last key of the one before: no connection is held between pages. */
  async *keys(prefix: string): AsyncIterable<string> {
    checkBlobKeyPrefix(prefix);
    let after = '';
    for (;;) {
      const rows = await this.#query<{ key: string }>(
        `list blobs under "${prefix}"`,
        'SELECT key FROM blobs WHERE starts_with(key, $1) AND key COLLATE "C" > $2 ORDER BY key COLLATE "C" LIMIT $3',
        [prefix, after, this.#keysPage],
      );
      for (const row of rows) yield row.key;
      const last = rows.at(-1);
      if (last === undefined || rows.length < this.#keysPage) return;
      after = last.key;
    }
  }

  async ping(): Promise<void> {
    await this.#query('reach the blobs table', 'SELECT 1 FROM blobs LIMIT 0', []);
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  /**
   * The statements are fixed and take only checked keys and bytes, so whatever PostgreSQL
   * answers instead of a result is on the server's side (unreachable, shutting down, out of
   * space, not migrated yet): `unavailable`, saying what failed and where.
   */
  async #query<R extends QueryResultRow>(what: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.#pool.query<R>(text, values)).rows;
    } catch (error) {
      throw new HearthError('unavailable', `cannot ${what} in PostgreSQL at ${this.#server}: ${reasonOf(error)}`, { cause: error });
    }
  }
}

/** A refused connection to a name with several addresses (localhost) is an AggregateError with only a code. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message || ((error as NodeJS.ErrnoException).code ?? error.name);
}
