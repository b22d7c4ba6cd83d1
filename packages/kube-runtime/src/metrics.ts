import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';

/**
 * The operator's metrics registry: prom-client's Registry, plus what the operator needs around it.
 * - Metrics are asked for by name: asking twice returns the same metric, so several controllers
 *   share one registry (each adds its own `controller`/`name` label); asking for it as another
 *   type throws.
 * - Collectors run before every render, for values that are read rather than counted (leadership,
 *   how long in-flight reconciles have run).
 * - render() speaks both Prometheus text 0.0.4 and OpenMetrics 1.0.0.
 */

export type MetricsFormat = 'prometheus' | 'openmetrics';

export const contentTypes: Readonly<Record<MetricsFormat, string>> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

export interface MetricsRegistry {
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L>;
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L>;
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L>;
  /** Runs `collect` before every render; the returned function removes it. */
  onCollect(collect: () => void): () => void;
  render(format?: MetricsFormat): Promise<string>;
}

export interface MetricsRegistryOptions {
  /** prom-client's process and Node metrics (process_*, nodejs_*): one set per process is enough. */
  readonly defaultMetrics?: boolean;
}

/** The media ranges of an Accept header that Prometheus text answers. */
const textTypes: ReadonlySet<string> = new Set(['text/plain', 'text/*', '*/*']);

/**
 * The format a scraper asked for in its Accept header: OpenMetrics when it ranks
 * application/openmetrics-text at least as high as text/plain, else Prometheus text (which is
 * also what a client that sends no Accept gets).
 */
export function metricsFormatFor(accept: string | undefined): MetricsFormat {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? '').split(',')) {
    const { type, q } = mediaRange(range);
    if (!(q > 0)) continue;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (textTypes.has(type)) text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}

/** One media range of an Accept header (`text/plain;version=0.0.4;q=0.5`): its type and its quality (1 without `q=`). */
function mediaRange(range: string): { type: string; q: number } {
  const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
  const quality = parameters.find((parameter) => parameter.startsWith('q='));
  return { type, q: quality === undefined ? 1 : Number(quality.slice(2)) };
}

type Kind = 'counter' | 'gauge' | 'histogram';

function kindOf(metric: unknown): Kind | undefined {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  return undefined;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const registry = new Registry();
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry });
  const collectors = new Set<() => void>();
  /** The render in progress: renders run one at a time (see renderOpenMetrics). */
  let rendering: Promise<unknown> = Promise.resolve();

  const existing = (name: string, kind: Kind): unknown => {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) return undefined;
    const actual = kindOf(metric);
    if (actual !== kind) throw new Error(`metrics: ${name} is a ${actual ?? 'metric of another kind'}, not a ${kind}`);
    return metric;
  };

  /**
   * prom-client's OpenMetrics render strips `_total` from every counter's name in place (and
   * adds it back to the samples), so a Prometheus render after it would print counters without
   * their suffix. The names are put back after each OpenMetrics render, and renders are
   * serialized so that no other render ever sees the stripped names.
   */
  const renderOpenMetrics = async (): Promise<string> => {
    const counters = registry.getMetricsAsArray().filter((metric) => kindOf(metric) === 'counter');
    const names = counters.map((metric) => metric.name);
    const switchable = registry as Registry<RegistryContentType>;
    switchable.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    try {
      return await registry.metrics();
    } finally {
      switchable.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
      counters.forEach((metric, index) => (metric.name = names[index] ?? metric.name));
    }
  };

  const renderOnce = (format: MetricsFormat): Promise<string> => {
    for (const collect of collectors) collect();
    return format === 'openmetrics' ? renderOpenMetrics() : registry.metrics();
  };

  return {
    counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
      return (existing(name, 'counter') as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [registry] });
    },
    gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
      return (existing(name, 'gauge') as Gauge<L> | undefined) ?? new Gauge<L>({ name, help, labelNames, registers: [registry] });
    },
    histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
      return (
        (existing(name, 'histogram') as Histogram<L> | undefined) ?? new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers: [registry] })
      );
    },
    onCollect(collect) {
      collectors.add(collect);
      return () => collectors.delete(collect);
    },
    render(format = 'prometheus') {
      const result = rendering.then(() => renderOnce(format));
      rendering = result.catch(() => undefined);
      return result;
    },
  };
}
