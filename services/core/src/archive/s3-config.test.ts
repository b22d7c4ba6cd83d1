import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseS3Config } from './s3-config.ts';

describe('parseS3Config', () => {
  it('defaults to AWS: no endpoint, us-east-1, virtual-host style, the SDK finding credentials', () => {
    assert.deepEqual(parseS3Config({}), { endpoint: undefined, region: 'us-east-1', forcePathStyle: false, credentials: undefined });
  });

  it('reads an S3-compatible server: its endpoint, path style by default, static keys', () => {
    const config = parseS3Config({ HEARTH_S3_ENDPOINT: 'http://127.0.0.1:8333', AWS_REGION: 'eu-west-3', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
    assert.deepEqual(config, {
      endpoint: 'http://127.0.0.1:8333',
      region: 'eu-west-3',
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
    assert.equal(parseS3Config({ HEARTH_S3_ENDPOINT: 'https://s3.example.com', HEARTH_S3_FORCE_PATH_STYLE: 'false' }).forcePathStyle, false);
    assert.equal(parseS3Config({ HEARTH_S3_REGION: 'a', AWS_REGION: 'b' }).region, 'a');
  });

  const refused: readonly (readonly [Record<string, string>, RegExp])[] = [
    [{ HEARTH_S3_ENDPOINT: 'localhost:8333' }, /^HEARTH_S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    [{ HEARTH_S3_FORCE_PATH_STYLE: 'yes' }, /^HEARTH_S3_FORCE_PATH_STYLE must be true or false/],
    [{ AWS_ACCESS_KEY_ID: 'k' }, /^AWS_SECRET_ACCESS_KEY must be set with the other/],
    [{ AWS_SECRET_ACCESS_KEY: 's' }, /^AWS_ACCESS_KEY_ID must be set with the other/],
  ];
  for (const [env, message] of refused) {
    it(`refuses ${JSON.stringify(env)}, naming the variable`, () => assert.throws(() => parseS3Config(env), { message }));
  }
});
