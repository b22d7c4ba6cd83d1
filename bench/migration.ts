import { createStore, type Store } from '@hearth/core';
import { seedMessages } from '@hearth/core/testing';
import { runTierMigrations, type Population, type StepReport } from '../e2e/migration-run.ts';
import { printTable, round, writeResults } from './common.ts';

/**
 * A tier migration with `hearth migrate` as processes (e2e/migration-run.ts, the end-to-end
 * test's run with more messages): a Hearth on the embedded tier with MESSAGES messages in 50
 * rooms (edits, deletions, boosts, a bot, audit entries; most written straight into its store
 * while it is stopped, the rest posted through the API), moved to the single tier and then to
 * the clustered tier while 2 writers keep posting (20 ms after each acknowledgement, a refused
 * post retried every 100 ms) and 3 followers stay on WebSocket and SSE. Per step: hearth
 * migrate's time and copy rate (records/s, the whole command: start-up, pause, copy, verify),
 * and the write-unavailable window as the writers saw it, from the first write refused on the
 * old tier to the first accepted on the new one; of it, the part until the copy was verified
 * (the rest is the new tier's services starting on the copy, and the switch).
 * Run: node bench/migration.ts (BENCH_MIGRATION_MESSAGES to size it).
 */

const MESSAGES = Number(process.env['BENCH_MIGRATION_MESSAGES'] ?? 100_000);
const ROOMS = 50;
/** Posted through the API before the bulk (the rest is written straight into the store). */
const API_MESSAGES = 1_000;
const AT = '2026-01-01T00:00:00.000Z';

async function seed(store: Store, { roomIds, userIds }: Population, count: number): Promise<void> {
  await seedMessages(store, {
    roomIds,
    authorIds: userIds,
    count,
    body: (i) => `bulk message ${i}: the quick brown fox jumps over the lazy dog, café 東京`,
    clientMessageId: (i) => `bulk-${i}`,
    at: AT,
  });
  // Published, as a running tier's relay would have done by now.
  for (let published = await store.unpublishedEvents(5_000); published.length > 0; published = await store.unpublishedEvents(5_000)) {
    await store.transaction((tx) => tx.markPublished(published.map((entry) => entry.id)));
  }
}

function rowOf(step: StepReport): { metric: string; value: string; note: string }[] {
  return [
    {
      metric: `${step.from} → ${step.to}: copy`,
      value: `${step.recordsPerSecond} rec/s`,
      note: `${step.records} records, hearth migrate ${round(step.migrateMs / 1000, 2)} s`,
    },
    {
      metric: `${step.from} → ${step.to}: writes unavailable`,
      value: `${round(step.windowMs / 1000, 2)} s`,
      note: `${round(step.copyPartMs / 1000, 2)} s to the verified copy, then services start; ${step.refusals.length} refusals`,
    },
  ];
}

export async function runMigration(): Promise<void> {
  const bulk = Math.max(0, MESSAGES - API_MESSAGES);
  const started = performance.now();
  const run = await runTierMigrations(
    {
      messages: Math.min(MESSAGES, API_MESSAGES),
      rooms: ROOMS,
      bulk: async (dataDir, population) => {
        const store = await createStore({ type: 'sqlite', path: `${dataDir}/hearth.db` });
        try {
          await seed(store, population, bulk);
        } finally {
          await store.close();
        }
      },
      log: (line) => console.log(`${round((performance.now() - started) / 1000, 1)} s: ${line}`),
    },
    ['single', 'clustered'],
  );
  try {
    for (const step of run.steps)
      if (step.exportDifference !== null) throw new Error(`${step.from} → ${step.to}: the exports differ: ${step.exportDifference}`);
    const steps = run.steps.map(({ progress: _progress, refusals, ...step }) => ({ ...step, refusals: refusals.length }));
    printTable(`hearth migrate, ${MESSAGES.toLocaleString('en-US')} messages in ${ROOMS} rooms, as processes`, run.steps.flatMap(rowOf));
    console.log(
      `wrote ${await writeResults('migration', { messages: MESSAGES, rooms: ROOMS, writers: run.writers.length, followers: run.followers.length, steps })}`,
    );
  } finally {
    await run.stop();
  }
}

if (import.meta.main) await runMigration();
