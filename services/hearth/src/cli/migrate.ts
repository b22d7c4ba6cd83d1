import { createStore, HearthError, summaryDifferences, type ImportState, type RecordSummary, type Store, type StoreConfig } from '@hearth/core';
import { LinePipe } from './line-pipe.ts';
import { DEFAULT_LEASE, WriteLease, type LeaseTiming } from './migrate-lease.ts';
import { decideCopyStart, needsComparison, type CopyStart } from './migrate-plan.ts';
import { isSameStore, storeName } from './migrate-stores.ts';
import { refuseMissingDatabase, type CliStreams } from './store-command.ts';

/**
 * `hearth migrate`: one step of a tier migration. It pauses writes on the source (a lease it
 * renews), streams the source's records into the target (export → import in this process, no
 * file between), verifies the target against the source read under the pause, and then leaves
 * the source paused for good: the old tier stays read-only until the operator switches to the
 * new one. On failure it takes writes on the source again. Progress is one JSON line a step on
 * standard output; a failure is one line on standard error.
 */

export type MigrateStage = 'copying' | 'verifying' | 'done';

export interface MigrateOutput {
  progress(stage: MigrateStage, copied: number, total: number): void;
  note(text: string): void;
}

interface MigrationStores {
  readonly source: Store;
  /** The source again, on a connection of its own: a SQLite export holds its store's one connection, and the lease must be renewed meanwhile. */
  readonly gate: Store;
  readonly target: Store;
  readonly sourceName: string;
  readonly targetName: string;
}

export class MigrateVerificationError extends Error {
  override readonly name = 'MigrateVerificationError';
}

/** Runs the migration; throws, with writes on the source taken again, when it fails. */
export async function migrate(stores: MigrationStores, out: MigrateOutput, timing: LeaseTiming = DEFAULT_LEASE): Promise<void> {
  const state = await stores.target.importState();
  // What can be refused without the source is refused before its writes are paused.
  const early = decideCopyStart(state, true);
  if (early.kind === 'refuse') throw new Error(early.why);
  const lease = await WriteLease.take(stores.gate, `hearth migrate: copying to ${stores.targetName}`, timing);
  try {
    const { rows, start } = await copyAndVerify(stores, state, lease, out);
    await lease.settle();
    if (start !== 'done') await stores.target.markImportVerified(new Date().toISOString());
    out.progress('done', rows, rows);
  } catch (error) {
    await lease.release();
    throw error;
  }
}

async function copyAndVerify(
  stores: MigrationStores,
  state: ImportState,
  lease: WriteLease,
  out: MigrateOutput,
): Promise<{ rows: number; start: CopyStart['kind'] }> {
  const start = decideCopyStart(state, needsComparison(state) && (await compare(stores)).length === 0);
  const rows = await carryOut(start, stores, lease, out);
  out.progress('verifying', rows, rows);
  const differences = await compare(stores);
  if (differences.length > 0)
    throw new MigrateVerificationError(`verification failed, the target differs from the source: ${differences.slice(0, 5).join('; ')}`);
  lease.throwIfLost();
  return { rows, start: start.kind };
}

/** Does what `start` says; returns the rows the target holds from the source. */
async function carryOut(start: CopyStart, stores: MigrationStores, lease: WriteLease, out: MigrateOutput): Promise<number> {
  switch (start.kind) {
    case 'refuse':
      throw new Error(start.why);
    case 'done':
      out.note(`the target already holds this source's verified copy`);
      return (await summaryOf(stores.target)).rows;
    case 'reset':
      out.note(`clearing the target and copying again: ${start.why}`);
      await stores.target.clearRecords();
      return copy(stores, lease, out);
    case 'fresh':
      return copy(stores, lease, out);
    case 'resume':
      return copy(stores, lease, out).catch(async (error: unknown) => {
        // The source changed since the stopped copy (its pause lapsed and it took writes): its stream is another one now.
        if (!(error instanceof HearthError && error.code === 'conflict')) throw error;
        out.note('the source changed since the stopped copy: clearing the target and copying again');
        await stores.target.clearRecords();
        return copy(stores, lease, out);
      });
  }
}

/** Streams the source's export into the target's import; the import resumes after the rows a stopped run committed. */
async function copy(stores: MigrationStores, lease: WriteLease, out: MigrateOutput): Promise<number> {
  const pipe = new LinePipe();
  const exporting = stores.source
    .exportRecords((line) => {
      lease.throwIfLost();
      return pipe.push(line);
    })
    .then(
      (result) => (pipe.end(), result),
      (error: unknown) => {
        pipe.fail(error);
        throw error;
      },
    );
  const importing = stores.target
    .importRecords(pipe, { copiedFrom: stores.sourceName, onProgress: (rows, total) => out.progress('copying', rows, total ?? rows) })
    .catch((error: unknown) => {
      pipe.stop(error);
      throw error;
    });
  const [exported, imported] = await Promise.allSettled([exporting, importing]);
  if (imported.status === 'rejected') throw imported.reason;
  if (exported.status === 'rejected') throw exported.reason;
  return imported.value.rows;
}

interface Summed {
  readonly rows: number;
  readonly summary: RecordSummary;
}

function summaryOf(store: Store): Promise<Summed> {
  return store.exportRecords(() => undefined);
}

/** How the target differs from the source, each read now (the source under the pause). */
async function compare(stores: MigrationStores): Promise<string[]> {
  const [source, target] = await Promise.all([summaryOf(stores.source), summaryOf(stores.target)]);
  return summaryDifferences(source.summary, target.summary);
}

/** JSON lines on standard output for each step; notes and the closing line on standard error. */
function outputTo(streams: CliStreams): MigrateOutput {
  return {
    progress: (stage, copied, total) => void streams.stdout.write(`${JSON.stringify({ stage, copied, total })}\n`),
    note: (text) => void streams.stderr.write(`hearth migrate: ${text}\n`),
  };
}

/** `hearth migrate` from `source` into `target` (the store the server would use); returns its exit status. */
export async function runMigrateCommand(target: StoreConfig, source: StoreConfig, streams: CliStreams, timing: LeaseTiming = DEFAULT_LEASE): Promise<number> {
  const opened: Store[] = [];
  try {
    if (isSameStore(source, target)) throw new Error(`the source and the target are the same store (${storeName(source)})`);
    if (source.type === 'sqlite') await refuseMissingDatabase(source.path, 'HEARTH_SOURCE_DATA_DIR', 'HEARTH_SOURCE_DATABASE_URL');
    for (const config of [source, source, target]) opened.push(await createStore(config));
    const [sourceStore, gate, targetStore] = opened as [Store, Store, Store];
    const stores = { source: sourceStore, gate, target: targetStore, sourceName: storeName(source), targetName: storeName(target) };
    const started = Date.now();
    await migrate(stores, outputTo(streams), timing);
    streams.stderr.write(
      `hearth migrate: ${stores.targetName} holds a verified copy of ${stores.sourceName} (${((Date.now() - started) / 1000).toFixed(1)} s); writes on the source stay paused\n`,
    );
    return 0;
  } catch (error) {
    streams.stderr.write(`hearth migrate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await Promise.allSettled(opened.map((store) => store.close()));
  }
}
