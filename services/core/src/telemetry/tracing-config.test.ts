import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config.ts';
import { parseResourceAttributes, parseTracingConfig } from './tracing-config.ts';

describe('parseTracingConfig', () => {
  it('is off with no endpoint and no exporter named, whatever else is set', () => {
    assert.equal(parseTracingConfig({}, 'hearth-gateway'), null);
    assert.equal(parseTracingConfig({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, 'hearth-gateway'), null);
  });

  it('is off when told so, even with an endpoint', () => {
    assert.equal(parseTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, 's'), null);
    assert.equal(parseTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' }, 's'), null);
  });

  it('an endpoint alone turns on OTLP over HTTP (protobuf by default) to <endpoint>/v1/traces, with the specification defaults', () => {
    assert.deepEqual(parseTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.monitoring:4318/' }, 'hearth-gateway'), {
      exporters: [{ type: 'otlp', protocol: 'http/protobuf', url: 'http://collector.monitoring:4318/v1/traces' }],
      resource: { 'service.name': 'hearth-gateway' },
      sampler: { type: 'parentbased', root: { type: 'always_on' } },
      batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    });
  });

  const cases: {
    name: string;
    env: Record<string, string>;
    expect: (config: NonNullable<ReturnType<typeof parseTracingConfig>>) => unknown;
    equals: unknown;
  }[] = [
    {
      name: 'the per-signal endpoint is used as it is, and wins',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' },
      expect: (c) => c.exporters,
      equals: [{ type: 'otlp', protocol: 'http/protobuf', url: 'https://b/otlp/traces' }],
    },
    {
      name: 'OTEL_TRACES_EXPORTER=otlp with no endpoint sends to the local collector',
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      expect: (c) => c.exporters,
      equals: [{ type: 'otlp', protocol: 'http/json', url: 'http://localhost:4318/v1/traces' }],
    },
    {
      name: 'the per-signal protocol wins',
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
      expect: (c) => c.exporters.map((e) => (e.type === 'otlp' ? e.protocol : e.type)),
      equals: ['http/json'],
    },
    {
      name: 'exporters may be listed',
      env: { OTEL_TRACES_EXPORTER: 'console, otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
      expect: (c) => c.exporters.map((e) => e.type),
      equals: ['console', 'otlp'],
    },
    {
      name: 'OTEL_SERVICE_NAME beats service.name in OTEL_RESOURCE_ATTRIBUTES, which beats the default',
      env: { OTEL_TRACES_EXPORTER: 'console', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=prod', OTEL_SERVICE_NAME: 'from-env' },
      expect: (c) => c.resource,
      equals: { 'service.name': 'from-env', 'deployment.environment': 'prod' },
    },
    {
      name: 'resource attributes are percent-decoded',
      env: { OTEL_TRACES_EXPORTER: 'console', OTEL_RESOURCE_ATTRIBUTES: 'service.name=a%20b' },
      expect: (c) => c.resource,
      equals: { 'service.name': 'a b' },
    },
    {
      name: 'a ratio sampler, parent-based',
      env: { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
      expect: (c) => c.sampler,
      equals: { type: 'parentbased', root: { type: 'traceidratio', ratio: 0.25 } },
    },
    {
      name: 'a ratio sampler with no argument samples everything',
      env: { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'traceidratio' },
      expect: (c) => c.sampler,
      equals: { type: 'traceidratio', ratio: 1 },
    },
    {
      name: 'always_off',
      env: { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'always_off' },
      expect: (c) => c.sampler,
      equals: { type: 'always_off' },
    },
    {
      name: 'the batch settings',
      env: {
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BSP_EXPORT_TIMEOUT: '2000',
        OTEL_BSP_MAX_QUEUE_SIZE: '64',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
      },
      expect: (c) => c.batch,
      equals: { scheduledDelayMillis: 100, exportTimeoutMillis: 2000, maxQueueSize: 64, maxExportBatchSize: 64 },
    },
  ];
  for (const { name, env, expect, equals } of cases) {
    it(name, () => {
      const config = parseTracingConfig(env, 'default');
      assert.ok(config !== null);
      assert.deepEqual(expect(config), equals);
    });
  }

  const refusals: { env: Record<string, string>; names: string }[] = [
    { env: { OTEL_TRACES_EXPORTER: 'jaeger' }, names: 'OTEL_TRACES_EXPORTER' },
    { env: { OTEL_TRACES_EXPORTER: 'none,otlp' }, names: 'OTEL_TRACES_EXPORTER' },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, names: 'OTEL_EXPORTER_OTLP_PROTOCOL' },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, names: 'OTEL_EXPORTER_OTLP_ENDPOINT' },
    { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, names: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' },
    { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'jaeger_remote' }, names: 'OTEL_TRACES_SAMPLER' },
    { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, names: 'OTEL_TRACES_SAMPLER_ARG' },
    { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_SCHEDULE_DELAY: 'soon' }, names: 'OTEL_BSP_SCHEDULE_DELAY' },
    { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_MAX_QUEUE_SIZE: '10' }, names: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' },
    { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, names: 'OTEL_RESOURCE_ATTRIBUTES' },
  ];
  for (const { env, names } of refusals) {
    it(`refuses ${JSON.stringify(env)}, naming ${names}`, () => {
      assert.throws(
        () => parseTracingConfig(env, 'default'),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(names),
      );
    });
  }
});

describe('parseResourceAttributes', () => {
  it('skips empty pairs and trims around keys and values', () => {
    assert.deepEqual(parseResourceAttributes(' a = 1 ,, b=x=y '), { a: '1', b: 'x=y' });
  });
});
