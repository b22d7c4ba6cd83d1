import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatUsageError, parseChatArgs } from './chat-args.ts';

describe('hearth chat arguments', () => {
  it('reads each command', () => {
    const cases: [string[], unknown][] = [
      [
        ['login', '--url', 'https://chat.acme.example/', '--email', 'ada@acme.example'],
        { kind: 'login', url: 'https://chat.acme.example', email: 'ada@acme.example' },
      ],
      [['login', '--url=http://127.0.0.1:8080', '--email=ada@acme.example'], { kind: 'login', url: 'http://127.0.0.1:8080', email: 'ada@acme.example' }],
      [['logout'], { kind: 'logout' }],
      [['rooms'], { kind: 'rooms', json: false }],
      [['rooms', '--json'], { kind: 'rooms', json: true }],
      [['post', 'general', 'hello', 'there'], { kind: 'post', room: 'general', text: 'hello there' }],
      [['post', 'general'], { kind: 'post', room: 'general', text: null }],
      [['tail', 'general'], { kind: 'tail', room: 'general', history: 20, json: false }],
      [['tail', 'general', '--json', '--history', '0'], { kind: 'tail', room: 'general', history: 0, json: true }],
      [['tail', 'general', '--history=100'], { kind: 'tail', room: 'general', history: 100, json: false }],
    ];
    for (const [args, want] of cases) assert.deepEqual(parseChatArgs(args), want, args.join(' '));
  });

  it('refuses what it cannot read, in one line naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [[], /needs a command/],
      [['dance'], /no command "dance"/],
      [['login', '--email', 'a@b.c'], /login needs --url/],
      [['login', '--url', 'chat.acme.example', '--email', 'a@b.c'], /--url must be an http/],
      [['login', '--url', 'https://x', '--email'], /--email needs a value/],
      [['login', '--url', 'https://x', '--email', 'a@b.c', '--password', 'secret'], /unexpected "--password"/],
      [['logout', 'now'], /unexpected "now"/],
      [['rooms', '--all'], /unexpected "--all"/],
      [['post'], /post needs a ROOM/],
      [['tail', '--json'], /tail needs a ROOM/],
      [['tail', 'general', '--history', '101'], /--history must be a number from 0 to 100/],
      [['tail', 'general', '--history', 'lots'], /--history must be a number/],
    ];
    for (const [args, message] of cases)
      assert.throws(
        () => parseChatArgs(args),
        (error: unknown) => error instanceof ChatUsageError && message.test(error.message),
        args.join(' '),
      );
  });
});
