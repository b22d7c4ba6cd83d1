import { parseTracingConfig } from './tracing-config.ts';

/** Flushes the spans still held and stops tracing; resolves at once when tracing is off. */
export type StopTracing = () => Promise<void>;

let started = false;

/**
 * Sets up OpenTelemetry tracing for this process as the standard OTEL_* variables in `env` ask
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER,
 * OTEL_BSP_*…); `serviceName` is service.name unless OTEL_SERVICE_NAME is set. Off unless an
 * endpoint or exporter is named, and then the SDK is not even loaded.
 *
 * Call it once, first thing, before anything imports node:http, pg or ioredis: the
 * instrumentations hook those modules as they load. Throws ConfigError on a bad variable.
 */
export async function startTracing(env: Readonly<Record<string, string | undefined>>, serviceName: string): Promise<StopTracing> {
  if (started) throw new Error('tracing is already started in this process');
  const config = parseTracingConfig(env, serviceName);
  started = true;
  if (config === null) return async () => undefined;
  const { startTracingSdk } = await import('./tracing-sdk.ts');
  return startTracingSdk(config);
}
