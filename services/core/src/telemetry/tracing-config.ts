import { ConfigError } from '../config.ts';

/**
 * What the standard OTEL_* variables ask of tracing, decided without loading any of the SDK.
 * OpenTelemetry JS 3.x no longer reads the sampler or batch settings from the environment
 * itself, so they are read here, once, like the rest of Hearth's configuration.
 */

type Env = Readonly<Record<string, string | undefined>>;

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export type TraceExporterConfig = { readonly type: 'otlp'; readonly protocol: OtlpProtocol; readonly url: string } | { readonly type: 'console' };

export type SamplerConfig =
  | { readonly type: 'always_on' | 'always_off' }
  | { readonly type: 'traceidratio'; readonly ratio: number }
  | { readonly type: 'parentbased'; readonly root: SamplerConfig };

export interface BatchConfig {
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
}

export interface TracingConfig {
  readonly exporters: readonly TraceExporterConfig[];
  /** Resource attributes: OTEL_RESOURCE_ATTRIBUTES, then service.name (OTEL_SERVICE_NAME, else the default given). */
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: SamplerConfig;
  readonly batch: BatchConfig;
}

/** The collector's OTLP/HTTP port on the same host, as the specification defaults it. */
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/**
 * The tracing an environment asks for, or null when it asks for none: tracing is off unless an
 * OTLP endpoint or OTEL_TRACES_EXPORTER is set, and OTEL_SDK_DISABLED=true turns it off whatever
 * else is set. Refuses a value it cannot honour with a message that names the variable.
 */
export function parseTracingConfig(env: Env, defaultServiceName: string): TracingConfig | null {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporters = parseExporters(env);
  if (exporters.length === 0) return null;
  const serviceName = value(env, 'OTEL_SERVICE_NAME');
  return {
    exporters,
    resource: {
      'service.name': defaultServiceName,
      ...parseResourceAttributes(value(env, 'OTEL_RESOURCE_ATTRIBUTES') ?? ''),
      ...(serviceName === undefined ? {} : { 'service.name': serviceName }),
    },
    sampler: parseSampler(env),
    batch: parseBatch(env),
  };
}

function value(env: Env, key: string): string | undefined {
  const raw = env[key]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function parseExporters(env: Env): TraceExporterConfig[] {
  const listed = value(env, 'OTEL_TRACES_EXPORTER');
  // An endpoint alone turns tracing on: that is what the operator sets from spec.observability.otlpEndpoint.
  const names = listed === undefined ? (hasOtlpEndpoint(env) ? ['otlp'] : []) : listed.split(',').map((name) => name.trim());
  if (names.includes('none')) {
    if (names.length > 1) throw new ConfigError(`OTEL_TRACES_EXPORTER: "none" cannot be combined with other exporters (got "${listed ?? ''}")`);
    return [];
  }
  return names.map((name) => {
    switch (name) {
      case 'otlp':
        return { type: 'otlp', protocol: parseProtocol(env), url: tracesUrl(env) };
      case 'console':
        return { type: 'console' };
      default:
        throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp, console or none (got "${name}")`);
    }
  });
}

function hasOtlpEndpoint(env: Env): boolean {
  return value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined || value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
}

function parseProtocol(env: Env): OtlpProtocol {
  const key = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = value(env, key) ?? 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigError(`${key} must be ${OTLP_PROTOCOLS.join(' or ')}; gRPC is not supported (got "${protocol}")`);
  }
  return protocol as OtlpProtocol;
}

/** The per-signal endpoint is the URL itself; the general one is a base that /v1/traces is appended to. */
function tracesUrl(env: Env): string {
  const signal = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (signal !== undefined) return checkedUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', signal);
  const base = checkedUrl('OTEL_EXPORTER_OTLP_ENDPOINT', value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP_ENDPOINT);
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function checkedUrl(key: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${key} must be an http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${key} must be an http(s) URL (got "${raw}")`);
  return raw;
}

/** `key1=value1,key2=value2`, values percent-encoded, as the specification writes OTEL_RESOURCE_ATTRIBUTES. */
export function parseResourceAttributes(raw: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = at < 0 ? '' : pair.slice(0, at).trim();
    if (key === '') throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas (got "${pair}")`);
    try {
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      throw new ConfigError(`OTEL_RESOURCE_ATTRIBUTES: the value of ${key} is not valid percent-encoding`);
    }
  }
  return attributes;
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** The default, parentbased_always_on, records every trace a caller has not chosen to drop. */
function parseSampler(env: Env): SamplerConfig {
  const name = value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
  if (!SAMPLERS.includes(name)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')} (got "${name}")`);
  const rootName = name.replace(/^parentbased_/, '');
  const root: SamplerConfig = rootName === 'traceidratio' ? { type: 'traceidratio', ratio: parseRatio(env) } : { type: rootName as 'always_on' | 'always_off' };
  return name.startsWith('parentbased_') ? { type: 'parentbased', root } : root;
}

function parseRatio(env: Env): number {
  const raw = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (got "${raw}")`);
  return ratio;
}

/** The specification's defaults: a batch every 5 s, of at most 512 spans, from a queue of 2048. */
function parseBatch(env: Env): BatchConfig {
  const batch = {
    scheduledDelayMillis: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000, 0),
    exportTimeoutMillis: integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1),
    maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2_048, 1),
    maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    throw new ConfigError(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${batch.maxExportBatchSize}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${batch.maxQueueSize})`);
  }
  return batch;
}

function integer(env: Env, key: string, fallback: number, min: number): number {
  const raw = value(env, key);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min) throw new ConfigError(`${key} must be a whole number of at least ${min} (got "${raw}")`);
  return parsed;
}
