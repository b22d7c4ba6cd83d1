import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { startPostgres } from '@hearth/harness';
import { createStore } from '@hearth/core';
import { printTable, round, writeResults } from './common.ts';
import { seed } from './records.ts';

/**
 * `hearth backup` and `hearth restore` of the store bench/records.ts seeds (MESSAGES messages in
 * 50 rooms, with edits, deletions, boosts, bots and audit entries): the archive's size per
 * 100,000 messages (gzip) beside the record stream it holds, and how long each command takes as a
 * person runs it (start-up, the archive's check and the verification included). The backup is
 * of the embedded tier's SQLite store to a directory; it is restored into PostgreSQL (the
 * single tier) and into SQLite. Run: node bench/backup.ts (BENCH_BACKUP_MESSAGES to size it).
 */

const MESSAGES = Number(process.env['BENCH_BACKUP_MESSAGES'] ?? 100_000);
const HEARTH = path.resolve(import.meta.dirname, '../services/hearth/bin/hearth');

interface Timed {
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

async function timedHearth(args: readonly string[], env: Readonly<Record<string, string>>, records: number): Promise<Timed> {
  const started = performance.now();
  await promisify(execFile)(HEARTH, [...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 16 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  return { seconds: round(seconds, 2), recordsPerSecond: Math.round(records / seconds) };
}

/** The bytes the archive holds once decompressed. */
async function uncompressedBytes(file: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) bytes += (chunk as Buffer).length;
  return bytes;
}

const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);

export async function runBackup(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-bench-backup-'));
  const postgres = await startPostgres();
  try {
    const source = path.join(dir, 'source');
    const store = await createStore({ type: 'sqlite', path: path.join(source, 'hearth.db') });
    await seed(store, MESSAGES);
    const records = (await store.exportRecords(() => undefined)).rows;
    await store.close();

    const archives = path.join(dir, 'archives');
    const backup = await timedHearth(['backup', '--to', archives], { HEARTH_DATA_DIR: source }, records);
    const [name] = await readdir(archives);
    const archive = path.join(archives, name!);
    const bytes = (await stat(archive)).size;
    const streamBytes = await uncompressedBytes(archive);
    const database = await postgres.createDatabase('bench_restore');
    const restorePostgres = await timedHearth(['restore', '--from', archive], { HEARTH_DATABASE_URL: database }, records);
    const restoreSqlite = await timedHearth(['restore', '--from', archive], { HEARTH_DATA_DIR: path.join(dir, 'target') }, records);
    const per100k = 100_000 / MESSAGES;
    const results = {
      messages: MESSAGES,
      rooms: 50,
      records,
      archiveBytes: bytes,
      archiveMiBPer100kMessages: round(mib(bytes) * per100k, 1),
      uncompressedMiBPer100kMessages: round(mib(streamBytes) * per100k, 1),
      compressionRatio: round(streamBytes / bytes, 1),
      backupSqlite: backup,
      restorePostgres,
      restoreSqlite,
    };
    printTable(`hearth backup / restore, ${MESSAGES.toLocaleString('en-US')} messages in 50 rooms (${records.toLocaleString('en-US')} records)`, [
      {
        metric: 'archive per 100k messages',
        value: `${results.archiveMiBPer100kMessages} MiB`,
        note: `gzip, ${results.compressionRatio}× smaller than its ${results.uncompressedMiBPer100kMessages} MiB of records`,
      },
      { metric: 'backup of SQLite to a directory', value: `${backup.recordsPerSecond} rec/s`, note: `${backup.seconds} s` },
      { metric: 'restore into PostgreSQL', value: `${restorePostgres.recordsPerSecond} rec/s`, note: `${restorePostgres.seconds} s, checked and verified` },
      { metric: 'restore into SQLite', value: `${restoreSqlite.recordsPerSecond} rec/s`, note: `${restoreSqlite.seconds} s, checked and verified` },
    ]);
    console.log(`wrote ${await writeResults('backup', results)}`);
  } finally {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runBackup();
