import { access } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { createStore, type Store, type StoreConfig } from '@hearth/core';
import type { ProgressOutput } from './progress.ts';

/** The process's streams, as the data commands use them. */
export interface CliStreams {
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Progress, reports and errors go here, so that `--out -` leaves standard output to the records. */
  readonly stderr: ProgressOutput & Writable;
}

export interface StoreCommand {
  /** The command's name, for its error line (`hearth <name>: …`). */
  readonly name: string;
  /** The store the server would use (config.ts: HEARTH_DATABASE_URL, or hearth.db in HEARTH_DATA_DIR). */
  readonly store: StoreConfig;
  readonly stderr: { write(text: string): unknown };
  /** Refuse a SQLite file that is not there, rather than create an empty one (all but an import). */
  readonly mustExist: boolean;
}

/**
 * Opens the store, runs `work` on it, closes it, and returns the exit status: 0 done, 1 failed,
 * with one line on standard error saying why.
 */
export async function runOnStore(command: StoreCommand, work: (store: Store) => Promise<void>): Promise<number> {
  try {
    if (command.mustExist && command.store.type === 'sqlite') await refuseMissingDatabase(command.store.path);
    const store = await createStore(command.store);
    try {
      await work(store);
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    command.stderr.write(`hearth ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** Opening a SQLite file creates it: a mistyped HEARTH_DATA_DIR would be an empty, valid store. */
export async function refuseMissingDatabase(file: string, dirVariable = 'HEARTH_DATA_DIR', urlVariable = 'HEARTH_DATABASE_URL'): Promise<void> {
  await access(file).catch(() => {
    throw new Error(`there is no database at ${file}: set ${dirVariable} to the directory that holds hearth.db, or ${urlVariable}`);
  });
}
