import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, PASSWORD, type HearthClient } from './client.ts';
import { MAIN_PATH, startHearth, type Hearth } from './harness.ts';
import type { Message } from './protocol.ts';

/**
 * `hearth chat`, the command-line client, against a real Hearth of the tier under test: sign in
 * (the session kept in a file only its owner reads), list rooms, post from standard input, post as
 * a bot with its token, and tail a room across a restart of the server with every message shown
 * once, in order; messages posted while it was cut off come when it reconnects.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `hearth chat <args>` to the end, `input` on its standard input. */
function chat(args: readonly string[], env: Readonly<Record<string, string>>, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_PATH, 'chat', ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A running `hearth chat tail --json`: the messages it has printed, as they come. */
interface Tail {
  readonly shown: Message[];
  readonly stderr: () => string;
  stop(): Promise<number | null>;
}

function startTail(room: string, env: Readonly<Record<string, string>>): Tail {
  const child: ChildProcess = spawn(process.execPath, [MAIN_PATH, 'chat', 'tail', room, '--json', '--history', '0'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const shown: Message[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  void (async () => {
    for await (const line of createInterface({ input: child.stdout! })) shown.push(JSON.parse(line) as Message);
  })();
  return {
    shown,
    stderr: () => stderr,
    stop: async () => {
      const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
      child.kill('SIGINT');
      return closed;
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('hearth chat', { timeout: 240_000 }, () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let work: string;
  let env: Record<string, string>;
  let roomId: string;

  before(async () => {
    hearth = await startHearth();
    ({ admin } = await createTeam(hearth.url, 0));
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
    work = await mkdtemp(path.join(tmpdir(), 'hearth-chat-'));
    env = { HEARTH_CHAT_SESSION: path.join(work, 'session.json') };
  });
  after(async () => {
    await hearth?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('signs in with the password on standard input, keeping the session readable by its owner only', async () => {
    const wrong = await chat(['login', '--url', hearth.url, '--email', 'ada@example.com'], env, 'not the password\n');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^hearth chat login: POST \/api\/session answered 401: /);
    const run = await chat(['login', '--url', hearth.url, '--email', 'ada@example.com'], env, `${PASSWORD}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /signed in to .* as Ada Admin/);
    assert.equal((await stat(env['HEARTH_CHAT_SESSION']!)).mode & 0o777, 0o600);
  });

  it('lists the rooms, and posts from standard input to a room named by its name', async () => {
    const rooms = await chat(['rooms'], env);
    assert.equal(rooms.code, 0, rooms.stderr);
    assert.match(rooms.stdout, new RegExp(`^${roomId}  #${DEFAULT_ROOM}`, 'm'));
    const posted = await chat(['post', DEFAULT_ROOM], env, 'line one\nline two\n');
    assert.equal(posted.code, 0, posted.stderr);
    const last = (await admin.allMessages(roomId)).at(-1);
    assert.deepEqual([last?.id, last?.body], [posted.stdout.trim(), 'line one\nline two']);
    const nowhere = await chat(['post', 'no such room', 'hi'], env);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /you are in no room named or numbered "no such room"/);
  });

  it('posts as a bot with its token', async () => {
    const bot = await admin.call<{ userId: string }>('POST', '/api/admin/bots', { name: 'Cron', webhookUrl: null, roomIds: [roomId] }, [201]);
    const { token } = await admin.call<{ token: string }>('POST', `/api/admin/bots/${bot.userId}/tokens`, { name: 'cli', roomIds: [roomId] }, [201]);
    const run = await chat(['post', roomId, 'nightly build green'], { HEARTH_URL: hearth.url, HEARTH_TOKEN: token });
    assert.equal(run.code, 0, run.stderr);
    const last = (await admin.allMessages(roomId)).at(-1);
    assert.deepEqual([last?.authorId, last?.body], [bot.userId, 'nightly build green']);
  });

  it('tails a room across a server restart: every message once, in order, those posted while it was away included', async () => {
    const tail = startTail(DEFAULT_ROOM, env);
    try {
      const posted: string[] = [];
      const post = async (body: string): Promise<void> => {
        posted.push((await admin.post(roomId, body, `tail-${body}`)).id);
      };
      // Posted until the tail shows one: then it is following.
      for (let i = 0; tail.shown.length === 0; i++) {
        assert.ok(i < 15, `the tail shows nothing: ${tail.stderr()}`);
        await post(`warm-up ${i}`);
        await until('the tail following', () => tail.shown.length > 0, 2_000).catch(() => undefined);
      }
      for (let i = 0; i < 5; i++) await post(`before ${i}`);
      await until('the messages before the restart', () => tail.shown.length >= posted.length - posted.indexOf(tail.shown[0]!.id));
      await hearth.restart();
      // At once, before the tail's back-off lets it reconnect: these come with its resume.
      for (let i = 0; i < 5; i++) await post(`after ${i}`);
      const expected = posted.slice(posted.indexOf(tail.shown[0]!.id));
      await until('every message shown', () => tail.shown.length >= expected.length);
      assert.deepEqual(
        tail.shown.map((message) => message.id),
        expected,
        'each once, in order',
      );
      const seqs = tail.shown.map((message) => message.seq);
      assert.ok(
        seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!),
        `in sequence order: ${seqs.join(', ')}`,
      );
      assert.match(tail.stderr(), /connection lost/, 'it did lose the connection');
    } finally {
      assert.equal(await tail.stop(), 0, 'Ctrl-C ends it with status 0');
    }
  });

  it('signs out: the session file goes, and the next command says how to sign in', async () => {
    const run = await chat(['logout'], env);
    assert.equal(run.code, 0, run.stderr);
    const after = await chat(['rooms'], env);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /^hearth chat rooms: not signed in: run hearth chat login/);
  });
});
