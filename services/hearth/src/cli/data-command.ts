import type { StoreConfig } from '@hearth/core';
import type { Command } from './command.ts';
import { runMigrateCommand } from './migrate.ts';
import { leaseTimingOf, sourceStoreOf } from './migrate-stores.ts';
import { runRecordsCommand } from './records.ts';
import type { CliStreams } from './store-command.ts';
import { runWritesCommand } from './writes.ts';

/** The commands that work on the store rather than serve: export, import, writes, migrate. */
export type DataCommand = Exclude<Command, { kind: 'serve' | 'help' }>;

/** The environment, for the commands that read more than the store from it (hearth migrate's source). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Runs a data command and returns its exit status (store-command.ts says how it fails). */
export async function runDataCommand(command: DataCommand, store: StoreConfig, streams: CliStreams, env: Environment = {}): Promise<number> {
  switch (command.kind) {
    case 'writes':
      return runWritesCommand(command, store, streams);
    case 'migrate':
      return runMigrateCommand(store, sourceStoreOf(env, process.cwd()), streams, leaseTimingOf(env));
    case 'export':
    case 'import':
      return runRecordsCommand(command, store, streams);
  }
}
