import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger, parseConfig, type HearthConfig } from '@hearth/core';
import { buildServer, openBackends } from './server.ts';

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
  const backends = await openBackends(config, logger);
  const server = await buildServer(config, backends, logger);
  await server.app.listen({ host: config.http.host, port: config.http.port });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  logger.info({ port, dataDir: config.dataDir }, `Hearth (${config.target}) is ready at ${config.http.publicUrl.replace(`:${config.http.port}`, `:${port}`)}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`hearth: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
