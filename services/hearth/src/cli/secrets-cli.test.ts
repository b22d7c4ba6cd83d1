import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { assertRefused, hearth, kubeletMount, SECRETS, seededDataDir, type Run } from './cli-test-support.ts';

/**
 * `hearth backup --include-secrets` and `hearth restore --include-secrets --secrets-out` as a
 * person runs them: the Secrets read from a directory laid out as kubelet mounts Secret volumes,
 * the archive holding no value in the clear, and the values given back only with the right key.
 */

interface SecretList {
  apiVersion: string;
  kind: string;
  items: { apiVersion: string; kind: string; type: string; metadata: { name: string; annotations: Record<string, string> }; data: Record<string, string> }[];
}

describe('hearth backup and restore --include-secrets', () => {
  let work: string;
  let source: string;
  let mounted: string;
  let keyFile: string;
  let archive: string;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hearth-secrets-'));
    source = await seededDataDir();
    mounted = path.join(work, 'secrets');
    await kubeletMount(mounted, SECRETS);
    keyFile = path.join(work, 'key');
    await writeFile(keyFile, 'dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciB0ZXN0cyEh\n');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  });

  it('backs the mounted Secrets up encrypted: no value in the archive, names only on stderr', async () => {
    const archives = path.join(work, 'archives');
    const run = await hearth(['backup', '--to', archives, '--include-secrets', '--secrets-dir', mounted, '--key-file', keyFile], { HEARTH_DATA_DIR: source });
    assert.equal(run.code, 0, run.stderr);
    archive = run.stdout.trim();
    assert.match(run.stderr, /hearth backup: encrypting the values of 2 Secrets into the archive: acme-db, acme-oidc\n/);
    const text = gunzipSync(await readFile(archive)).toString('utf8');
    for (const value of Object.values(SECRETS).flatMap((data) => Object.values(data))) {
      assert.ok(!text.includes(value) && !text.includes(Buffer.from(value).toString('base64')), `the archive holds ${value}`);
      assert.ok(!run.stderr.includes(value) && !run.stdout.includes(value));
    }
    const header = (JSON.parse(text.split('\n')[0]!) as { archive: { encryptedSecrets: { names: string[]; cipher: string } } }).archive;
    assert.deepEqual(header.encryptedSecrets.names, ['acme-db', 'acme-oidc']);
    assert.equal(header.encryptedSecrets.cipher, 'aes-256-gcm');
  });

  it('restores the records and writes the same values to --secrets-out, 0600, never over a file', async () => {
    const target = path.join(work, 'restored');
    const out = path.join(work, 'secrets.json');
    const args = ['restore', '--from', archive, '--include-secrets', '--key-file', keyFile, '--secrets-out', out];
    const run = await hearth(args, { HEARTH_DATA_DIR: target });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /hearth restore: wrote the Secrets acme-db, acme-oidc to .*secrets\.json \(mode 0600/);
    assert.match(run.stderr, /hearth restore: restored \d+ records \(60 messages in 3 rooms\)/);
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    const list = JSON.parse(await readFile(out, 'utf8')) as SecretList;
    assert.equal(`${list.apiVersion}/${list.kind}`, 'v1/List');
    const values = Object.fromEntries(
      list.items.map((item) => [item.metadata.name, Object.fromEntries(Object.entries(item.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))]),
    );
    assert.deepEqual(values, SECRETS);
    for (const item of list.items) {
      assert.equal(`${item.apiVersion}/${item.kind}/${item.type}`, 'v1/Secret/Opaque');
      assert.deepEqual(item.metadata.annotations, { 'hearth.dev/restored-from': archive });
    }

    const again = path.join(work, 'again');
    assertRefused(
      await hearth(args, { HEARTH_DATA_DIR: again }),
      /^hearth restore: --secrets-out .*secrets\.json exists already: give a file that is not there/,
    );
    await assert.rejects(stat(again), 'nothing restored: not even the data directory');
  });

  it('restores nothing with a wrong or short key, or from an archive without Secret values', async () => {
    const target = path.join(work, 'untouched');
    await mkdir(target);
    const out = path.join(work, 'never.json');
    const restore = (from: string, key: string): Promise<Run> =>
      hearth(['restore', '--from', from, '--include-secrets', '--key-file', key, '--secrets-out', out], { HEARTH_DATA_DIR: target });
    const wrongKey = path.join(work, 'wrong-key');
    await writeFile(wrongKey, 'dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciB0ZXN0cyEx\n');
    assertRefused(await restore(archive, wrongKey), /^hearth restore: cannot decrypt the archive's Secrets: wrong key, or the archive was altered$/);
    const shortKey = path.join(work, 'short-key');
    await writeFile(shortKey, 'short\n');
    assertRefused(await restore(archive, shortKey), /^hearth restore: the key in .*short-key is 5 bytes; give at least 32 \(e\.g\. openssl rand -base64 32\)$/);
    const plain = await hearth(['backup', '--to', path.join(work, 'plain')], { HEARTH_DATA_DIR: source });
    assert.equal(plain.code, 0, plain.stderr);
    assertRefused(
      await restore(plain.stdout.trim(), keyFile),
      /^hearth restore: the archive holds no Secret values \(it was written without --include-secrets\)$/,
    );
    assert.deepEqual(await readdir(target), [], 'no hearth.db');
    await assert.rejects(stat(out), 'no Secrets file');
  });

  it('refuses a Secrets directory that is empty or holds a name that is not a Secret’s, writing no archive', async () => {
    const archives = path.join(work, 'refused');
    const backup = (dir: string): Promise<Run> =>
      hearth(['backup', '--to', archives, '--include-secrets', '--secrets-dir', dir, '--key-file', keyFile], { HEARTH_DATA_DIR: source });
    const empty = path.join(work, 'empty');
    await mkdir(empty);
    assertRefused(await backup(empty), /^hearth backup: the Secrets directory .*empty is empty: mount each Secret/);
    const badName = path.join(work, 'bad-name');
    await kubeletMount(badName, { Acme_DB: { password: 'x' } });
    assertRefused(await backup(badName), /^hearth backup: .*bad-name\/Acme_DB is not named as a Secret \(a DNS-1123 subdomain/);
    assertRefused(await backup(path.join(work, 'none')), /^hearth backup: cannot read the Secrets directory .*none: ENOENT$/);
    await assert.rejects(readdir(archives).then((names) => assert.deepEqual(names, [])));
  });

  it('refuses Secrets options that do not go together as an argument error (status 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['backup', '--to', work, '--include-secrets', '--key-file', keyFile], /^hearth: hearth backup --include-secrets needs --secrets-dir DIR/],
      [['backup', '--to', work, '--secrets-dir', mounted], /^hearth: hearth backup --secrets-dir needs --include-secrets$/],
      [
        ['restore', '--from', 'a', '--include-secrets', '--key-file', keyFile],
        /^hearth: hearth restore --include-secrets needs --secrets-out FILE or --secrets-namespace NS$/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await hearth(args, { HEARTH_DATA_DIR: source });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.split('\n')[0]!, message);
    }
  });
});
