import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveName, archivesBeyondRetention, isArchiveName, secretReferencesOf, type JsonValue } from './archive-format.ts';

describe('archive names and retention', () => {
  it('names an archive by its UTC time, in an order that sorts by age', () => {
    assert.equal(archiveName(new Date('2026-12-05T01:24:00.123Z')), 'hearth-20261205T012400.123Z.ndjson.gz');
    const names = ['2026-12-05T10:00:00.000Z', '2026-12-05T09:59:59.999Z', '2027-01-01T00:00:00.000Z'].map((t) => archiveName(new Date(t)));
    assert.deepEqual([...names].sort(), [names[1], names[0], names[2]]);
    assert.ok(names.every(isArchiveName));
  });

  const cases: readonly (readonly [string, readonly string[], number, readonly string[]])[] = [
    ['fewer than kept', ['hearth-20260101T000000.000Z.ndjson.gz'], 2, []],
    [
      'the oldest beyond the newest N',
      ['hearth-20260103T000000.000Z.ndjson.gz', 'hearth-20260101T000000.000Z.ndjson.gz', 'hearth-20260102T000000.000Z.ndjson.gz'],
      1,
      ['hearth-20260101T000000.000Z.ndjson.gz', 'hearth-20260102T000000.000Z.ndjson.gz'],
    ],
    [
      'never a file of another name',
      [
        'notes.txt',
        'hearth-manual.ndjson.gz',
        '.hearth-20260101T000000.000Z.ndjson.gz.partial',
        'hearth-20260101T000000.000Z.ndjson.gz',
        'hearth-20260102T000000.000Z.ndjson.gz',
      ],
      1,
      ['hearth-20260101T000000.000Z.ndjson.gz'],
    ],
  ];
  for (const [what, names, retention, deleted] of cases) {
    it(`retention: ${what}`, () => assert.deepEqual(archivesBeyondRetention(names, retention), deleted));
  }
});

describe('secretReferencesOf', () => {
  const cases: readonly (readonly [string, JsonValue, ReturnType<typeof secretReferencesOf>])[] = [
    ['no spec', null, []],
    [
      'secret key refs, secretRefs and secret names anywhere, merged by name and sorted',
      {
        auth: { oidc: { clientSecretRef: { name: 'oidc', key: 'clientSecret' } } },
        ingress: { tlsSecretName: 'tls' },
        database: { secretRef: { name: 'db' } },
        more: [{ passwordSecretRef: { name: 'oidc', key: 'other' } }],
      },
      [
        { name: 'db', keys: [] },
        { name: 'oidc', keys: ['clientSecret', 'other'] },
        { name: 'tls', keys: [] },
      ],
    ],
    ['a value is never taken for a reference', { secretRef: 'plain', password: 'hunter2' }, []],
  ];
  for (const [what, spec, references] of cases) {
    it(what, () => assert.deepEqual(secretReferencesOf(spec), references));
  }
});
