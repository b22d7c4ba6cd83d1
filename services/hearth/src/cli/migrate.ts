import {
  createStore,
  describeBytes,
  HearthError,
  summaryDifferences,
  type BlobConfig,
  type ImportResult,
  type RecordSummary,
  type Store,
  type StoreConfig,
} from '@hearth/core';
import { copyFiles, filesBeside, type FilesCopied } from './migrate-files.ts';
import { LinePipe } from './line-pipe.ts';
import { DEFAULT_LEASE, WriteLease, type LeaseTiming } from './migrate-lease.ts';
import { decideCopyStart, pauseReason, type CopyStart } from './migrate-plan.ts';
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

/** The files' copy (migrate-files.ts), run once the records are verified, while the source's writes are still paused under the lease. */
export type CopyFilesStep = () => Promise<FilesCopied>;

const NO_FILES: CopyFilesStep = async () => ({ count: 0, bytes: 0 });

/** Runs the migration; throws, with writes on the source taken again, when it fails. */
export async function migrate(
  stores: MigrationStores,
  out: MigrateOutput,
  timing: LeaseTiming = DEFAULT_LEASE,
  copyFiles: CopyFilesStep = NO_FILES,
): Promise<void> {
  const [state, pause] = await Promise.all([stores.target.importState(), stores.gate.writePause()]);
  // Decided before the source is touched: a refusal or a finished migration leaves it as it is.
  const start = decideCopyStart(state, { name: stores.sourceName, pause }, stores.targetName);
  if (start.kind === 'refuse') throw new Error(start.why);
  if (start.kind === 'done') {
    out.note(`the target already holds this source's verified copy, and the source's writes stay paused`);
    noteFiles(out, await copyFiles());
    const { rows } = await stores.target.exportRecords(() => undefined);
    out.progress('done', rows, rows);
    return;
  }
  const lease = await WriteLease.take(stores.gate, pauseReason(stores.targetName), timing);
  try {
    const copied = await carryOut(start, stores, lease, out);
    out.progress('verifying', copied.rows, copied.rows);
    await verify(stores.target, copied.summary);
    noteFiles(out, await copyFiles());
    await lease.settle();
    await stores.target.markImportVerified(new Date().toISOString());
    out.progress('done', copied.rows, copied.rows);
  } catch (error) {
    await lease.release();
    throw error;
  }
}

type Copied = Pick<ImportResult, 'rows' | 'summary'>;

function noteFiles(out: MigrateOutput, files: FilesCopied): void {
  if (files.count > 0) out.note(`copied and verified ${files.count} files (${describeBytes(files.bytes)})`);
}

/** Does what `start` says; returns what the source's export held: its rows and their summary. */
async function carryOut(
  start: Exclude<CopyStart, { kind: 'refuse' | 'done' }>,
  stores: MigrationStores,
  lease: WriteLease,
  out: MigrateOutput,
): Promise<Copied> {
  switch (start.kind) {
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

/**
 * Streams the source's export into the target's import; the import resumes after the rows a
 * stopped run committed. The export is one snapshot, read under the pause: its summary is the
 * source as the copy must hold it.
 */
async function copy(stores: MigrationStores, lease: WriteLease, out: MigrateOutput): Promise<Copied> {
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
  return exported.value;
}

/**
 * The target read back against the source's snapshot, table by table and room by room. Reading
 * the source again instead would fail on what reads still write under the pause (a session's
 * last use), which is not the copy's to hold.
 */
async function verify(target: Store, source: RecordSummary): Promise<void> {
  const differences = summaryDifferences(source, (await target.exportRecords(() => undefined)).summary);
  if (differences.length > 0)
    throw new MigrateVerificationError(`verification failed, the target differs from the source: ${differences.slice(0, 5).join('; ')}`);
}

/** JSON lines on standard output for each step; notes and the closing line on standard error. */
function outputTo(streams: CliStreams): MigrateOutput {
  return {
    progress: (stage, copied, total) => void streams.stdout.write(`${JSON.stringify({ stage, copied, total })}\n`),
    note: (text) => void streams.stderr.write(`hearth migrate: ${text}\n`),
  };
}

/** `hearth migrate` from `source` into `target` (the store the server would use); returns its exit status. */
export async function runMigrateCommand(
  stores: { readonly target: StoreConfig; readonly source: StoreConfig; readonly targetFiles: BlobConfig | null },
  streams: CliStreams,
  timing: LeaseTiming = DEFAULT_LEASE,
): Promise<number> {
  const { target, source } = stores;
  const opened: Store[] = [];
  try {
    if (isSameStore(source, target)) throw new Error(`the source and the target are the same store (${storeName(source)})`);
    if (source.type === 'sqlite') await refuseMissingDatabase(source.path, 'HEARTH_SOURCE_DATA_DIR', 'HEARTH_SOURCE_DATABASE_URL');
    for (const config of [source, source, target]) opened.push(await createStore(config));
    const [sourceStore, gate, targetStore] = opened as [Store, Store, Store];
    const migration = { source: sourceStore, gate, target: targetStore, sourceName: storeName(source), targetName: storeName(target) };
    const started = Date.now();
    await migrate(migration, outputTo(streams), timing, () => copyFiles(filesBeside(source), stores.targetFiles));
    streams.stderr.write(
      `hearth migrate: ${migration.targetName} holds a verified copy of ${migration.sourceName} (${((Date.now() - started) / 1000).toFixed(1)} s); writes on the source stay paused\n`,
    );
    return 0;
  } catch (error) {
    streams.stderr.write(`hearth migrate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await Promise.allSettled(opened.map((store) => store.close()));
  }
}
