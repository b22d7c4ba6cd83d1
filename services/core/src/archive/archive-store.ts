import type { Readable, Writable } from 'node:stream';
import type { ArchiveDestination, ArchiveSource } from './archive-location.ts';
import type { S3Config } from './s3-config.ts';

/**
 * Where archives are kept: a directory (ArchiveStoreDirectory) or a prefix of an S3 bucket
 * (ArchiveStoreS3, which loads the S3 client only when it is used).
 */
export interface ArchiveStore {
  /** Starts a new archive `name`: nothing of it is visible under that name until `commit`. */
  create(name: string): Promise<ArchiveUpload>;
  /** The names of the files there (not in subfolders). */
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}

export interface ArchiveUpload {
  readonly sink: Writable;
  /** Makes the written archive visible under its name; returns where it is. */
  commit(): Promise<string>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

export async function createArchiveStore(destination: ArchiveDestination, s3: S3Config): Promise<ArchiveStore> {
  switch (destination.type) {
    case 'directory': {
      const { ArchiveStoreDirectory } = await import('./archive-store-directory.ts');
      return new ArchiveStoreDirectory(destination.dir);
    }
    case 's3': {
      const { ArchiveStoreS3 } = await import('./archive-store-s3.ts');
      return new ArchiveStoreS3(s3, destination.bucket, destination.prefix);
    }
  }
}

/** Opens an archive to read; a missing one is an error that says so, before anything is read. */
export async function openArchive(source: ArchiveSource, s3: S3Config): Promise<Readable> {
  switch (source.type) {
    case 'file': {
      const { openArchiveFile } = await import('./archive-store-directory.ts');
      return openArchiveFile(source.path);
    }
    case 's3': {
      const { openArchiveObject } = await import('./archive-store-s3.ts');
      return openArchiveObject(s3, source.bucket, source.key);
    }
  }
}
