import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger, parseConfig, type HearthConfig } from '@hearth/core';
import { listenWhileStarting } from './starting-server.ts';
import type { StartupStatus } from './retry.ts';
import { buildServer, openBackends, type Server } from './server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_WEB_DIR = path.resolve(here, '../../web/dist');
const SHUTDOWN_GRACE_MS = 10_000;

function readConfig(): HearthConfig {
  try {
    return parseConfig(process.env, process.argv.slice(2), process.cwd(), DEFAULT_WEB_DIR);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel, config.target);
  const status: StartupStatus = { waitingFor: null, lastError: null };
  const starting = new AbortController();
  let server: Server | null = null;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    starting.abort();
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    (server?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Probes get an answer (and /readyz the reason) while backends are still unreachable.
  const placeholder = await listenWhileStarting(config.http.host, config.http.port, status);
  const backends = await openBackends(config, logger, status, starting.signal);
  server = await buildServer(config, backends, logger);
  await placeholder.close();
  await server.app.listen({ host: config.http.host, port: placeholder.port });
  const url = config.http.publicUrl.replace(`:${config.http.port}`, `:${placeholder.port}`);
  logger.info({ port: placeholder.port, dataDir: config.dataDir }, `Hearth (${config.target}) is ready at ${url}`);
}

main().catch((error: unknown) => {
  if (error instanceof Error && error.name === 'AbortError') return;
  process.stderr.write(`hearth: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
