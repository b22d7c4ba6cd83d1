import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startSeaweedfs } from './seaweedfs.ts';
import { isListening } from './tcp.ts';

describe('SeaweedFS, the S3 server of the backup tests', () => {
  it('starts on loopback, refuses anonymous S3 requests, makes and lists a bucket, and stops leaving its port free', async () => {
    const s3 = await startSeaweedfs();
    const port = Number(new URL(s3.endpoint).port);
    try {
      await s3.createBucket('harness-check');
      assert.deepEqual(await s3.listObjects('harness-check', ''), []);
      assert.deepEqual(await s3.listObjects('harness-check', 'no/such/prefix'), []);
      const anonymous = await fetch(`${s3.endpoint}/harness-check/`);
      assert.equal(anonymous.status, 403, 'the static identity is required');
      await anonymous.body?.cancel();
    } finally {
      await s3.stop();
    }
    assert.equal(await isListening(port), false);
  });
});
