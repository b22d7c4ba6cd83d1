import { readFileSync } from 'node:fs';
import client, { type Counter, type Gauge, type Histogram, type LabelValues, type MetricObject, type Registry, type RegistryContentType } from 'prom-client';
import { within } from '../deadline.ts';
import { traceIdOf } from './spans.ts';

/**
 * The metrics a Hearth process serves on /metrics. The names, labels and buckets are a
 * contract with the alert rules and the dashboard in deploy/monitoring/ and the table in
 * docs/observability.md (a test holds all four together). Labels carry only small fixed
 * sets (a route template, a method name, a status class): never a room, user or message id.
 *
 * One set per server, in a registry of its own, so two servers in one process (the tests)
 * do not count into each other; the Node runtime's metrics are per process and live in a
 * registry shared by every server (processRegistry).
 */
export interface HearthMetrics {
  readonly http: Histogram<'method' | 'route' | 'status_class'>;
  readonly posts: Counter<'outcome'>;
  readonly postAck: Histogram;
  readonly delivery: Histogram;
  readonly connections: Gauge<'transport'>;
  readonly connects: Counter<'transport' | 'kind'>;
  readonly connectFailures: Counter<'transport' | 'reason'>;
  readonly replayedEvents: Counter<'transport'>;
  readonly fanoutSends: Counter;
  readonly fanoutDrops: Counter;
  readonly slowConsumerCloses: Counter<'transport'>;
  readonly outboxBacklog: Gauge;
  readonly outboxOldestAge: Gauge;
  readonly outboxPublished: Counter;
  readonly busPublish: Histogram<'kind'>;
  readonly busConsumeDelay: Histogram;
  readonly busAnnounced: Counter;
  readonly busConsumerPending: Gauge;
  readonly busStreamBytes: Gauge;
  readonly busStreamMaxBytes: Gauge;
  readonly storeOperation: Histogram<'operation' | 'dialect'>;
  readonly storePoolInUse: Gauge;
  readonly storePoolWaiting: Gauge;
  readonly ephemeralOperation: Histogram<'operation' | 'backend'>;
  /** Runs `collect` at every scrape, before rendering: for values read rather than counted. */
  onCollect(collect: () => Promise<void> | void): void;
  /** The exposition for a scraper's Accept header: OpenMetrics (with exemplars) when asked for, else Prometheus text. */
  render(accept: string | undefined): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface MetricsIdentity {
  /** The role this process runs: gateway, realtime, messaging or all. */
  readonly target: string;
  readonly version: string;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** 0.3 s is the post SLO's threshold, so it is a bucket bound. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5];
/**
 * A collector reads a backend (the outbox's size, the stream's): one that is slow must not hold the
 * scrape past Prometheus's timeout, or a slow database would page as the component being down.
 */
const COLLECT_DEADLINE_MS = 2_000;
const BACKEND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** `onCollectError` hears of a collector that failed; the scrape goes on with that metric's last value. */
export function createMetrics(identity: MetricsIdentity, onCollectError: (error: unknown) => void = () => undefined): HearthMetrics {
  const registry = openMetricsRegistry();
  const collectors: (() => Promise<void> | void)[] = [];
  const make = metricMaker(registry);
  make
    .gauge('hearth_build_info', 'Always 1: the version and target this process runs.', ['version', 'target'])
    .set({ version: identity.version, target: identity.target }, 1);
  const memoryLimit = containerMemoryLimit();
  if (memoryLimit !== null) make.gauge('hearth_memory_limit_bytes', "The container's memory limit (cgroup memory.max).").set(memoryLimit);
  // Made in this order, which is the order they are rendered in.
  const metrics = { ...postMetrics(make), ...realtimeMetrics(make), ...busMetrics(make), ...backendMetrics(make) };
  startAtZero(metrics);
  return {
    ...metrics,
    onCollect(collect) {
      collectors.push(collect);
    },
    render: (accept) =>
      renderSerially(async () => {
        await runCollectors(collectors, onCollectError);
        return render([processRegistry(), registry], wantsOpenMetrics(accept));
      }),
  };
}

type MetricSet = Omit<HearthMetrics, 'onCollect' | 'render'>;

interface HistogramOptions<L extends string> {
  readonly buckets: number[];
  readonly labelNames?: readonly L[];
  /** Observations carry their trace's id (observeWithTrace). */
  readonly exemplars?: boolean;
}

/** Makes metrics registered in `registry`. */
interface MetricMaker {
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = never>(name: string, help: string, options: HistogramOptions<L>): Histogram<L>;
}

function metricMaker(registry: AnyRegistry): MetricMaker {
  return {
    counter: (name, help, labelNames = []) => new client.Counter({ name, help, labelNames, registers: [registry] }),
    gauge: (name, help, labelNames = []) => new client.Gauge({ name, help, labelNames, registers: [registry] }),
    histogram: (name, help, { buckets, labelNames = [], exemplars = false }) =>
      new client.Histogram({ name, help, buckets, labelNames, registers: [registry], enableExemplars: exemplars }),
  };
}

/** HTTP requests, posts and the delivery of what they post. */
function postMetrics(make: MetricMaker): Pick<MetricSet, 'http' | 'posts' | 'postAck' | 'delivery'> {
  return {
    http: make.histogram('hearth_http_request_duration_seconds', 'HTTP requests by route template and status class, from arrival to the last byte sent.', {
      buckets: LATENCY_BUCKETS,
      labelNames: ['method', 'route', 'status_class'],
      exemplars: true,
    }),
    posts: make.counter('hearth_posts_total', 'Message posts by outcome: acknowledged, rejected (4xx, the request was wrong) or failed (5xx).', ['outcome']),
    postAck: make.histogram('hearth_post_ack_duration_seconds', 'Time from a post arriving to its acknowledgement, acknowledged posts only.', {
      buckets: ACK_BUCKETS,
      exemplars: true,
    }),
    delivery: make.histogram('hearth_delivery_latency_seconds', "Time from a room event's commit to its write to this process's sockets.", {
      buckets: LATENCY_BUCKETS,
      exemplars: true,
    }),
  };
}

/** Realtime connections and the fan-out to them. */
function realtimeMetrics(
  make: MetricMaker,
): Pick<MetricSet, 'connections' | 'connects' | 'connectFailures' | 'replayedEvents' | 'fanoutSends' | 'fanoutDrops' | 'slowConsumerCloses'> {
  return {
    connections: make.gauge('hearth_realtime_connections', 'Open realtime connections by transport.', ['transport']),
    connects: make.counter('hearth_realtime_connects_total', 'Realtime connections opened, by transport and kind (new, or resume: a reconnect).', [
      'transport',
      'kind',
    ]),
    connectFailures: make.counter(
      'hearth_realtime_connect_failures_total',
      "Realtime connections not opened: refused (sign-in, origin, bad request) or error (the server's fault).",
      ['transport', 'reason'],
    ),
    replayedEvents: make.counter('hearth_realtime_replayed_events_total', 'Room events sent while catching a connection up from the bus or the store.', [
      'transport',
    ]),
    fanoutSends: make.counter('hearth_fanout_sends_total', 'Live room events offered to a connection.'),
    fanoutDrops: make.counter('hearth_fanout_drops_total', 'Frames not written because the connection had fallen too far behind (it is closed and resumes).'),
    slowConsumerCloses: make.counter('hearth_realtime_slow_consumer_closes_total', 'Connections closed for falling too far behind.', ['transport']),
  };
}

/** The outbox, and the bus it publishes to. */
function busMetrics(
  make: MetricMaker,
): Pick<
  MetricSet,
  | 'outboxBacklog'
  | 'outboxOldestAge'
  | 'outboxPublished'
  | 'busPublish'
  | 'busConsumeDelay'
  | 'busAnnounced'
  | 'busConsumerPending'
  | 'busStreamBytes'
  | 'busStreamMaxBytes'
> {
  return {
    outboxBacklog: make.gauge('hearth_outbox_backlog_events', 'Committed room events not yet published to the bus.'),
    outboxOldestAge: make.gauge('hearth_outbox_oldest_age_seconds', 'Age of the oldest unpublished room event; 0 when the outbox is empty.'),
    outboxPublished: make.counter('hearth_outbox_published_total', 'Room events the outbox relay published to the bus.'),
    busPublish: make.histogram(
      'hearth_bus_publish_duration_seconds',
      'Time to publish to the bus and have it acknowledged, by kind (event, signal, command: a command includes its reply).',
      { buckets: LATENCY_BUCKETS, labelNames: ['kind'] },
    ),
    busConsumeDelay: make.histogram('hearth_bus_consume_delay_seconds', "Time from a room event's publication to the stream to its arrival in this process.", {
      buckets: LATENCY_BUCKETS,
    }),
    busAnnounced: make.counter(
      'hearth_bus_announced_events_total',
      "Room events this process's live feed took from messaging's announcement at commit, ahead of the stream (the rest come by the stream).",
    ),
    busConsumerPending: make.gauge(
      'hearth_bus_consumer_pending_messages',
      "Room events in the stream not yet delivered to this process's live feed (JetStream consumer lag).",
    ),
    busStreamBytes: make.gauge('hearth_bus_stream_bytes', 'Bytes the room-event stream stores.'),
    busStreamMaxBytes: make.gauge(
      'hearth_bus_stream_max_bytes',
      "The room-event stream's storage limit: its max_bytes, or the account's JetStream storage limit.",
    ),
  };
}

/** The store and the ephemeral state. */
function backendMetrics(make: MetricMaker): Pick<MetricSet, 'storeOperation' | 'storePoolInUse' | 'storePoolWaiting' | 'ephemeralOperation'> {
  return {
    storeOperation: make.histogram('hearth_store_operation_duration_seconds', 'Store calls by method (a transaction is one call) and dialect.', {
      buckets: BACKEND_BUCKETS,
      labelNames: ['operation', 'dialect'],
    }),
    storePoolInUse: make.gauge('hearth_store_pool_in_use_connections', 'PostgreSQL connections checked out of the pool.'),
    storePoolWaiting: make.gauge('hearth_store_pool_waiting_requests', 'Requests waiting for a PostgreSQL connection.'),
    ephemeralOperation: make.histogram(
      'hearth_ephemeral_operation_duration_seconds',
      'Ephemeral-state calls (presence, typing, rate limits) by method and backend (redis or memory).',
      { buckets: BACKEND_BUCKETS, labelNames: ['operation', 'backend'] },
    ),
  };
}

/** Runs every collector, each within COLLECT_DEADLINE_MS; a failure goes to `onCollectError`, not to the scrape. */
async function runCollectors(collectors: readonly (() => Promise<void> | void)[], onCollectError: (error: unknown) => void): Promise<void> {
  await Promise.all(
    collectors.map((collect) =>
      within(
        Promise.resolve().then(collect),
        COLLECT_DEADLINE_MS,
        () => new Error(`a metrics collector took longer than ${COLLECT_DEADLINE_MS} ms; its metric keeps its last value`),
      ).catch(onCollectError),
    ),
  );
}

/**
 * Every series of a labelled counter, at 0 from the start: a series that first appears holding
 * its first increase hides that increase from rate(), and a panel over it would show no data.
 */
function startAtZero(metrics: MetricSet): void {
  const transports = ['websocket', 'sse'];
  for (const outcome of ['acknowledged', 'rejected', 'failed']) metrics.posts.inc({ outcome }, 0);
  for (const transport of transports) {
    for (const kind of ['new', 'resume']) metrics.connects.inc({ transport, kind }, 0);
    for (const reason of ['refused', 'error']) metrics.connectFailures.inc({ transport, reason }, 0);
    metrics.replayedEvents.inc({ transport }, 0);
    metrics.slowConsumerCloses.inc({ transport }, 0);
    metrics.connections.set({ transport }, 0);
  }
}

/** Observes a latency with a trace's id (the active one's by default) as its exemplar, when there is one. */
export function observeWithTrace<L extends string>(
  histogram: Histogram<L>,
  seconds: number,
  labels: LabelValues<L> = {},
  traceId: string | null = traceIdOf(),
): void {
  // prom-client types exemplar labels as the metric's own label names; they are a set of their own.
  const exemplarLabels = (traceId === null ? {} : { trace_id: traceId }) as LabelValues<L>;
  histogram.observe({ value: seconds, labels, exemplarLabels });
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

type AnyRegistry = Registry<RegistryContentType>;

/** Exemplars need a registry made for OpenMetrics (prom-client's types omit the constructor's argument). */
function openMetricsRegistry(): AnyRegistry {
  const RegistryClass = client.Registry as unknown as new (contentType: RegistryContentType) => AnyRegistry;
  return new RegistryClass(client.Registry.OPENMETRICS_CONTENT_TYPE);
}

let shared: AnyRegistry | null = null;

/** Node's runtime metrics (event loop, heap, GC, CPU, memory), collected once per process. */
function processRegistry(): AnyRegistry {
  if (shared !== null) return shared;
  shared = openMetricsRegistry();
  client.collectDefaultMetrics({ register: shared });
  // Gauges named like counters, which Prometheus's lint refuses; the same counts by type remain.
  for (const misnamed of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) shared.removeSingleMetric(misnamed);
  return shared;
}

/**
 * OpenMetrics when the scraper ranks it at least as high as Prometheus text (Prometheus sends
 * `application/openmetrics-text;version=1.0.0,…,text/plain;version=0.0.4;q=0.5,…`); text otherwise.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  const quality = (type: string): number =>
    Math.max(
      0,
      ...(accept ?? '')
        .split(',')
        .map((entry) => entry.split(';').map((part) => part.trim()))
        .filter(([mediaType]) => mediaType === type)
        .map(([, ...params]) => Number(params.find((param) => param.startsWith('q='))?.slice(2) ?? 1)),
    );
  const openMetrics = quality('application/openmetrics-text');
  return openMetrics > 0 && openMetrics >= quality('text/plain');
}

/**
 * prom-client renders a registry in the content type it was made with, and rendering
 * OpenMetrics renames its counters (drops `_total`, which it adds back per sample). So one
 * registry serves both: for Prometheus text the counters get `_total` back and the content
 * type is switched for the render. Renders run one at a time, as they change shared state.
 */
async function render(registries: readonly AnyRegistry[], openMetrics: boolean): Promise<{ contentType: string; body: string }> {
  const contentType = openMetrics ? client.Registry.OPENMETRICS_CONTENT_TYPE : client.Registry.PROMETHEUS_CONTENT_TYPE;
  const merged = client.Registry.merge([...registries] as Registry[]) as AnyRegistry;
  if (!openMetrics) for (const metric of merged.getMetricsAsArray()) restoreTotalSuffix(metric);
  merged.setContentType(contentType);
  return { contentType, body: await merged.metrics() };
}

function restoreTotalSuffix(metric: MetricObject): void {
  if (String(metric.type) === 'counter' && !metric.name.endsWith('_total')) metric.name = `${metric.name}_total`;
}

let rendering: Promise<unknown> = Promise.resolve();

function renderSerially<T>(work: () => Promise<T>): Promise<T> {
  const next = rendering.then(work, work);
  rendering = next.catch(() => undefined);
  return next;
}

/** cgroup v2's memory.max (v1's limit_in_bytes as a fallback); null when unlimited or unreadable. */
function containerMemoryLimit(): number | null {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const bytes = Number(text);
      // v1 reports "no limit" as a number near 2^63.
      if (Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 60) return bytes;
      return null;
    } catch {
      // Not this cgroup version, or not Linux.
    }
  }
  return null;
}
