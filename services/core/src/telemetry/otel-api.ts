import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/**
 * @opentelemetry/api's CommonJS build, the one prom-client, the SDK and the instrumentations
 * require(). The package has an ES module build too, which an `import` would load beside it
 * (51 more modules at every start); the two share their state through a global anyway, so
 * Hearth's code takes the one that is loaded regardless. Types still come from the package.
 */
const api = createRequire(import.meta.url)('@opentelemetry/api') as typeof OtelApi;

export const { context, diag, DiagLogLevel, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = api;
