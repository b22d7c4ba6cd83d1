import type { BlobConfig, BlobStore } from './blob.ts';

/** Loads only the implementation the config names, so a tier never loads a driver it does not use. */
export async function createBlobStore(config: BlobConfig): Promise<BlobStore> {
  switch (config.type) {
    case 'directory': {
      const { BlobStoreDirectory } = await import('./blob-directory.ts');
      return BlobStoreDirectory.open(config.dir);
    }
    case 'postgres': {
      const { BlobStorePostgres } = await import('./blob-postgres.ts');
      return BlobStorePostgres.open(config.url);
    }
    case 's3': {
      const { BlobStoreS3 } = await import('./blob-s3.ts');
      return BlobStoreS3.open({ bucket: config.bucket, prefix: config.prefix, s3: config.s3 });
    }
  }
}
