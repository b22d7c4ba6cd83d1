import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readSecretsKey } from './secrets-key.ts';

describe('the --key-file passphrase', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-key-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const keyIn = async (name: string, content: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return file;
  };
  const key = 'x'.repeat(32);

  it('is the same with or without one trailing newline (echo, openssl, a Secret made from a literal)', async () => {
    for (const [name, content] of [
      ['plain', key],
      ['lf', `${key}\n`],
      ['crlf', `${key}\r\n`],
    ] as const)
      assert.equal((await readSecretsKey(await keyIn(name, content))).toString(), key, name);
  });

  it('refuses fewer than 32 bytes, and a file that is not there', async () => {
    await assert.rejects(readSecretsKey(await keyIn('shorter', 'abc\n')), {
      message: `the key in ${path.join(dir, 'shorter')} is 3 bytes; give at least 32 (e.g. openssl rand -base64 32)`,
    });
    await assert.rejects(readSecretsKey(path.join(dir, 'none')), { message: `cannot read the key file ${path.join(dir, 'none')}: ENOENT` });
  });
});
