import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, UsageError } from './command.ts';

describe('hearth backup and hearth restore arguments', () => {
  const accepted: readonly (readonly [readonly string[], unknown])[] = [
    [['backup', '--to', '/backups'], { kind: 'backup', to: '/backups', retention: undefined, spec: undefined, locationFile: undefined, secrets: undefined }],
    [
      ['backup', '--to=s3://b1x/p', '--retention', '7', '--spec', 'spec.json'],
      { kind: 'backup', to: 's3://b1x/p', retention: 7, spec: 'spec.json', locationFile: undefined, secrets: undefined },
    ],
    [
      ['backup', '--to', '/b', '--location-file', '/dev/termination-log'],
      { kind: 'backup', to: '/b', retention: undefined, spec: undefined, locationFile: '/dev/termination-log', secrets: undefined },
    ],
    [['restore', '--from', 'a.ndjson.gz'], { kind: 'restore', from: 'a.ndjson.gz', secrets: undefined }],
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
    [['backup', '--to', '/b', '--include-secrets'], /^hearth backup --include-secrets needs --secrets-dir DIR \(/],
    [['backup', '--to', '/b', '--include-secrets', '--secrets-dir', 'd'], /^hearth backup --include-secrets needs --key-file FILE \(/],
    [['backup', '--to', '/b', '--include-secrets', '--key-file', 'k'], /^hearth backup --include-secrets needs --secrets-dir DIR/],
    [['backup', '--to', '/b', '--secrets-dir', 'd', '--key-file', 'k'], /^hearth backup --secrets-dir needs --include-secrets$/],
    [['backup', '--to', '/b', '--key-file', 'k'], /^hearth backup --key-file needs --include-secrets$/],
    [['backup', '--to', '/b', '--include-secrets', '--secrets-dir', '', '--key-file', 'k'], /^hearth backup --secrets-dir needs a value$/],
    [['restore', '--from', 'a', '--include-secrets'], /^hearth restore --include-secrets needs --key-file FILE \(/],
    [
      ['restore', '--from', 'a', '--include-secrets', '--key-file', 'k'],
      /^hearth restore --include-secrets needs --secrets-out FILE or --secrets-namespace NS$/,
    ],
    [
      ['restore', '--from', 'a', '--include-secrets', '--key-file', 'k', '--secrets-out', 'f', '--secrets-namespace', 'n'],
      /^hearth restore --include-secrets takes only one of --secrets-out FILE or --secrets-namespace NS$/,
    ],
    [['restore', '--from', 'a', '--secrets-out', 'f'], /^hearth restore --secrets-out needs --include-secrets$/],
    [['restore', '--from', 'a', '--key-file', 'k', '--secrets-namespace', 'n'], /^hearth restore --key-file needs --include-secrets$/],
    [
      ['restore', '--from', 'a', '--include-secrets', '--key-file', 'k', '--secrets-namespace', 'Team_A'],
      /^hearth restore --secrets-namespace must be a namespace's name, a DNS-1123 label \(got "Team_A"\)$/,
    ],
    [['backup', '--to', '/b', '--secrets-namespace', 'n'], /^hearth backup: Unknown option '--secrets-namespace'$/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(' ') || '(nothing)'} with one line`, () =>
      assert.throws(
        () => parseCommand(argv),
        (error) => error instanceof UsageError && message.test(error.message),
      ));
  }
});
