import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '../errors.ts';
import { isS3NoSuchKey, s3Call, s3Reason } from './s3-client.ts';

/** An error as the S3 client throws it: a name (S3's error code) and the response's status. */
function s3Error(name: string, message: string, status?: number): Error {
  return Object.assign(new Error(message), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });
}

describe('s3Reason', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a missing key, in the caller words', s3Error('NoSuchKey', 'The specified key does not exist.', 404), 'no such archive'],
    ['a missing bucket', s3Error('NoSuchBucket', 'The specified bucket does not exist', 404), 'no such bucket'],
    ['a HEAD of a missing bucket (no error body)', s3Error('NotFound', 'UnknownError', 404), 'no such bucket'],
    [
      'refused credentials',
      s3Error('SignatureDoesNotMatch', 'no', 403),
      "access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the key's rights on the bucket)",
    ],
    ['a connection error', s3Error('Error', 'connect ECONNREFUSED 127.0.0.1:1'), 'Error: connect ECONNREFUSED 127.0.0.1:1'],
    [
      'a multi-line message, first line only',
      s3Error('InternalError', 'We encountered an internal error.\nPlease try again.', 500),
      'InternalError: We encountered an internal error.',
    ],
    ['an error without words', s3Error('SlowDown', 'UnknownError', 503), 'SlowDown'],
    ['not an Error', 'boom', 'boom'],
  ];
  for (const [what, error, reason] of cases) it(what, () => assert.equal(s3Reason(error, 'no such archive'), reason));

  it('calls a missing key "no such key" when the caller has no word for it', () => {
    assert.equal(s3Reason(s3Error('NoSuchKey', 'x', 404)), 'no such key');
  });
});

describe('isS3NoSuchKey', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['NoSuchKey', s3Error('NoSuchKey', 'x', 404), true],
    ['a bare 404', s3Error('NotFound', 'UnknownError', 404), true],
    ['a missing bucket, though a 404', s3Error('NoSuchBucket', 'x', 404), false],
    ['access denied', s3Error('AccessDenied', 'x', 403), false],
    ['a connection error', s3Error('Error', 'connect ECONNREFUSED'), false],
    ['not an Error', 'NoSuchKey', false],
  ];
  for (const [what, error, missing] of cases) it(what, () => assert.equal(isS3NoSuchKey(error), missing));
});

describe('s3Call', () => {
  it('passes the answer through', async () => {
    assert.equal(await s3Call({ code: 'unavailable', noSuchKey: 'no such blob' }, 'get s3://b/k', () => Promise.resolve(42)), 42);
  });

  it('throws one line with the code the caller gives, and the cause', async () => {
    const cause = s3Error('NoSuchKey', 'The specified key does not exist.', 404);
    for (const code of ['invalid_request', 'unavailable'] as const) {
      await assert.rejects(
        s3Call({ code, noSuchKey: 'no such archive' }, 'read s3://b/k', () => Promise.reject(cause)),
        (error) => error instanceof HearthError && error.code === code && error.message === 'cannot read s3://b/k: no such archive' && error.cause === cause,
      );
    }
  });
});
