import type { StoreConfig } from '@hearth/core';
import type { Command } from './command.ts';
import { runRecordsCommand } from './records.ts';
import type { CliStreams } from './store-command.ts';
import { runWritesCommand } from './writes.ts';

/** The commands that work on the store rather than serve: export, import, writes. */
export type DataCommand = Exclude<Command, { kind: 'serve' | 'help' }>;

/** Runs a data command and returns its exit status (store-command.ts says how it fails). */
export function runDataCommand(command: DataCommand, store: StoreConfig, streams: CliStreams): Promise<number> {
  return command.kind === 'writes' ? runWritesCommand(command, store, streams) : runRecordsCommand(command, store, streams);
}
