import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, isS3NoSuchKey, s3Call, type S3Failure } from '../archive/s3-client.ts';
import type { S3Config } from '../archive/s3-config.ts';
import { answering } from './answering.ts';
import { checkBlobKey, checkBlobKeyPrefix, isBlobKey, type BlobStore } from './blob.ts';

/** A service's storage failing is the server's trouble, not the request's: 503, retry. */
const BLOB_FAILURE: S3Failure = { code: 'unavailable', noSuchKey: 'no such blob' };

export interface BlobStoreS3Options {
  readonly bucket: string;
  /** Objects are named `<prefix>/<key>`; '' puts keys at the bucket's top. */
  readonly prefix: string;
  readonly s3: S3Config;
  /** Keys listed per request by keys() (S3's default and most is 1000; tests make it small, to cross pages). */
  readonly keysPage?: number;
}

/**
 * Blobs as objects under a prefix of an S3-compatible bucket. A PUT is durable when S3 answers
 * it, and S3 lists keys in the byte order of their names, the order keys() promises.
 */
export class BlobStoreS3 implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  /** '' or the prefix with one slash after it. */
  readonly #objectPrefix: string;
  readonly #keysPage: number | undefined;

  /** Sends nothing; open() also checks the bucket. */
  constructor(options: BlobStoreS3Options) {
    const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.#client = createS3Client(options.s3);
    this.#bucket = options.bucket;
    this.#objectPrefix = prefix === '' ? '' : `${prefix}/`;
    this.#keysPage = options.keysPage;
  }

  /**
   * A store whose bucket is there. Some servers make a bucket on the first PUT into it, and a
   * GET from a missing one could read as a missing key: a wrong bucket name is refused here,
   * at start-up, rather than taken as an empty store.
   */
  static async open(options: BlobStoreS3Options): Promise<BlobStoreS3> {
    return answering(new BlobStoreS3(options));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    checkBlobKey(key);
    const objectKey = this.#objectPrefix + key;
    await s3Call(BLOB_FAILURE, `put ${this.#where(objectKey)}`, () =>
      this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: objectKey, Body: bytes, ContentLength: bytes.byteLength })),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkBlobKey(key);
    const objectKey = this.#objectPrefix + key;
    return s3Call(BLOB_FAILURE, `get ${this.#where(objectKey)}`, async () => {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: objectKey })).catch((error: unknown) => {
        if (isS3NoSuchKey(error)) return undefined;
        throw error;
      });
      if (object === undefined) return undefined;
      return object.Body === undefined ? new Uint8Array(0) : object.Body.transformToByteArray();
    });
  }

  async delete(key: string): Promise<void> {
    checkBlobKey(key);
    const objectKey = this.#objectPrefix + key;
    await s3Call(BLOB_FAILURE, `delete ${this.#where(objectKey)}`, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey })));
  }

  /** Objects under the prefix whose names are not keys (put there by something else) are not listed. */
  async *keys(prefix: string): AsyncIterable<string> {
    checkBlobKeyPrefix(prefix);
    const listed = this.#objectPrefix + prefix;
    let token: string | undefined;
    do {
      const page = await s3Call(BLOB_FAILURE, `list ${this.#where(listed)}`, () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: listed, MaxKeys: this.#keysPage, ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.#objectPrefix.length);
        if (key !== undefined && isBlobKey(key)) yield key;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async ping(): Promise<void> {
    await s3Call(BLOB_FAILURE, `use s3://${this.#bucket}`, () => this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket })));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #where(objectKey: string): string {
    return `s3://${this.#bucket}/${objectKey}`;
  }
}
