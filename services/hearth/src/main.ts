import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig, startTracing, type HearthConfig, type StopTracing } from '@hearth/core';

/**
 * The `hearth` command. Tracing hooks fastify, pg and ioredis as they are first loaded, so it
 * starts before they are: @hearth/core's index loads none of them (the drivers are imported
 * when a store or cache is opened), and the server itself is imported only after tracing is set up.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_WEB_DIR = path.resolve(here, '../../web/dist');

function exitOnConfigError<T>(read: () => Promise<T>): Promise<T> {
  return read().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  });
}

async function main(): Promise<void> {
  const config: HearthConfig = await exitOnConfigError(async () => parseConfig(process.env, process.argv.slice(2), process.cwd(), DEFAULT_WEB_DIR));
  const stopTracing: StopTracing = await exitOnConfigError(() => startTracing(process.env, `hearth-${config.target}`));
  const { run } = await import('./run.ts');
  await run(config, stopTracing);
}

main().catch((error: unknown) => {
  if (error instanceof Error && error.name === 'AbortError') return;
  process.stderr.write(`hearth: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
