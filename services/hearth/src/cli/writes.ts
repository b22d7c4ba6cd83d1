import type { Store, StoreConfig } from '@hearth/core';
import type { Command } from './command.ts';
import { runOnStore, type CliStreams } from './store-command.ts';

/**
 * `hearth writes pause | resume | status`: the store's write gate (write-gate.ts in core), for a
 * migration or a copy that must see every acknowledged write. A pause returns once every write
 * accepted before it is committed, so an export started after it holds them all.
 */

export type WritesCommand = Extract<Command, { kind: 'writes' }>;

export function runWritesCommand(command: WritesCommand, store: StoreConfig, streams: CliStreams): Promise<number> {
  return runOnStore({ name: `writes ${command.action}`, store, stderr: streams.stderr, mustExist: true }, async (opened) => {
    streams.stdout.write(`${await applyWrites(command, opened)}\n`);
  });
}

async function applyWrites(command: WritesCommand, store: Store): Promise<string> {
  if (command.action === 'pause') {
    const since = new Date().toISOString();
    await store.pauseWrites({ since, reason: command.reason });
    return `writes paused since ${since}: ${command.reason}`;
  }
  if (command.action === 'resume') {
    await store.resumeWrites();
    return 'writes open';
  }
  const pause = await store.writePause();
  if (pause === null) return 'writes open';
  // A lease (hearth migrate's) ends by itself unless renewed: say when.
  const lease = pause.leaseUntil === undefined ? '' : ` (until ${pause.leaseUntil} unless renewed)`;
  return `writes paused since ${pause.since}: ${pause.reason}${lease}`;
}
