import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, UsageError } from './command.ts';

describe('hearth backup and hearth restore arguments', () => {
  const accepted: readonly (readonly [readonly string[], unknown])[] = [
    [['backup', '--to', '/backups'], { kind: 'backup', to: '/backups', retention: undefined, spec: undefined, locationFile: undefined, includeSecrets: false }],
    [
      ['backup', '--to=s3://b1x/p', '--retention', '7', '--spec', 'spec.json'],
      { kind: 'backup', to: 's3://b1x/p', retention: 7, spec: 'spec.json', locationFile: undefined, includeSecrets: false },
    ],
    [
      ['backup', '--to', '/b', '--location-file', '/dev/termination-log'],
      { kind: 'backup', to: '/b', retention: undefined, spec: undefined, locationFile: '/dev/termination-log', includeSecrets: false },
    ],
    [['restore', '--from', 'a.ndjson.gz'], { kind: 'restore', from: 'a.ndjson.gz', includeSecrets: false }],
    [['restore', '--from', 's3://b1x/k', '--include-secrets'], { kind: 'restore', from: 's3://b1x/k', includeSecrets: true }],
  ];
  for (const [argv, command] of accepted) {
    it(`reads ${argv.join(' ')}`, () => assert.deepEqual(parseCommand(argv), command));
  }

  const refused: readonly (readonly [readonly string[], RegExp])[] = [
    [['backup'], /^hearth backup needs --to DIR or --to s3:\/\/bucket\/prefix$/],
    [['backup', '--to', ''], /^hearth backup needs --to/],
    [['backup', '--to', '/b', '--retention', '0'], /^hearth backup --retention must be a whole number of archives, 1 or more \(got "0"\)$/],
    [['backup', '--to', '/b', '--retention', '2.5'], /--retention must be a whole number/],
    [['backup', '--to', '/b', '--keep', '3'], /^hearth backup: Unknown option '--keep'$/],
    [['backup', '--to'], /^hearth backup: Option '--to <value>' argument missing$/],
    [['backup', '--to', '/b', 'extra'], /^hearth backup: Unexpected argument 'extra'$/],
    [['restore'], /^hearth restore needs --from FILE or --from s3:\/\/bucket\/key$/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(' ') || '(nothing)'} with one line`, () =>
      assert.throws(
        () => parseCommand(argv),
        (error) => error instanceof UsageError && message.test(error.message),
      ));
  }
});
