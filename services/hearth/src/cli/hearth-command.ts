import {
  ConfigError,
  parseConfig,
  parseS3Config,
  startTracing,
  type HearthConfig,
  type BlobConfig,
  type S3Config,
  type StopTracing,
  type StoreConfig,
} from '@hearth/core';
import { parseCommand, USAGE, UsageError, type Command } from './command.ts';

/**
 * The `hearth` command, as main.ts runs it. Tracing hooks fastify, pg and ioredis as they are
 * first loaded, so it starts before they are: @hearth/core's index loads none of them (the
 * drivers are imported when a store or cache is opened), and the server itself is imported only
 * after tracing is set up.
 */

function exitOnConfigError<T>(read: () => Promise<T>): Promise<T> {
  return read().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  });
}

/** What the arguments ask for; a usage mistake exits 2 with one line saying what is wrong. */
function commandOrExit(argv: readonly string[]): Command {
  try {
    return parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`hearth: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** The store the server would use (the target `all` reads it from the same variables), the release, and S3 for the archive commands. */
async function dataCommandConfig(webDir: string): Promise<{ store: StoreConfig; files: BlobConfig | null; hearthVersion: string; s3: S3Config }> {
  const config = await exitOnConfigError(async () => parseConfig(process.env, ['--target=all'], process.cwd(), webDir));
  const s3 = await exitOnConfigError(async () => parseS3Config(process.env));
  return { store: config.store, files: config.files.blob, hearthVersion: config.version, s3 };
}

/** Runs `hearth <argv>`; `defaultWebDir` is where the web UI is unless HEARTH_WEB_DIR says otherwise. */
export async function runHearthCommand(argv: readonly string[], defaultWebDir: string): Promise<void> {
  const command = commandOrExit(argv);
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command.kind === 'chat') {
    process.exitCode = await runChat(command.args);
    return;
  }
  if (command.kind !== 'serve') {
    const { store, ...archive } = await dataCommandConfig(defaultWebDir);
    const { runDataCommand } = await import('./data-command.ts');
    // A command whose work stopped waiting on nothing would otherwise end with status 0.
    const unfinished = (): void => {
      process.stderr.write(`hearth ${command.kind}: stopped before it finished\n`);
      process.exitCode = 1;
    };
    process.once('beforeExit', unfinished);
    // hearth migrate reads its source store from the environment too; a bad one exits 2, as any config.
    process.exitCode = await exitOnConfigError(() => runDataCommand(command, store, process, { ...archive, env: process.env }));
    process.off('beforeExit', unfinished);
    return;
  }
  await serve(command.argv, defaultWebDir);
}

/** `hearth chat`: a client of a Hearth elsewhere, so no server configuration; Ctrl-C ends a tail with status 0. */
async function runChat(args: readonly string[]): Promise<number> {
  const { runChatCommand } = await import('./chat/chat.ts');
  const stop = new AbortController();
  const end = (): void => stop.abort();
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  try {
    return await runChatCommand(args, { env: process.env, streams: process, signal: stop.signal });
  } finally {
    process.off('SIGINT', end);
    process.off('SIGTERM', end);
  }
}

async function serve(argv: readonly string[], defaultWebDir: string): Promise<void> {
  const config: HearthConfig = await exitOnConfigError(async () => parseConfig(process.env, argv, process.cwd(), defaultWebDir));
  const stopTracing: StopTracing = await exitOnConfigError(() => startTracing(process.env, `hearth-${config.target}`));
  const { run } = await import('../run.ts');
  await run(config, stopTracing);
}
