import { flushCompileCache } from 'node:module';
import type { HearthConfig, StopTracing } from '@hearth/core';
import { createLogger } from '@hearth/core';
import { listenWhileStarting } from './starting-server.ts';
import type { StartupStatus } from './retry.ts';
import { buildServer, openBackends, type Server } from './server.ts';
import { startIdleTrim, type IdleTrim } from './idle-trim.ts';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Runs the server of a target until SIGTERM or SIGINT, then drains it, flushes the spans still
 * held and exits. cli/hearth-command.ts starts tracing before importing this module.
 */
export async function run(config: HearthConfig, stopTracing: StopTracing): Promise<void> {
  const logger = createLogger(config.logLevel, config.target);
  const status: StartupStatus = { waitingFor: null };
  const starting = new AbortController();
  let server: Server | null = null;
  let idleTrim: IdleTrim | null = null;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    idleTrim?.stop();
    starting.abort();
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    // Spans are flushed after the server has drained, so the last requests' spans are in the flush.
    (server?.stop() ?? Promise.resolve())
      .then(() => stopTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Probes get an answer (and /readyz the backend it waits for) while backends are still unreachable.
  const placeholder = await listenWhileStarting(config.http.host, config.http.port, status);
  const backends = await openBackends(config, logger, status, starting.signal);
  server = await buildServer(config, backends, logger);
  await placeholder.close();
  await server.app.listen({ host: config.http.host, port: placeholder.port });
  const url = config.http.publicUrl.replace(`:${config.http.port}`, `:${placeholder.port}`);
  logger.info({ port: placeholder.port, dataDir: config.dataDir }, `Hearth (${config.target}) is ready at ${url}`);
  // Node writes the compile cache (main.ts) at exit; a server is more often killed than exited,
  // and every module it runs is loaded by now.
  flushCompileCache();
  idleTrim = startIdleTrim(config.idleTrimSeconds, logger);
}
