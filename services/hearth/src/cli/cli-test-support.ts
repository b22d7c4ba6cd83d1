import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Room } from '@hearth/core';
import { call, joinAs, setUpAccount } from '@hearth/testing';
import { startTestServer } from '../test-server.ts';

const HEARTH = path.resolve(import.meta.dirname, '../../bin/hearth');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `hearth <args>` as a person runs it, with only the variables given (and PATH). */
export async function hearth(args: readonly string[], env: Readonly<Record<string, string>>): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(HEARTH, [...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** An embedded Hearth's data directory with people, rooms, messages, an edit, a deletion and a boost, made through the API. */
export async function seededDataDir(): Promise<string> {
  const server = await startTestServer();
  const admin = await setUpAccount(server.app);
  const bob = await joinAs(server.app, admin, 'Bob');
  for (const name of ['general', 'random']) {
    const room = (await call(server.app, 'POST', '/api/rooms', { session: admin, body: { name, kind: 'open' } })).json<Room>();
    await call(server.app, 'POST', `/api/rooms/${room.id}/join`, { session: bob });
    for (let i = 0; i < 30; i++) {
      const author = i % 2 === 0 ? admin : bob;
      const posted = await call(server.app, 'POST', `/api/rooms/${room.id}/messages`, {
        session: author,
        body: { body: `${name} ${i} café`, clientMessageId: `${name}-${i}` },
      });
      assert.equal(posted.statusCode, 201, posted.body);
    }
  }
  const dataDir = server.config.store.type === 'sqlite' ? path.dirname(server.config.store.path) : '';
  const copy = await mkdtemp(path.join(tmpdir(), 'hearth-records-'));
  await server.app.close();
  for (const name of await readdir(dataDir)) if (name.startsWith('hearth.db')) await writeFile(path.join(copy, name), await readFile(path.join(dataDir, name)));
  await server.stop();
  return copy;
}

/** Secrets as kubelet mounts them: each key a symlink into `..data`, itself a symlink to a timestamped directory. */
export async function kubeletMount(dir: string, secrets: Readonly<Record<string, Readonly<Record<string, string>>>>): Promise<void> {
  for (const [name, data] of Object.entries(secrets)) {
    const volume = path.join(dir, name);
    const stamp = '..2026_12_05_02_00_00.123456789';
    await mkdir(path.join(volume, stamp), { recursive: true });
    await symlink(stamp, path.join(volume, '..data'));
    for (const [key, value] of Object.entries(data)) {
      await writeFile(path.join(volume, stamp, key), value);
      await symlink(path.join('..data', key), path.join(volume, key));
    }
  }
}

/** Two Secrets, with values that appear nowhere else in an archive (so finding one there means it leaked). */
export const SECRETS = {
  'acme-db': { password: 'pg-Pa55word-in-the-clear', username: 'db-user-0f3a9c' },
  'acme-oidc': { clientSecret: 'oidc-client-s3cret-value' },
} as const;

/** The one line a refused command writes, and its status. */
export function assertRefused(run: Run, message: RegExp, code = 1): void {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr.trimEnd(), message);
}
