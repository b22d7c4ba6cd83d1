import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPostgres } from '@hearth/harness';
import { createStore, newId, type Store, type StoreTx } from '@hearth/core';
import { seedMessages } from '@hearth/core/testing';
import { printTable, round, writeResults } from './common.ts';

/**
 * `hearth export` and `hearth import` on a store of MESSAGES messages in ROOMS rooms, with edits,
 * deletions, boosts, bots with tokens and webhook deliveries, and audit entries: the rate of each
 * copy (records/s, the whole command as a person runs it, start-up and verification included)
 * and the archive's size per 100,000 messages. The copy goes SQLite → PostgreSQL → SQLite, the
 * embedded → single path and back. Run: node bench/records.ts (BENCH_RECORDS_MESSAGES to size it).
 */

const MESSAGES = Number(process.env['BENCH_RECORDS_MESSAGES'] ?? 100_000);
const ROOMS = 50;
const PEOPLE = 40;
const AT = '2025-01-01T00:00:00.000Z';
const HEARTH = path.resolve(import.meta.dirname, '../services/hearth/bin/hearth');

async function seedPeopleAndRooms(tx: StoreTx): Promise<{ people: string[]; rooms: string[] }> {
  await tx.insertAccount({ id: newId(), name: 'Bench', joinCode: 'bench', createdAt: AT });
  const people: string[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const role = i === 0 ? 'administrator' : 'member';
    people.push((await tx.insertUser({ id: newId(), name: `person ${i}`, email: `p${i}@example.com`, role, passwordHash: 'hash', createdAt: AT })).id);
  }
  for (let b = 0; b < 2; b++) {
    const bot = await tx.insertUser({ id: newId(), name: `bot ${b}`, email: null, role: 'bot', passwordHash: null, createdAt: AT });
    await tx.insertBot({ userId: bot.id, webhookUrl: `https://hooks.example.com/${b}`, createdBy: people[0]!, createdAt: AT });
    const token = { id: newId(), userId: bot.id, name: 'ci', roomIds: [], createdBy: people[0]!, createdAt: AT, revokedAt: null, lastUsedAt: null };
    await tx.insertApiToken(token, `secret-${b}`);
  }
  const rooms: string[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: `room ${r}`, createdBy: people[0]!, createdAt: AT, directKey: null });
    rooms.push(room.id);
    for (const person of people) await tx.putMembership({ roomId: room.id, userId: person, involvement: 'mentions', readSeq: 0, createdAt: AT });
  }
  for (let a = 0; a < 200; a++) {
    const entry = {
      at: AT,
      actorId: people[0]!,
      action: 'user.role_changed',
      targetType: 'user',
      targetId: people[a % PEOPLE]!,
      detail: { n: a },
      origin: null,
    } as const;
    await tx.appendAudit(entry);
  }
  return { people, rooms };
}

/** One message, and now and then an edit, a deletion or a boost of it. */

/** `messages` messages in ROOMS rooms, with edits, deletions, boosts, bots and audit entries (bench/backup.ts seeds the same store). */
export async function seed(store: Store, messages = MESSAGES): Promise<void> {
  const { people, rooms } = await store.transaction(seedPeopleAndRooms);
  await seedMessages(store, {
    roomIds: rooms,
    authorIds: people,
    count: messages,
    body: (i) => `message ${i}: the quick brown fox jumps over the lazy dog, café 東京`,
    clientMessageId: (i) => `c${i}`,
    at: AT,
  });
  const published = await store.unpublishedEvents(messages);
  await store.transaction((tx) => tx.markPublished(published.map((entry) => entry.id)));
}

interface Copy {
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

async function timedHearth(args: readonly string[], env: Readonly<Record<string, string>>, records: number): Promise<Copy> {
  const started = performance.now();
  await promisify(execFile)(HEARTH, [...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 16 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  return { seconds: round(seconds, 2), recordsPerSecond: Math.round(records / seconds) };
}

export async function runRecords(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-bench-records-'));
  const postgres = await startPostgres();
  try {
    const source = path.join(dir, 'source');
    const store = await createStore({ type: 'sqlite', path: path.join(source, 'hearth.db') });
    await seed(store);
    const records = (await store.exportRecords(() => undefined)).rows;
    await store.close();

    const archive = path.join(dir, 'export.ndjson');
    const database = await postgres.createDatabase('bench_records');
    const exportSqlite = await timedHearth(['export', '--out', archive], { HEARTH_DATA_DIR: source }, records);
    const importPostgres = await timedHearth(['import', '--in', archive], { HEARTH_DATABASE_URL: database }, records);
    const exportPostgres = await timedHearth(['export', '--out', `${archive}.pg`], { HEARTH_DATABASE_URL: database }, records);
    const importSqlite = await timedHearth(['import', '--in', `${archive}.pg`], { HEARTH_DATA_DIR: path.join(dir, 'target') }, records);
    const bytes = (await stat(archive)).size;
    const results = {
      messages: MESSAGES,
      rooms: ROOMS,
      records,
      archiveBytes: bytes,
      archiveMiBPer100kMessages: round((bytes / 1024 / 1024) * (100_000 / MESSAGES), 1),
      exportSqlite,
      importPostgres,
      exportPostgres,
      importSqlite,
    };
    printTable(`hearth export / import, ${MESSAGES.toLocaleString('en-US')} messages in ${ROOMS} rooms (${records.toLocaleString('en-US')} records)`, [
      { metric: 'export from SQLite', value: `${exportSqlite.recordsPerSecond} rec/s`, note: `${exportSqlite.seconds} s` },
      { metric: 'import into PostgreSQL', value: `${importPostgres.recordsPerSecond} rec/s`, note: `${importPostgres.seconds} s, verified` },
      { metric: 'export from PostgreSQL', value: `${exportPostgres.recordsPerSecond} rec/s`, note: `${exportPostgres.seconds} s` },
      { metric: 'import into SQLite', value: `${importSqlite.recordsPerSecond} rec/s`, note: `${importSqlite.seconds} s, verified` },
      { metric: 'archive per 100k messages', value: `${results.archiveMiBPer100kMessages} MiB`, note: 'uncompressed NDJSON' },
    ]);
    console.log(`wrote ${await writeResults('records', results)}`);
  } finally {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runRecords();
