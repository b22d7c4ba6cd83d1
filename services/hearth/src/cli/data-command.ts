import type { StoreConfig } from '@hearth/core';
import { runArchiveCommand, type ArchiveContext } from './archive.ts';
import type { Command } from './command.ts';
import { runMigrateCommand } from './migrate.ts';
import { leaseTimingOf, sourceStoreOf } from './migrate-stores.ts';
import { runRecordsCommand } from './records.ts';
import type { CliStreams } from './store-command.ts';
import { runWritesCommand } from './writes.ts';

/** The commands that work on the store rather than serve: export, import, writes, backup, restore, migrate. */
export type DataCommand = Exclude<Command, { kind: 'serve' | 'help' | 'chat' }>;

/** What the commands read beside their store: the archive's settings, and the environment (hearth migrate's source, the Kubernetes API of a restore). */
export type DataContext = Omit<ArchiveContext, 'store'>;

/** Runs a data command and returns its exit status (store-command.ts says how it fails). */
export async function runDataCommand(command: DataCommand, store: StoreConfig, streams: CliStreams, context: DataContext): Promise<number> {
  const { env } = context;
  switch (command.kind) {
    case 'writes':
      return runWritesCommand(command, store, streams);
    case 'backup':
    case 'restore':
      return runArchiveCommand(command, { ...context, store }, streams);
    case 'migrate':
      return runMigrateCommand({ target: store, source: sourceStoreOf(env, process.cwd()), targetFiles: context.files }, streams, leaseTimingOf(env));
    case 'export':
    case 'import':
      return runRecordsCommand(command, store, streams);
  }
}
