import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, startPostgres, type PostgresServer } from '@hearth/harness';
import { Client } from 'pg';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import { StorePostgres } from '../store/store-postgres.ts';
import { runBlobContract } from './blob-contract.ts';
import { BlobStorePostgres } from './blob-postgres.ts';
import { createBlobStore } from './create-blob-store.ts';

let server: PostgresServer;
/** A database the Store has migrated, so the blobs table (0007-files) is there. */
let url: string;
/** The same, in a database whose collation is a language's (ICU en-US), not bytes (the harness's default). */
let icuUrl: string;

before(async () => {
  server = await startPostgres();
  url = await server.createDatabase('blobs');
  icuUrl = await createIcuDatabase('blobs_icu');
  for (const migrated of [url, icuUrl]) await (await StorePostgres.open(migrated, 1)).close();
});
after(async () => {
  await server.stop();
});

// Two keys a page, so that every listing of more than two keys crosses pages.
runBlobContract('BlobStorePostgres', () => BlobStorePostgres.open(url, { keysPage: 2 }));
// keys() sorts as bytes whatever the database's collation, as the other back-ends do.
runBlobContract('BlobStorePostgres in a database of ICU collation en-US', () => BlobStorePostgres.open(icuUrl, { keysPage: 2 }));

async function createIcuDatabase(name: string): Promise<string> {
  const client = new Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
  } finally {
    await client.end();
  }
  const created = new URL(server.url);
  created.pathname = `/${name}`;
  return created.toString();
}

async function withStore(store: BlobStorePostgres, use: (store: BlobStorePostgres) => Promise<void>): Promise<void> {
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

function isUnavailable(where: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HearthError, `not a HearthError: ${String(error)}`);
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, where);
    return true;
  };
}

describe('BlobStorePostgres', () => {
  it('keeps the bytes in the blobs table, one row a key, and createBlobStore opens it', async () => {
    const store = await createBlobStore({ type: 'postgres', url });
    assert.ok(store instanceof BlobStorePostgres);
    const key = `${newId()}/file`;
    try {
      await store.put(key, new Uint8Array([0, 1, 2]));
      await store.put(key, new Uint8Array([0, 255]));
    } finally {
      await store.close();
    }
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE key = $1', [key]);
      assert.deepEqual(
        rows.map((row) => [...row.bytes]),
        [[0, 255]],
      );
    } finally {
      await client.end();
    }
  });

  it('rejects every call with unavailable, naming the server, when PostgreSQL is not there', async () => {
    const port = await freePort();
    const nowhere = `postgres://hearth@127.0.0.1:${port}/hearth`;
    const where = new RegExp(`in PostgreSQL at 127\\.0\\.0\\.1:${port}/hearth: .*ECONNREFUSED`);
    await withStore(new BlobStorePostgres(nowhere), async (store) => {
      await assert.rejects(store.put('files/a', new Uint8Array([1])), isUnavailable(new RegExp(`^cannot put blob files/a ${where.source}`)));
      await assert.rejects(store.get('files/a'), isUnavailable(where));
      await assert.rejects(store.delete('files/a'), isUnavailable(where));
      await assert.rejects(store.ping(), isUnavailable(where));
      await assert.rejects(store.keys('files/')[Symbol.asyncIterator]().next(), isUnavailable(where));
    });
    await assert.rejects(BlobStorePostgres.open(nowhere), isUnavailable(where));
  });

  it('refuses to open on a database without the blobs table (the Store has not migrated it)', async () => {
    const bare = await server.createDatabase('bare');
    await assert.rejects(
      BlobStorePostgres.open(bare),
      isUnavailable(/^cannot reach the blobs table in PostgreSQL at .*\/bare: relation "blobs" does not exist$/),
    );
  });
});
