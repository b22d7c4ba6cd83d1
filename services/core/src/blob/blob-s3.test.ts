import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { freePort, startSeaweedfs, type S3Server } from '@hearth/harness';
import { createS3Client } from '../archive/s3-client.ts';
import { parseS3Config, type S3Config } from '../archive/s3-config.ts';
import { HearthError } from '../errors.ts';
import { newId } from '../ids.ts';
import { runBlobContract } from './blob-contract.ts';
import { BlobStoreS3 } from './blob-s3.ts';
import { createBlobStore } from './create-blob-store.ts';

const BUCKET = 'hearth-files';

let server: S3Server;
/** What HEARTH_S3_* and AWS_* give, as the services read them. */
let s3: S3Config;

before(async () => {
  server = await startSeaweedfs();
  await server.createBucket(BUCKET);
  s3 = parseS3Config(server.env);
});
after(async () => {
  await server.stop();
});

// Two keys a request, so that every listing of more than two keys crosses pages.
runBlobContract('BlobStoreS3', () => BlobStoreS3.open({ bucket: BUCKET, prefix: 'team/files', s3, keysPage: 2 }));
runBlobContract('BlobStoreS3 at the top of the bucket, through createBlobStore', () => createBlobStore({ type: 's3', bucket: BUCKET, prefix: '', s3 }));

async function keysOf(store: BlobStoreS3, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys(prefix)) keys.push(key);
  return keys;
}

async function withStore(store: BlobStoreS3, use: (store: BlobStoreS3) => Promise<void>): Promise<void> {
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

function isUnavailable(message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HearthError, `not a HearthError: ${String(error)}`);
    assert.equal(error.code, 'unavailable');
    assert.match(error.message, message);
    return true;
  };
}

describe('BlobStoreS3', () => {
  it('names objects <prefix>/<key>, whatever slashes the prefix was given with', async () => {
    const id = newId();
    await withStore(await BlobStoreS3.open({ bucket: BUCKET, prefix: '/acme/files/', s3 }), async (store) => {
      await store.put(`${id}/plain`, new Uint8Array([1]));
      await store.put(`${id}/file/thumbnail`, new Uint8Array([2]));
    });
    // Read with the filer's API, not with the S3 client under test.
    assert.deepEqual(await server.listObjects(BUCKET, `acme/files/${id}`), ['plain']);
    assert.deepEqual(await server.listObjects(BUCKET, `acme/files/${id}/file`), ['thumbnail']);
  });

  it('does not list objects under its prefix whose names are not keys', async () => {
    const id = newId();
    const client = createS3Client(s3);
    try {
      for (const name of ['Upper', 'a b', 'ok'])
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `stray/${id}/${name}`, Body: new Uint8Array([1]), ContentLength: 1 }));
    } finally {
      client.destroy();
    }
    await withStore(await BlobStoreS3.open({ bucket: BUCKET, prefix: 'stray', s3 }), async (store) => {
      assert.deepEqual(await keysOf(store, `${id}/`), [`${id}/ok`]);
    });
  });
});

describe('BlobStoreS3 failures', () => {
  it('refuses to open on a missing bucket, naming it; a get there fails rather than finding nothing', async () => {
    const options = { bucket: 'hearth-no-such-bucket', prefix: 'files', s3 };
    await assert.rejects(BlobStoreS3.open(options), isUnavailable(/^cannot use s3:\/\/hearth-no-such-bucket: no such bucket$/));
    await withStore(new BlobStoreS3(options), async (store) => {
      await assert.rejects(store.get('files/a'), isUnavailable(/^cannot get s3:\/\/hearth-no-such-bucket\/files\/files\/a: no such bucket$/));
      await assert.rejects(store.delete('files/a'), isUnavailable(/^cannot delete s3:\/\/hearth-no-such-bucket\/files\/files\/a: no such bucket$/));
      await assert.rejects(keysOf(store, 'files/'), isUnavailable(/^cannot list s3:\/\/hearth-no-such-bucket\/files\/files\/: no such bucket$/));
      await assert.rejects(store.ping(), isUnavailable(/no such bucket/));
    });
  });

  it('reports refused credentials as access denied', async () => {
    const wrong: S3Config = { ...s3, credentials: { accessKeyId: 'hearth-test-key', secretAccessKey: 'not-the-secret' } };
    await assert.rejects(BlobStoreS3.open({ bucket: BUCKET, prefix: '', s3: wrong }), isUnavailable(/^cannot use s3:\/\/hearth-files: access denied/));
    await withStore(new BlobStoreS3({ bucket: BUCKET, prefix: '', s3: wrong }), async (store) => {
      await assert.rejects(store.put('files/a', new Uint8Array([1])), isUnavailable(/^cannot put s3:\/\/hearth-files\/files\/a: /));
    });
  });

  it('rejects a put with unavailable when nothing listens at the endpoint', async () => {
    const closed: S3Config = { ...s3, endpoint: `http://127.0.0.1:${await freePort()}` };
    await withStore(new BlobStoreS3({ bucket: BUCKET, prefix: '', s3: closed }), async (store) => {
      await assert.rejects(store.put('files/a', new Uint8Array([1])), isUnavailable(/^cannot put s3:\/\/hearth-files\/files\/a: .*ECONNREFUSED/));
    });
  });
});
