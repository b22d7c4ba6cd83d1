import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, UsageError, type Command } from './command.ts';

describe('parseCommand', () => {
  const cases: readonly (readonly [readonly string[], Command])[] = [
    [[], { kind: 'serve', argv: [] }],
    [['--target=gateway'], { kind: 'serve', argv: ['--target=gateway'] }],
    [['--target', 'realtime'], { kind: 'serve', argv: ['--target', 'realtime'] }],
    [['export', '--out', 'a.ndjson'], { kind: 'export', out: 'a.ndjson' }],
    [['export', '--out=-'], { kind: 'export', out: '-' }],
    [['import', '--in', 'b.ndjson'], { kind: 'import', input: 'b.ndjson' }],
    [['import', '--in=b.ndjson'], { kind: 'import', input: 'b.ndjson' }],
    [['writes', 'pause', '--reason', 'moving to the single tier'], { kind: 'writes', action: 'pause', reason: 'moving to the single tier' }],
    [['writes', 'pause', '--reason=copy'], { kind: 'writes', action: 'pause', reason: 'copy' }],
    [['writes', 'resume'], { kind: 'writes', action: 'resume' }],
    [['writes', 'status'], { kind: 'writes', action: 'status' }],
    [['migrate'], { kind: 'migrate' }],
    [['chat', 'tail', 'general', '--json'], { kind: 'chat', args: ['tail', 'general', '--json'] }],
    [['--help'], { kind: 'help' }],
    [['help'], { kind: 'help' }],
  ];
  for (const [argv, command] of cases) {
    it(`hearth ${argv.join(' ')}`, () => assert.deepEqual(parseCommand(argv), command));
  }

  const refused: readonly (readonly [readonly string[], RegExp])[] = [
    [['export'], /hearth export needs --out FILE/],
    [['export', '--out'], /hearth export needs --out FILE/],
    [['export', '--out='], /hearth export needs --out FILE/],
    [['import', '--out', 'x'], /hearth import needs --in FILE/],
    [['import', '--in', 'x', 'y'], /takes only --in FILE \(got also y\)/],
    [['export', '--out=x', '--force'], /takes only --out FILE \(got also --force\)/],
    [['writes'], /hearth writes needs pause, resume or status/],
    [['writes', 'pause'], /needs --reason TEXT/],
    [['writes', 'pause', '--reason', ' '], /needs --reason TEXT/],
    [['writes', 'pause', '--reason', 'a', 'b'], /takes only --reason TEXT/],
    [['writes', 'status', 'now'], /takes no arguments \(got now\)/],
    [['migrate', '--from', 'x'], /hearth migrate takes no arguments \(got --from x\)/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses hearth ${argv.join(' ')}`, () =>
      assert.throws(
        () => parseCommand(argv),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      ));
  }
});
