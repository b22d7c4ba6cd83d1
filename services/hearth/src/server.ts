import { mkdirSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  createBus,
  createCommandClient,
  createBlobStore,
  createEphemeral,
  createSessionService,
  removeFileBlobs,
  SessionCache,
  createStore,
  createMetrics,
  createThumbnailer,
  OutboundAddressPolicy,
  timed,
  type BlobStore,
  type Bus,
  type Ephemeral,
  type HearthConfig,
  type HearthMetrics,
  type Logger,
  type SignedIn,
  type Store,
} from '@hearth/core';
import { openOidcClient, registerGateway, registerSecurityHeaders, type FileService } from '@hearth/gateway';
import { startMessaging, type Messaging } from '@hearth/messaging';
import { mountRealtime, type Realtime } from '@hearth/realtime';
import { sessionIdFromCookieHeader } from '@hearth/core';
import { registerBodyLimit } from './body-limit.ts';
import { buildSerializerOnDemand } from './serializer-on-demand.ts';
import { buildValidatorOnDemand } from './validator-on-demand.ts';
import { registerErrorHandler, registerNotFound } from './error-handler.ts';
import { capConnectionsPerAddress } from './connection-cap.ts';
import { answerClientError, answerFrameworkError, MAX_PARAM_LENGTH } from './framework-errors.ts';
import { registerHealth } from './health.ts';
import { registerJsonBody } from './json-body.ts';
import { registerMetrics } from './metrics-endpoint.ts';
import { openWithRetry, redactUrl, type BackendToOpen, type StartupStatus, type StartupWait } from './retry.ts';

export interface Backends {
  readonly store: Store;
  readonly bus: Bus;
  readonly ephemeral: Ephemeral;
  /** Where files' bytes are kept, for the targets that take and serve them; null when files are off. */
  readonly blobs: BlobStore | null;
  /** This server's metrics; the backends above already count into them. */
  readonly metrics: HearthMetrics;
}

/** Which bus calls are publications, and of what. */
const BUS_PUBLICATIONS: Readonly<Record<string, string>> = { publishRoomEvent: 'event', publishSignal: 'signal', request: 'command' };

export interface Server {
  readonly app: FastifyInstance;
  /** Stops accepting, drains what is in flight, closes backends. */
  stop(): Promise<void>;
}

function describeStore(config: HearthConfig['store']): BackendToOpen {
  return config.type === 'sqlite'
    ? { kind: 'SQLite', where: `SQLite at ${config.path}` }
    : { kind: 'PostgreSQL', where: `PostgreSQL at ${redactUrl(config.url)}` };
}

function describeBus(config: HearthConfig['bus']): BackendToOpen {
  return config.type === 'local'
    ? { kind: 'the in-process bus', where: 'the in-process bus' }
    : { kind: 'NATS', where: `NATS at ${config.servers.join(', ')}` };
}

function describeBlobs(config: NonNullable<HearthConfig['files']['blob']>): BackendToOpen {
  switch (config.type) {
    case 'directory':
      return { kind: 'the files directory', where: `the files directory ${config.dir}` };
    case 'postgres':
      return { kind: 'PostgreSQL (files)', where: `PostgreSQL at ${redactUrl(config.url)} (files)` };
    case 's3':
      return { kind: 'S3 (files)', where: `s3://${config.bucket}/${config.prefix} (files)` };
  }
}

/** Realtime neither takes nor serves files. */
function openBlobs(config: HearthConfig, wait: StartupWait): Promise<BlobStore | null> {
  const blob = config.files.blob;
  if (blob === null || config.target === 'realtime') return Promise.resolve(null);
  return openWithRetry(describeBlobs(blob), () => createBlobStore(blob), wait);
}

function describeEphemeral(config: HearthConfig['ephemeral']): BackendToOpen {
  return config.type === 'memory' ? { kind: 'in-memory state', where: 'in-memory state' } : { kind: 'Redis', where: `Redis at ${redactUrl(config.url)}` };
}

/** Opens each backend, waiting (with back-off and a log line naming it) for any that is not reachable yet. */
export async function openBackends(
  config: HearthConfig,
  logger: Logger,
  status: StartupStatus = { waitingFor: null },
  signal: AbortSignal = new AbortController().signal,
): Promise<Backends> {
  if (config.store.type === 'sqlite') mkdirSync(config.dataDir, { recursive: true });
  const metrics = createMetrics({ target: config.target, version: config.version }, (error) =>
    logger.warn({ err: error }, 'metrics: a value could not be read'),
  );
  const wait: StartupWait = { logger, status, signal };
  const store = await openWithRetry(describeStore(config.store), () => createStore(config.store), wait);
  const bus = await openWithRetry(
    describeBus(config.bus),
    () =>
      createBus(config.bus, {
        onError: (error: unknown) => logger.error({ err: error }, 'bus listener failed'),
        onConsumed: (delaySeconds) => metrics.busConsumeDelay.observe(delaySeconds),
        onAnnounced: () => metrics.busAnnounced.inc(),
      }),
    wait,
  );
  const ephemeral = await openWithRetry(describeEphemeral(config.ephemeral), () => createEphemeral(config.ephemeral), wait);
  const blobs = await openBlobs(config, wait);
  const dialect = config.store.type;
  const backend = config.ephemeral.type;
  return {
    store: timed(store, (operation, seconds) => metrics.storeOperation.observe({ operation, dialect }, seconds)),
    bus: timed(
      bus,
      (operation, seconds) => metrics.busPublish.observe({ kind: BUS_PUBLICATIONS[operation] ?? operation }, seconds),
      new Set(Object.keys(BUS_PUBLICATIONS)),
    ),
    ephemeral: timed(ephemeral, (operation, seconds) => metrics.ephemeralOperation.observe({ operation, backend }, seconds)),
    blobs,
    metrics,
  };
}

/** Fastify as every target runs it: our logger, limits, timeouts and answers to what comes before a route. */
function createApp(config: HearthConfig, logger: Logger): FastifyInstance {
  return Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.limits.bodyBytes,
    trustProxy: trustProxyOption(config.http.trustProxy),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaController: { compilersFactory: { buildSerializer: buildSerializerOnDemand, buildValidator: buildValidatorOnDemand } },
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    ...requestTimeouts(config.limits.requestTimeoutSeconds),
    // Fastify logs two info lines per request; one line per request, at debug (errors at error), instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
}

/** Builds the app of a target with every role it runs, without listening (tests use app.inject). */
export async function buildServer(config: HearthConfig, backends: Backends, logger: Logger): Promise<Server> {
  const { store, bus, ephemeral, blobs, metrics } = backends;
  const app = createApp(config, logger);
  // Behind a trusted proxy every connection is the proxy's: the proxy caps its clients' connections.
  if (config.http.trustProxy === false) capConnectionsPerAddress(app.server, config.limits.connectionsPerAddress);
  // First, so every route of every target (realtime's SSE, the probes, the API) answers errors alike.
  registerErrorHandler(app);
  registerSecurityHeaders(app, config.http.publicUrl);
  registerBodyLimit(app, config.limits.bodyBytes);
  registerJsonBody(app);
  registerMetrics(app, metrics, { store, bus });
  app.addHook('onResponse', async (request, reply) => {
    const fields = { method: request.method, url: request.url.split('?')[0], statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) request.log.error(fields, 'request failed');
    else request.log.debug(fields, 'request');
  });
  const runs = (role: 'gateway' | 'realtime' | 'messaging'): boolean => config.target === 'all' || config.target === role;
  // Each process that resolves sessions (gateway, realtime) keeps them briefly, and drops one
  // when a signal says it ended or its user changed.
  const sessionCache = new SessionCache();
  const sessionSignals = bus.subscribeSignals((signal) => sessionCache.observe(signal));
  const sessions = createSessionService(store, config.auth.sessions, Date.now, sessionCache);
  let draining = false;

  // Webhooks and push services alike are at addresses people chose: public ones, and the networks allowed.
  const addressPolicy = new OutboundAddressPolicy(config.webhooks.allowedNetworks);
  const messaging: Messaging | null = runs('messaging') ? startMessagingOf(config, backends, logger, addressPolicy) : null;
  const files = runs('gateway') ? fileServiceOf(config, blobs, logger) : null;
  if (runs('gateway')) {
    await registerGateway(app, {
      store,
      ephemeral,
      bus,
      sessions,
      logger,
      metrics,
      commands: createCommandClient(bus),
      http: config.http,
      limits: config.limits,
      auth: config.auth,
      oidc: config.auth.oidc === null ? null : await openOidcClient(config.auth.oidc, logger),
      webDir: config.webDir,
      files,
      push: config.push === null ? null : { addressPolicy },
    });
  } else {
    // The gateway's 404 also serves the web UI's pages; the other targets answer in the error shape.
    registerNotFound(app);
  }
  let realtime: Realtime | null = null;
  if (runs('realtime')) {
    const authenticate = async (cookie: string | undefined): Promise<SignedIn | null> => {
      const id = sessionIdFromCookieHeader(cookie);
      return id === null ? null : sessions.resolve(id);
    };
    realtime = mountRealtime(app, { store, bus, ephemeral, logger, metrics, publicUrl: config.http.publicUrl, limits: config.limits }, authenticate);
  }
  registerHealth(
    app,
    [
      { name: 'store', check: () => store.ping() },
      { name: 'bus', check: () => bus.ping() },
      { name: 'ephemeral', check: () => ephemeral.ping() },
      ...(blobs === null ? [] : [{ name: 'files', check: () => blobs.ping() }]),
    ],
    () => draining,
  );

  return {
    app,
    async stop() {
      draining = true;
      // Realtime clients are told to resume elsewhere before the listener closes.
      realtime?.close();
      await app.close();
      await files?.thumbnails.close();
      await messaging?.stop();
      sessionSignals.unsubscribe();
      await bus.close();
      await ephemeral.close();
      await blobs?.close();
      await store.close();
    },
  };
}

/** Files for the gateway: where they are kept, their limits, and images' thumbnails made in a worker thread. */
function fileServiceOf(config: HearthConfig, blobs: BlobStore | null, logger: Logger): FileService | null {
  if (blobs === null) return null;
  // A thumbnail worker that fails is logged; the upload it served goes on without a thumbnail.
  const watch = (worker: Worker): void =>
    void worker.on('error', (error) => logger.warn({ err: error }, 'the thumbnail worker failed; the upload is kept without a thumbnail'));
  return { blobs, limits: config.files.limits, thumbnails: createThumbnailer({ onWorkerStart: watch }) };
}

function startMessagingOf(config: HearthConfig, backends: Backends, logger: Logger, addressPolicy: OutboundAddressPolicy): Messaging {
  const { store, bus, blobs, metrics } = backends;
  return startMessaging({
    store,
    bus,
    logger,
    metrics,
    limits: config.limits,
    publicUrl: config.http.publicUrl,
    webhooks: { addressPolicy },
    ...(config.push === null ? {} : { push: { contact: config.push.contact, addressPolicy } }),
    ...(blobs === null ? {} : { removeFile: (fileId: string) => removeFileBlobs(blobs, fileId) }),
  });
}

/**
 * A whole request (headers and body) within `seconds`, or 408 and the connection closed. Node
 * checks for late requests every connectionsCheckingInterval (30 s by default), which would let a
 * short timeout run twice over; a second is cheap (a walk over the open connections).
 */
function requestTimeouts(seconds: number): { requestTimeout: number; http: { headersTimeout: number; connectionsCheckingInterval: number } } {
  const ms = seconds * 1_000;
  return { requestTimeout: ms, http: { headersTimeout: ms, connectionsCheckingInterval: Math.min(1_000, ms) } };
}

/** A hop count becomes "trust the nearest n proxies"; fastify's types take that as a function. */
function trustProxyOption(setting: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}
