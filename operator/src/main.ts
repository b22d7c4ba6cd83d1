// The operator process: `node operator/src/main.ts`. Configuration from the environment
// (config.ts); SIGTERM or SIGINT drain the reconciles, hand the Lease back and exit 0.
import { ConfigError, loadConfig, type OperatorConfig } from './config.ts';
import { createOperator, loadKubeConfig, type Log } from './operator.ts';

const log: Log = (message, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
};

function readConfig(): OperatorConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hearth-operator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const config = readConfig();
const operator = createOperator(config, loadKubeConfig(config), log);
let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log('stopping', { signal });
  operator.stop().then(
    () => {
      log('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      log('stop failed', { error: String(error) });
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
await operator.start();
log('started', { namespaces: config.namespaces ?? '(all)', port: operator.controller.port(), leaderElection: config.leaderElection.enabled });
