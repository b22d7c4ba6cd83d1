import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type StoreConfig } from '@hearth/core';
import { isSameStore, leaseTimingOf, sourceStoreOf, storeName } from './migrate-stores.ts';

describe('sourceStoreOf', () => {
  const read: readonly (readonly [string, Record<string, string>, StoreConfig])[] = [
    ['a data directory, against the working directory', { HEARTH_SOURCE_DATA_DIR: 'old' }, { type: 'sqlite', path: '/srv/old/hearth.db' }],
    ['an absolute data directory', { HEARTH_SOURCE_DATA_DIR: '/data' }, { type: 'sqlite', path: '/data/hearth.db' }],
    [
      'a PostgreSQL URL',
      { HEARTH_SOURCE_DATABASE_URL: 'postgres://h:p@db:5433/hearth' },
      { type: 'postgres', url: 'postgres://h:p@db:5433/hearth', poolSize: 2 },
    ],
    ['an empty URL beside a directory', { HEARTH_SOURCE_DATABASE_URL: ' ', HEARTH_SOURCE_DATA_DIR: '/data' }, { type: 'sqlite', path: '/data/hearth.db' }],
  ];
  for (const [what, env, config] of read) it(`reads ${what}`, () => assert.deepEqual(sourceStoreOf(env, '/srv'), config));

  const refused: readonly (readonly [string, Record<string, string>, RegExp])[] = [
    ['neither', {}, /needs the store to copy from: HEARTH_SOURCE_DATABASE_URL, or HEARTH_SOURCE_DATA_DIR/],
    ['both', { HEARTH_SOURCE_DATABASE_URL: 'postgres://db/h', HEARTH_SOURCE_DATA_DIR: '/data' }, /not both/],
    ['a URL that is not PostgreSQL', { HEARTH_SOURCE_DATABASE_URL: 'mysql://db/h' }, /HEARTH_SOURCE_DATABASE_URL must be a postgres:\/\/ URL/],
  ];
  for (const [what, env, message] of refused) {
    it(`refuses ${what}`, () =>
      assert.throws(
        () => sourceStoreOf(env, '/srv'),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      ));
  }
});

describe('storeName', () => {
  it('names a file, or a server and database without credentials', () => {
    assert.equal(storeName({ type: 'sqlite', path: '/data/hearth.db' }), 'SQLite /data/hearth.db');
    assert.equal(storeName({ type: 'postgres', url: 'postgres://hearth:secret@db:5433/hearth', poolSize: 1 }), 'PostgreSQL db:5433/hearth');
    assert.equal(storeName({ type: 'postgres', url: 'postgresql://db/hearth', poolSize: 1 }), 'PostgreSQL db:5432/hearth');
  });
  it('tells the same store apart from another, whatever the credentials', () => {
    const a: StoreConfig = { type: 'postgres', url: 'postgres://a:x@db/hearth', poolSize: 1 };
    assert.equal(isSameStore(a, { type: 'postgres', url: 'postgres://b:y@db:5432/hearth', poolSize: 9 }), true);
    assert.equal(isSameStore(a, { type: 'postgres', url: 'postgres://a:x@db/other', poolSize: 1 }), false);
  });
});

describe('leaseTimingOf', () => {
  it('is a minute, renewed every 10 s, unless set', () => {
    assert.deepEqual(leaseTimingOf({}), { leaseSeconds: 60, renewEveryMs: 10_000 });
    assert.deepEqual(leaseTimingOf({ HEARTH_MIGRATE_LEASE_SECONDS: '6' }), { leaseSeconds: 6, renewEveryMs: 1_000 });
  });
  for (const bad of ['1', '1.5', 'soon', '3601']) {
    it(`refuses ${bad}`, () =>
      assert.throws(
        () => leaseTimingOf({ HEARTH_MIGRATE_LEASE_SECONDS: bad }),
        /HEARTH_MIGRATE_LEASE_SECONDS must be a whole number of seconds from 2 to 3600/,
      ));
  }
});
