import { once } from 'node:events';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { summaryDifferences, type RecordSummary, type Store, type StoreConfig } from '@hearth/core';
import type { Command } from './command.ts';
import { createProgress } from './progress.ts';
import { runOnStore, type CliStreams } from './store-command.ts';

/**
 * `hearth export` and `hearth import`: the store's record stream (record-stream.ts) to and from
 * a file, with progress, and an import verified against the stream's own summary.
 */

export type RecordsCommand = Extract<Command, { kind: 'export' | 'import' }>;

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

const count = new Intl.NumberFormat('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const rate = (rows: number, ms: number): string => `${count.format(Math.round((rows * 1000) / Math.max(ms, 1)))} records/s`;

/** Writes the records to `out` (`-`: standard output) through `out.partial`, so a cut-off export is never mistaken for one. */
export async function exportToFile(store: Store, out: string, streams: CliStreams): Promise<void> {
  const started = Date.now();
  const partial = `${out}.partial`;
  const sink = out === '-' ? streams.stdout : createWriteStream(partial);
  const progress = createProgress({ label: 'export', unit: 'records', output: streams.stderr });
  try {
    const result = await store.exportRecords(lineWriter(sink), { onProgress: (rows, total) => progress.update(rows, total) });
    progress.finish();
    if (sink !== streams.stdout) {
      sink.end();
      await finished(sink);
      await rename(partial, out);
    }
    const elapsed = Date.now() - started;
    const where = out === '-' ? 'standard output' : out;
    streams.stderr.write(`hearth export: wrote ${describe(result.rows, result.summary)} to ${where} in ${seconds(elapsed)}, ${rate(result.rows, elapsed)}\n`);
  } catch (error) {
    if (sink !== streams.stdout) {
      sink.destroy();
      await rm(partial, { force: true });
    }
    throw error;
  }
}

/**
 * Loads `input` (`-`: standard input) into the store, then exports the store and compares it
 * with the stream's summary. An import that stopped part way resumes when run again with the
 * same file; one whose result differs from the stream throws VerificationError, naming how.
 */
export async function importFromFile(store: Store, input: string, streams: CliStreams): Promise<void> {
  const started = Date.now();
  const source = input === '-' ? streams.stdin : createReadStream(input);
  await openedOrThrow(source, input);
  const progress = createProgress({ label: 'import', unit: 'records', output: streams.stderr });
  const result = await store.importRecords(linesOf(source), { onProgress: (rows, total) => progress.update(rows, total) });
  progress.finish();
  const elapsed = Date.now() - started;
  const resumed = result.resumedAfter > 0 ? ` (resumed after ${count.format(result.resumedAfter)})` : '';
  streams.stderr.write(`hearth import: loaded ${describe(result.rows, result.summary)}${resumed} in ${seconds(elapsed)}, ${rate(result.rows, elapsed)}\n`);
  const target = await store.exportRecords(() => undefined);
  const differences = summaryDifferences(result.summary, target.summary);
  if (differences.length > 0) throw new VerificationError(`the store differs from the stream: ${differences.slice(0, 5).join('; ')}`);
  const tables = Object.keys(result.summary.tables).length;
  streams.stderr.write(`hearth import: verified: ${tables} tables, their rows and checksums, and every room's last sequence match the stream\n`);
}

/**
 * The lines of `source`, buffered from now on: readline drops the lines it reads before its
 * async iterator is asked for, and the import awaits the store before it reads the first one.
 */
function linesOf(source: Readable): AsyncIterable<string> {
  const iterator = createInterface({ input: source, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return { [Symbol.asyncIterator]: () => iterator };
}

function describe(rows: number, summary: RecordSummary): string {
  const messages = summary.tables['messages']?.rows ?? 0;
  return `${count.format(rows)} records (${count.format(messages)} messages in ${count.format(Object.keys(summary.lastSeq).length)} rooms)`;
}

/** A line at a time, waiting when the stream's buffer is full. */
function lineWriter(sink: Writable): (line: string) => Promise<void> | void {
  return (line) => {
    if (!sink.write(`${line}\n`)) return once(sink, 'drain').then(() => undefined);
  };
}

/** A missing or unreadable file is one readable line, before anything is imported. */
async function openedOrThrow(source: Readable, input: string): Promise<void> {
  if (input === '-') return;
  await once(source as ReadStream, 'ready').catch((error: unknown) => {
    throw new Error(`cannot read ${input}: ${reasonOf(error)}`);
  });
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'no such file';
  return error instanceof Error ? error.message : String(error);
}

/** Runs `hearth export` or `hearth import` (store-command.ts says how it opens the store and fails). */
export function runRecordsCommand(command: RecordsCommand, store: StoreConfig, streams: CliStreams): Promise<number> {
  return runOnStore({ name: command.kind, store, stderr: streams.stderr, mustExist: command.kind === 'export' }, (opened) =>
    command.kind === 'export' ? exportToFile(opened, command.out, streams) : importFromFile(opened, command.input, streams),
  );
}
