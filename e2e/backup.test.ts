import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startPostgres, startSeaweedfs, type PostgresServer, type S3Server } from '@hearth/harness';
import { createTeam, DEFAULT_ROOM, HearthClient, PASSWORD } from './client.ts';
import { runHearthCommand, startHearth, tierUnderTest, type CommandRun, type Hearth } from './harness.ts';
import type { Message } from './protocol.ts';

/**
 * `hearth backup` and `hearth restore` as an operator runs them, on real processes: a Hearth of
 * the tier under test is backed up, then stopped and its data deleted, and the archive restored
 * into a fresh SQLite store and a fresh PostgreSQL database, each exporting exactly what the
 * Hearth held, and the restored store serving it. Retention keeps the newest N archives in a
 * directory and on a real S3 server (SeaweedFS on loopback). Secrets mounted as kubelet mounts
 * them travel encrypted in an archive and come back only with the key. A damaged archive, a wrong
 * key, or a store that already holds records, is refused with one line and changes nothing.
 */

const BUCKET = 'hearth-backups';

/** Bytes of every value, over two of an archive's 1 MiB parts. */
const REPORT = Buffer.from(Array.from({ length: 1.5 * 1024 * 1024 }, (_, i) => (i * 7) % 256));

/** Files on, where the tier under test keeps them. */
const filesOn = (): Readonly<Record<string, string>> => (tierUnderTest() === 'embedded' ? {} : { HEARTH_FILES_STORAGE: 'postgres' });

/** Values that appear nowhere else in an archive, so that finding one there means it leaked. */
const SECRET_VALUES = {
  'acme-oidc': { clientSecret: 'oidc-Cl1ent-s3cret-e2e' },
  'acme-tls': { 'tls.crt': '-----BEGIN CERTIFICATE-----e2e', 'tls.key': '-----BEGIN PRIVATE KEY-----e2e' },
};
const KEY = 'an e2e passphrase that is long enough to be a key';

/** A key file in `dir` holding `passphrase`, with the trailing newline `echo` and `openssl rand` write. */
async function keyFile(dir: string, passphrase: string): Promise<string> {
  const file = path.join(dir, `key-${Buffer.from(passphrase).toString('hex').slice(0, 16)}`);
  await writeFile(file, `${passphrase}\n`, { mode: 0o600 });
  return file;
}

/** Secrets as kubelet mounts them: each key a symlink into `..data`, itself a symlink to a timestamped directory. */
async function kubeletMount(dir: string, secrets: Readonly<Record<string, Readonly<Record<string, string>>>>): Promise<void> {
  for (const [name, data] of Object.entries(secrets)) {
    const stamp = '..2026_12_05_02_00_00.000000001';
    await mkdir(path.join(dir, name, stamp), { recursive: true });
    await symlink(stamp, path.join(dir, name, '..data'));
    for (const [key, value] of Object.entries(data)) {
      await writeFile(path.join(dir, name, stamp, key), value);
      await symlink(path.join('..data', key), path.join(dir, name, key));
    }
  }
}

/** The one line a refused command writes, and its status. */
function assertRefused(run: CommandRun, message: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr.trimEnd(), message);
}

/** Where `hearth backup` says it wrote the archive. */
function archiveWritten(run: CommandRun): string {
  assert.equal(run.code, 0, run.stderr);
  const where = /hearth backup: wrote .* to (\S+)\n/.exec(run.stderr)?.[1];
  assert.ok(where !== undefined, run.stderr);
  return where;
}

/** `hearth export` of a store, as text. */
async function exportOf(run: (args: readonly string[]) => Promise<CommandRun>, file: string): Promise<string> {
  const exported = await run(['export', '--out', file]);
  assert.equal(exported.code, 0, exported.stderr);
  return readFile(file, 'utf8');
}

describe('backup and restore', { timeout: 300_000 }, () => {
  let hearth: Hearth | undefined;
  let postgres: PostgresServer;
  let s3: S3Server;
  let work: string;
  /** The Hearth's export before it was deleted: every restore must give it back. */
  let original: string;
  let archive: string;
  /** An archive on S3 with the Secrets' values encrypted in it. */
  let secretsArchive: string;
  let restoredDir: string;
  /** A message with a file: its bytes must come back with the records. */
  let report: Message;

  const onRestored = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CommandRun> =>
    runHearthCommand(args, { HEARTH_DATA_DIR: restoredDir, ...env });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hearth-e2e-backup-'));
    restoredDir = path.join(work, 'restored');
    [postgres, s3, hearth] = await Promise.all([startPostgres(), startSeaweedfs(), startHearth({ env: filesOn() })]);
    await s3.createBucket(BUCKET);
    const { admin, members } = await createTeam(hearth.url, 2);
    const room = await admin.createRoom('open', 'releases');
    const talk = await admin.roomNamed(DEFAULT_ROOM);
    for (let i = 0; i < 30; i++) {
      const author = [admin, ...members][i % 3]!;
      await author.post(i % 2 === 0 ? talk.id : room.id, `message ${i}: café 東京`, `backup-${i}`);
    }
    const [first, second] = await admin.allMessages(talk.id);
    await admin.call('PATCH', `/api/messages/${first!.id}`, { body: 'edited before the backup' });
    await admin.call('DELETE', `/api/messages/${second!.id}`);
    await members[0]!.boost(first!.id, '🎉');
    report = await admin.upload(room.id, { name: 'report.bin', type: 'application/octet-stream', bytes: REPORT }, 'backup-file');
    original = await settledExport(hearth);
  });
  after(async () => {
    await hearth?.stop();
    await Promise.all([postgres?.stop(), s3?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it('backs the Hearth up, and refuses to restore over it, with one line, changing nothing', async () => {
    const running = hearth!;
    const spec = path.join(work, 'spec.json');
    await writeFile(
      spec,
      JSON.stringify({
        tier: 'embedded',
        auth: { oidc: { issuerURL: 'https://idp.example.com', clientSecretRef: { name: 'acme-oidc', key: 'clientSecret' } } },
      }),
    );
    const locationFile = path.join(work, 'termination-log');
    const backedUp = await running.runCommand(['backup', '--to', path.join(work, 'archives'), '--spec', spec, '--location-file', locationFile]);
    archive = archiveWritten(backedUp);
    assert.equal(backedUp.stdout, `${archive}\n`, 'the location, alone on standard output');
    assert.equal(await readFile(locationFile, 'utf8'), archive, 'and in --location-file, where a Job’s termination message is read');
    assert.match(path.basename(archive), /^hearth-\d{8}T\d{6}\.\d{3}Z\.ndjson\.gz$/);
    const header = JSON.parse(
      gunzipSync(await readFile(archive))
        .toString('utf8')
        .split('\n')[0]!,
    ) as { archive: { spec: unknown; secrets: unknown } };
    assert.deepEqual(header.archive.secrets, [{ name: 'acme-oidc', keys: ['clientSecret'] }], 'the Secrets the spec names, by name and key');
    assert.equal((header.archive.spec as { tier: string }).tier, 'embedded');
    await writeFile(spec, 'tier: embedded\n');
    assertRefused(await running.runCommand(['backup', '--to', path.join(work, 'archives'), '--spec', spec]), /^hearth backup: the spec file .* is not JSON/);
    assert.deepEqual(await readdir(path.join(work, 'archives')), [path.basename(archive)], 'a refused backup leaves no file');
    assertRefused(
      await running.runCommand(['restore', '--from', archive]),
      /^hearth restore: cannot import into a store that has records \(account is not empty\)/,
    );
    assert.equal(await exportOf((args) => running.runCommand(args), path.join(work, 'after-refusal.ndjson')), original);
  });

  it('restores into a fresh store, after the Hearth and its data are gone, an identical export that serves', async () => {
    await hearth!.stop();
    hearth = undefined;
    const restored = await onRestored(['restore', '--from', archive]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /hearth restore: restored \d+ records \(31 messages in 2 rooms\) and 1 files \(1\.5 MiB\) from .*; verified: 14 tables/);
    assert.equal(await exportOf(onRestored, path.join(work, 'restored.ndjson')), original);

    const database = await postgres.createDatabase('restored');
    const filesOff = await runHearthCommand(['restore', '--from', archive], { HEARTH_DATABASE_URL: database });
    assertRefused(filesOff, /^hearth restore: the archive holds 1 files, and files are off here: set HEARTH_FILES_STORAGE/);
    const intoPostgres = await runHearthCommand(['restore', '--from', archive], { HEARTH_DATABASE_URL: database, HEARTH_FILES_STORAGE: 'postgres' });
    assert.equal(intoPostgres.code, 0, intoPostgres.stderr);
    assert.equal(await exportOf((args) => runHearthCommand(args, { HEARTH_DATABASE_URL: database }), path.join(work, 'postgres.ndjson')), original);

    hearth = await startHearth({ tier: 'embedded', dataDir: restoredDir });
    const admin = new HearthClient(hearth.url);
    await admin.signIn('ada@example.com', PASSWORD);
    const talk = await admin.allMessages((await admin.roomNamed(DEFAULT_ROOM)).id);
    assert.equal(talk[0]?.body, 'edited before the backup');
    assert.notEqual(talk[1]?.deletedAt, null);
    assert.equal(talk[0]?.boosts.length, 1);
    assert.deepEqual(await admin.fileOf(report.id), REPORT, 'the file, served again');
    await hearth.stop();
    hearth = undefined;
  });

  it('keeps only the newest N archives in a directory, and no other file is touched', async () => {
    const dir = path.join(work, 'nightly');
    await mkdir(dir);
    const others = ['hearth-manual.ndjson.gz', 'notes.txt'];
    for (const name of others) await writeFile(path.join(dir, name), 'kept');
    const written: string[] = [];
    for (let i = 0; i < 4; i++) written.push(path.basename(archiveWritten(await onRestored(['backup', '--to', dir, '--retention', '2']))));
    assert.deepEqual((await readdir(dir)).sort(), [...written.slice(-2), ...others].sort());
  });

  it('keeps only the newest N archives on the S3 server, and restores from there', async () => {
    const env = s3.env;
    // The restored Hearth was signed in to since: its session is part of what is backed up now.
    const current = await exportOf(onRestored, path.join(work, 'current.ndjson'));
    const written: string[] = [];
    for (let i = 0; i < 4; i++) written.push(archiveWritten(await onRestored(['backup', '--to', `s3://${BUCKET}/team/nightly`, '--retention', '3'], env)));
    assert.ok(written.every((where) => where.startsWith(`s3://${BUCKET}/team/nightly/hearth-`)));
    assert.deepEqual(
      await s3.listObjects(BUCKET, 'team/nightly'),
      written.slice(-3).map((where) => path.posix.basename(where)),
    );

    const fromS3 = path.join(work, 'from-s3');
    const restored = await runHearthCommand(['restore', '--from', written.at(-1)!], { HEARTH_DATA_DIR: fromS3, ...env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(await exportOf((args) => runHearthCommand(args, { HEARTH_DATA_DIR: fromS3 }), path.join(work, 'from-s3.ndjson')), current);

    const missing = await runHearthCommand(['restore', '--from', `s3://${BUCKET}/team/nightly/hearth-none.ndjson.gz`], {
      HEARTH_DATA_DIR: path.join(work, 'none'),
      ...env,
    });
    assertRefused(missing, /^hearth restore: cannot read s3:\/\/hearth-backups\/team\/nightly\/hearth-none\.ndjson\.gz: no such archive$/);
    const wrongKey = await onRestored(['backup', '--to', `s3://${BUCKET}/team`], { ...env, AWS_SECRET_ACCESS_KEY: 'not the secret' });
    assertRefused(wrongKey, /^hearth backup: cannot use s3:\/\/hearth-backups: access denied/);
  });

  it('carries the mounted Secrets encrypted: no value in the archive, the same values back with the key', async () => {
    const mounted = path.join(work, 'mounted-secrets');
    await kubeletMount(mounted, SECRET_VALUES);
    const backedUp = await onRestored([
      'backup',
      '--to',
      path.join(work, 'with-secrets'),
      '--include-secrets',
      '--secrets-dir',
      mounted,
      '--key-file',
      await keyFile(work, KEY),
    ]);
    secretsArchive = archiveWritten(backedUp);
    const text = gunzipSync(await readFile(secretsArchive)).toString('utf8');
    for (const value of Object.values(SECRET_VALUES).flatMap((data) => Object.values(data))) {
      assert.ok(!text.includes(value) && !text.includes(Buffer.from(value).toString('base64')), 'no value in the clear, nor in base64');
      assert.ok(!backedUp.stderr.includes(value));
    }
    const header = JSON.parse(text.split('\n')[0]!) as { archive: { encryptedSecrets: { names: string[] } } };
    assert.deepEqual(header.archive.encryptedSecrets.names, ['acme-oidc', 'acme-tls']);

    const out = path.join(work, 'restored-secrets.json');
    const restored = await runHearthCommand(
      ['restore', '--from', secretsArchive, '--include-secrets', '--key-file', await keyFile(work, KEY), '--secrets-out', out],
      {
        HEARTH_DATA_DIR: path.join(work, 'restored-with-secrets'),
      },
    );
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /hearth restore: wrote the Secrets acme-oidc, acme-tls to /);
    assert.match(restored.stderr, /hearth restore: restored \d+ records/);
    const list = JSON.parse(await readFile(out, 'utf8')) as { kind: string; items: { metadata: { name: string }; data: Record<string, string> }[] };
    assert.equal(list.kind, 'List');
    const values = Object.fromEntries(
      list.items.map((item) => [
        item.metadata.name,
        Object.fromEntries(Object.entries(item.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()])),
      ]),
    );
    assert.deepEqual(values, SECRET_VALUES);
  });

  it('refuses a cut-off or damaged archive with one line, leaving the target as it was (not even a database file)', async () => {
    const bytes = await readFile(archive);
    const cut = path.join(work, 'cut.ndjson.gz');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const damaged = path.join(work, 'damaged.ndjson.gz');
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x5a;
    await writeFile(damaged, flipped);
    const target = path.join(work, 'untouched');
    await mkdir(target);
    const cases = [
      [cut, /^hearth restore: not a Hearth archive: its compressed data ends early: it was cut off$/],
      [damaged, /^hearth restore: not a Hearth archive: /],
    ] as const;
    for (const [file, message] of cases) assertRefused(await runHearthCommand(['restore', '--from', file], { HEARTH_DATA_DIR: target }), message);
    const withSecrets = ['restore', '--from', secretsArchive, '--include-secrets', '--secrets-out', path.join(target, 'secrets.json')];
    const wrongKey = await runHearthCommand([...withSecrets, '--key-file', await keyFile(work, 'a different passphrase, also of 32 bytes or more')], {
      HEARTH_DATA_DIR: target,
    });
    assertRefused(wrongKey, /^hearth restore: cannot decrypt the archive's Secrets: wrong key, or the archive was altered$/);
    const noKey = await runHearthCommand(withSecrets, { HEARTH_DATA_DIR: target });
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr.split('\n')[0]!, /^hearth: hearth restore --include-secrets needs --key-file FILE/);
    assert.deepEqual(await readdir(target), []);
  });
});

/**
 * The Hearth's export once nothing changes any more: the outbox relay marks the last events
 * published just after the posts, and a waiting outbox row is part of the export.
 */
async function settledExport(hearth: Hearth): Promise<string> {
  const file = path.join(tmpdir(), `hearth-e2e-settled-${process.pid}.ndjson`);
  try {
    let previous = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await exportOf((args) => hearth.runCommand(args), file);
      if (current === previous) return current;
      previous = current;
      await sleep(500);
    }
    throw new Error('the export kept changing for 10 s after the last write');
  } finally {
    await rm(file, { force: true });
  }
}
