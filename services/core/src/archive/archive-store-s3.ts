import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { HearthError } from '../errors.ts';
import { keyOf } from './archive-location.ts';
import type { ArchiveStore, ArchiveUpload } from './archive-store.ts';
import { createS3Client, s3Call, type S3Failure } from './s3-client.ts';
import type { S3Config } from './s3-config.ts';

/** `hearth backup` and `hearth restore` are the operator's commands: what S3 refuses is theirs to fix. */
const ARCHIVE_FAILURE: S3Failure = { code: 'invalid_request', noSuchKey: 'no such archive' };

/**
 * Archives as objects under a prefix of an S3-compatible bucket. An archive is written to a
 * temporary file first and then put as one object of known length: an object appears whole or
 * not at all, and no multipart upload is left behind by a failed backup. (One PUT carries up to
 * 5 GiB, a compressed archive of tens of millions of messages.)
 */
export class ArchiveStoreS3 implements ArchiveStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(config: S3Config, bucket: string, prefix: string) {
    this.#client = createS3Client(config);
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  async create(name: string): Promise<ArchiveUpload> {
    // A missing bucket or a refused key is found before the export rather than after it.
    await s3Call(ARCHIVE_FAILURE, `use s3://${this.#bucket}`, () => this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket })));
    const dir = await mkdtemp(path.join(tmpdir(), 'hearth-backup-'));
    const file = path.join(dir, name);
    const sink = createWriteStream(file);
    const key = keyOf(this.#prefix, name);
    const where = `s3://${this.#bucket}/${key}`;
    return {
      sink,
      commit: async () => {
        await finished(sink);
        try {
          const { size } = await stat(file);
          await s3Call(ARCHIVE_FAILURE, `put ${where}`, () =>
            this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: createReadStream(file), ContentLength: size })),
          );
          return where;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      abort: async () => {
        sink.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  async list(): Promise<string[]> {
    const prefix = this.#prefix === '' ? '' : `${this.#prefix}/`;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3Call(ARCHIVE_FAILURE, `list s3://${this.#bucket}/${prefix}`, () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) names.push(object.Key.slice(prefix.length));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return names;
  }

  async remove(name: string): Promise<void> {
    const key = keyOf(this.#prefix, name);
    await s3Call(ARCHIVE_FAILURE, `delete s3://${this.#bucket}/${key}`, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })));
  }
}

export async function openArchiveObject(config: S3Config, bucket: string, key: string): Promise<Readable> {
  const client = createS3Client(config);
  const object = await s3Call(ARCHIVE_FAILURE, `read s3://${bucket}/${key}`, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  if (!(object.Body instanceof Readable)) throw new HearthError('internal', `read s3://${bucket}/${key}: the S3 client gave no stream`);
  return object.Body;
}
