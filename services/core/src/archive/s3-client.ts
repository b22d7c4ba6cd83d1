import { S3Client } from '@aws-sdk/client-s3';
import { HearthError, type ErrorCode } from '../errors.ts';
import type { S3Config } from './s3-config.ts';

/**
 * The S3 client and its errors, shared by the archives (archive-store-s3.ts) and the Blob store
 * (blob-s3.ts): one set of settings that S3-compatible servers accept, and one way of saying
 * in a line what a failed call was and why.
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    // The SDK's default adds CRC checksums that several S3-compatible servers refuse or do not
    // send back; the archive carries its own SHA-256 (archive-format.ts), so only what S3 requires.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The caller's one line says what failed; the SDK's own warnings would be more lines.
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

/** How a caller reports a failed S3 call: with which code, and what a missing key is to it. */
export interface S3Failure {
  /** `invalid_request` for a command the operator runs (backup), `unavailable` for a service's storage. */
  readonly code: ErrorCode;
  /** What S3's NoSuchKey means here ("no such archive"). */
  readonly noSuchKey: string;
}

/** An S3 call whose failure is one line: what was tried, and S3's error code and words. */
export async function s3Call<T>(failure: S3Failure, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new HearthError(failure.code, `cannot ${what}: ${s3Reason(error, failure.noSuchKey)}`, { cause: error });
  }
}

/** What S3's errors mean, by name, or by HTTP status for a HEAD request (which gets no error body). */
const S3_WORDS: Readonly<Record<string, string>> = {
  NoSuchBucket: 'no such bucket',
  '404': 'no such bucket',
  '403': "access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the key's rights on the bucket)",
};

/** One line for an S3 client's error: what it means here, else its name and its message's first line. */
export function s3Reason(error: unknown, noSuchKey = 'no such key'): string {
  if (!(error instanceof Error)) return String(error);
  const words = error.name === 'NoSuchKey' ? noSuchKey : wordsFor(error);
  if (words !== undefined) return words;
  const message = error.message.split('\n')[0] ?? '';
  return message === '' || message === error.name || message === 'UnknownError' ? error.name : `${error.name}: ${message}`;
}

function wordsFor(error: Error): string | undefined {
  const status = httpStatusOf(error);
  return S3_WORDS[error.name] ?? (status === undefined ? undefined : S3_WORDS[String(status)]);
}

/**
 * True when a GET found no object under the key: NoSuchKey, or a bare 404 from a server that
 * sends no error code; never a missing bucket, which is a fault to report, not an empty answer.
 */
export function isS3NoSuchKey(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'NoSuchBucket') return false;
  return error.name === 'NoSuchKey' || httpStatusOf(error) === 404;
}

function httpStatusOf(error: Error): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
