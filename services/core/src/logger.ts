import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout, one line per event, with the service role on every line. */
export function createLogger(level: string, target: string): Logger {
  return pino({ level, base: { service: 'hearth', target }, timestamp: pino.stdTimeFunctions.isoTime });
}
