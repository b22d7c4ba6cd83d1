import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArchiveDestination, parseArchiveSource } from './archive-location.ts';

describe('archive locations', () => {
  it('reads a directory or s3://bucket/prefix as a destination', () => {
    assert.deepEqual(parseArchiveDestination('/backups/team'), { type: 'directory', dir: '/backups/team' });
    assert.deepEqual(parseArchiveDestination('s3://team-backups'), { type: 's3', bucket: 'team-backups', prefix: '' });
    assert.deepEqual(parseArchiveDestination('s3://team-backups/hearth/prod/'), { type: 's3', bucket: 'team-backups', prefix: 'hearth/prod' });
  });

  it('reads a file or s3://bucket/key as a source', () => {
    assert.deepEqual(parseArchiveSource('./a.ndjson.gz'), { type: 'file', path: './a.ndjson.gz' });
    assert.deepEqual(parseArchiveSource('s3://b1x/p/a.ndjson.gz'), { type: 's3', bucket: 'b1x', key: 'p/a.ndjson.gz' });
  });

  const refused: readonly (readonly [string, () => unknown, RegExp])[] = [
    ['a bucket name S3 does not allow', () => parseArchiveDestination('s3://Bad_Bucket/x'), /has no valid bucket name/],
    ['no bucket', () => parseArchiveDestination('s3:///x'), /has no valid bucket name/],
    ['a source with no key', () => parseArchiveSource('s3://bucket'), /names no archive/],
    ['a source that is a prefix', () => parseArchiveSource('s3://bucket/prefix/'), /names no archive/],
  ];
  for (const [what, parse, message] of refused) {
    it(`refuses ${what}`, () => assert.throws(parse, message));
  }
});
