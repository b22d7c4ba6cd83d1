import type { StoreConfig } from '@hearth/core';
import { runArchiveCommand, type ArchiveContext } from './archive.ts';
import type { Command } from './command.ts';
import { runRecordsCommand } from './records.ts';
import type { CliStreams } from './store-command.ts';
import { runWritesCommand } from './writes.ts';

/** The commands that work on the store rather than serve: export, import, writes, backup, restore. */
export type DataCommand = Exclude<Command, { kind: 'serve' | 'help' }>;

/** Runs a data command and returns its exit status (store-command.ts says how it fails). */
export function runDataCommand(command: DataCommand, store: StoreConfig, streams: CliStreams, archive: Omit<ArchiveContext, 'store'>): Promise<number> {
  switch (command.kind) {
    case 'writes':
      return runWritesCommand(command, store, streams);
    case 'backup':
    case 'restore':
      return runArchiveCommand(command, { ...archive, store }, streams);
    default:
      return runRecordsCommand(command, store, streams);
  }
}
