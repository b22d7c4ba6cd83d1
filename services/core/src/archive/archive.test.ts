import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { newId } from '../ids.ts';
import type { Store } from '../store/store.ts';
import { StoreSqlite } from '../store/store-sqlite.ts';
import { BlobStoreDirectory } from '../blob/blob-directory.ts';
import type { BlobStore } from '../blob/blob.ts';
import { buildArchiveHeader } from './archive-format.ts';
import { archiveBlobs, archiveRecordLines, checkArchive } from './archive-read.ts';
import { writeArchive } from './archive-write.ts';

const AT = '2025-01-01T00:00:00.000Z';

async function seeded(file: string): Promise<Store> {
  const store = await StoreSqlite.open(file);
  await store.transaction(async (tx) => {
    await tx.insertAccount({ id: newId(), name: 'Acme', joinCode: 'join', createdAt: AT });
    const ada = await tx.insertUser({ id: newId(), name: 'Ada', email: 'ada@example.com', role: 'administrator', passwordHash: 'h', createdAt: AT });
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'general', createdBy: ada.id, createdAt: AT, directKey: null });
    for (let i = 0; i < 25; i++) {
      const seq = await tx.nextSeq(room.id);
      await tx.insertMessage({
        id: newId(),
        roomId: room.id,
        seq,
        authorId: ada.id,
        clientMessageId: `c${i}`,
        body: `hello ${i} 東京`,
        mentions: [],
        sound: null,
        file: null,
        createdAt: AT,
      });
    }
  });
  return store;
}

async function exported(store: Store): Promise<string> {
  const lines: string[] = [];
  await store.exportRecords((line) => void lines.push(line));
  return lines.join('\n');
}

/** A sink that keeps what it is given. */
function memorySink(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

describe('a Hearth archive', () => {
  let dir: string;
  let source: Store;
  let archive: Buffer;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hearth-archive-'));
    source = await seeded(path.join(dir, 'source.db'));
    const { sink, bytes } = memorySink();
    const spec = { tier: 'embedded', auth: { oidc: { clientSecretRef: { name: 'oidc', key: 'clientSecret' } } } };
    const manifest = await writeArchive(source, buildArchiveHeader(new Date(AT), '9.9.9', spec), sink);
    archive = bytes();
    assert.equal(manifest.rows, 28);
    assert.equal(manifest.tables['messages']?.rows, 25);
  });
  after(async () => {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds a header with the spec and the Secrets it names, the record stream, and a manifest last', async () => {
    const lines = gunzipSync(archive).toString('utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as { archive: Record<string, unknown> };
    assert.deepEqual(header.archive['secrets'], [{ name: 'oidc', keys: ['clientSecret'] }]);
    assert.equal(header.archive['hearthVersion'], '9.9.9');
    assert.equal(lines.slice(1, -1).join('\n'), await exported(source));
    const { header: checked, manifest } = await checkArchive(Readable.from([archive]));
    assert.equal(checked.createdAt, AT);
    assert.equal(manifest.lastSeq[Object.keys(manifest.lastSeq)[0]!], 25);
  });

  it('loads into an empty store with an export identical to the source', async () => {
    const target = await StoreSqlite.open(path.join(dir, 'target.db'));
    try {
      await target.importRecords(archiveRecordLines(Readable.from([archive])));
      assert.equal(await exported(target), await exported(source));
    } finally {
      await target.close();
    }
  });

  it('loads again after a restore stopped part way, resuming after the rows already in', async () => {
    const target = await StoreSqlite.open(path.join(dir, 'resumed.db'));
    try {
      async function* stopsAfter(count: number): AsyncGenerator<string> {
        let lines = 0;
        for await (const line of archiveRecordLines(Readable.from([archive]))) {
          if (lines++ === count) throw new Error('the process stopped');
          yield line;
        }
      }
      await assert.rejects(target.importRecords(stopsAfter(20), { batchRows: 5 }), /the process stopped/);
      const resumed = await target.importRecords(archiveRecordLines(Readable.from([archive])), { batchRows: 5 });
      assert.ok(resumed.resumedAfter > 0, 'some rows were in before');
      assert.equal(await exported(target), await exported(source));
    } finally {
      await target.close();
    }
  });

  const damaged: readonly (readonly [string, (archive: Buffer) => Buffer, RegExp])[] = [
    ['cut off', (a) => a.subarray(0, Math.floor(a.length / 2)), /^not a Hearth archive: its compressed data ends early: it was cut off$/],
    ['not gzip', () => Buffer.from('{"archive":{}}\n'), /^not a Hearth archive: it is not gzip data, or its compressed data is damaged$/],
    ['without its manifest', (a) => gzipSync(gunzipSync(a).toString().split('\n').slice(0, -2).join('\n')), /it ends without its manifest: it was cut off/],
    ['with a row altered', (a) => gzipSync(gunzipSync(a).toString().replace('hello 7', 'hello 8')), /its content does not match its manifest/],
    ['of another format', () => gzipSync('{"format":"hearth-records","version":1}\n'), /it does not start with \{"archive":\{"format":"hearth-archive"/],
    ['empty', () => gzipSync(''), /it is empty/],
  ];
  for (const [what, damage, message] of damaged) {
    it(`is refused ${what}`, async () => {
      await assert.rejects(checkArchive(Readable.from([damage(archive)])), { message });
    });
  }

  it('refuses a file on disk that was damaged in its middle (gzip CRC)', async () => {
    const file = path.join(dir, 'flipped.gz');
    const bytes = Buffer.from(archive);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);
    const { createReadStream } = await import('node:fs');
    await assert.rejects(checkArchive(createReadStream(file)), { message: /^not a Hearth archive: / });
    assert.ok((await readFile(file)).length > 0);
  });
});

describe('a Hearth archive with files', () => {
  let dir: string;
  let source: Store;
  let blobs: BlobStore;
  /** Bytes of every value, a person's picture, and a file of two and a half parts (1 MiB each). */
  const files: Readonly<Record<string, Buffer>> = {
    'avatars/u1': Buffer.from('a small picture'),
    'files/a': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    'files/a/thumbnail': Buffer.from('small'),
    'files/b': Buffer.alloc(2.5 * 1024 * 1024, 7),
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hearth-archive-files-'));
    source = await seeded(path.join(dir, 'source.db'));
    blobs = await BlobStoreDirectory.open(path.join(dir, 'files'));
    for (const [key, bytes] of Object.entries(files)) await blobs.put(key, bytes);
    // Neither a file's nor a picture's: the archive carries only what is under files/ and avatars/.
    await blobs.put('elsewhere/x', Buffer.from('not archived'));
  });
  after(async () => {
    await blobs.close();
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('carries the bytes after the records, counted in the manifest, covered by its checksum, and gives them back whole', async () => {
    const { sink, bytes } = memorySink();
    const manifest = await writeArchive(source, buildArchiveHeader(new Date(AT), '9.9.9', null), sink, { blobs });
    const archive = bytes();
    const size = Object.values(files).reduce((sum, file) => sum + file.length, 0);
    assert.deepEqual(manifest.files, { count: 4, bytes: size });
    assert.equal(manifest.version, 2);
    await checkArchive(Readable.from([archive]));
    const lines: string[] = [];
    for await (const line of archiveRecordLines(Readable.from([archive]))) lines.push(line);
    assert.equal(lines.join('\n'), await exported(source), 'the record stream ends before the files');
    const restored: Record<string, Buffer> = {};
    for await (const { key, bytes: value } of archiveBlobs(Readable.from([archive]))) restored[key] = Buffer.from(value);
    assert.deepEqual(restored, files);
    const text = gunzipSync(archive).toString('utf8');
    assert.equal(text.split('\n').filter((line) => line.includes('"key":"files/b"')).length, 3, 'three parts of at most 1 MiB');
    const altered = gzipSync(text.replace('"part":1,"parts":3,"data":"B', '"part":1,"parts":3,"data":"C'));
    await assert.rejects(checkArchive(Readable.from([altered])), /does not match its manifest/);
  });

  it('refuses parts out of order', async () => {
    const { sink, bytes } = memorySink();
    await writeArchive(source, buildArchiveHeader(new Date(AT), '9.9.9', null), sink, { blobs });
    const lines = gunzipSync(bytes()).toString('utf8').split('\n');
    const first = lines.findIndex((line) => line.includes('"key":"files/b","part":0'));
    [lines[first], lines[first + 1]] = [lines[first + 1]!, lines[first]!];
    const reordered = gzipSync(lines.join('\n'));
    await assert.rejects(async () => {
      for await (const blob of archiveBlobs(Readable.from([reordered]))) assert.ok(blob);
    }, /the parts of files\/b are out of order/);
  });
});
