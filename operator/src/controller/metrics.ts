/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4). Enough for the operator's own metrics without a
 * dependency. Asking twice for one name returns the same metric, so controllers can share a
 * registry; asking for it as another type throws.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  /** For totals counted elsewhere (an informer's relists): mirrors them at collection. */
  set(labels: Labels, total: number): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
  get(labels?: Labels): number;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
  /** The count and sum of the series. */
  get(labels?: Labels): { count: number; sum: number };
}

export interface Registry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram;
  /** Runs before every render, to update metrics that are read rather than counted. */
  onCollect(collect: () => void): () => void;
  render(): string;
}

export const defaultBuckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Kind = 'counter' | 'gauge' | 'histogram';

interface HistogramSeries {
  counts: number[];
  count: number;
  sum: number;
}

interface Family {
  kind: Kind;
  help: string;
  values: Map<string, { labels: Labels; value: number }>;
  buckets: readonly number[];
  series: Map<string, { labels: Labels; histogram: HistogramSeries }>;
}

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function seriesKey(labels: Labels = {}): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function renderFamily(name: string, family: Family): string[] {
  const lines = [`# HELP ${name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${family.kind}`];
  if (family.kind !== 'histogram') {
    for (const { labels, value } of family.values.values()) lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return lines;
  }
  for (const { labels, histogram } of family.series.values()) {
    family.buckets.forEach((bound, index) => {
      lines.push(`${name}_bucket${formatLabels(labels, ['le', formatValue(bound)])} ${histogram.counts[index] ?? 0}`);
    });
    lines.push(`${name}_bucket${formatLabels(labels, ['le', '+Inf'])} ${histogram.count}`);
    lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(histogram.sum)}`);
    lines.push(`${name}_count${formatLabels(labels)} ${histogram.count}`);
  }
  return lines;
}

export function createRegistry(): Registry {
  const families = new Map<string, Family>();
  const collectors = new Set<() => void>();

  const family = (name: string, help: string, kind: Kind, buckets: readonly number[] = []): Family => {
    if (!namePattern.test(name)) throw new Error(`metrics: invalid metric name ${JSON.stringify(name)}`);
    const existing = families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new Error(`metrics: ${name} is a ${existing.kind}, not a ${kind}`);
      return existing;
    }
    const created: Family = { kind, help, values: new Map(), buckets: [...buckets].sort((a, b) => a - b), series: new Map() };
    families.set(name, created);
    return created;
  };

  const setValue = (target: Family, labels: Labels, update: (previous: number) => number): void => {
    const key = seriesKey(labels);
    const previous = target.values.get(key)?.value ?? 0;
    target.values.set(key, { labels: { ...labels }, value: update(previous) });
  };

  return {
    counter(name, help) {
      const target = family(name, help, 'counter');
      return {
        inc(labels = {}, by = 1) {
          if (by < 0) throw new Error(`metrics: counter ${name} cannot decrease`);
          setValue(target, labels, (previous) => previous + by);
        },
        set: (labels, total) => setValue(target, labels, () => total),
        get: (labels) => target.values.get(seriesKey(labels))?.value ?? 0,
      };
    },
    gauge(name, help) {
      const target = family(name, help, 'gauge');
      return {
        set: (labels, value) => setValue(target, labels, () => value),
        get: (labels) => target.values.get(seriesKey(labels))?.value ?? 0,
      };
    },
    histogram(name, help, buckets = defaultBuckets) {
      const target = family(name, help, 'histogram', buckets);
      return {
        observe(labels, value) {
          const key = seriesKey(labels);
          let entry = target.series.get(key);
          if (entry === undefined) {
            entry = { labels: { ...labels }, histogram: { counts: target.buckets.map(() => 0), count: 0, sum: 0 } };
            target.series.set(key, entry);
          }
          const histogram = entry.histogram;
          target.buckets.forEach((bound, index) => {
            if (value <= bound) histogram.counts[index] = (histogram.counts[index] ?? 0) + 1;
          });
          histogram.count += 1;
          histogram.sum += value;
        },
        get(labels) {
          const histogram = target.series.get(seriesKey(labels))?.histogram;
          return { count: histogram?.count ?? 0, sum: histogram?.sum ?? 0 };
        },
      };
    },
    onCollect(collect) {
      collectors.add(collect);
      return () => collectors.delete(collect);
    },
    render() {
      for (const collect of collectors) collect();
      const lines: string[] = [];
      for (const [name, target] of [...families].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(...renderFamily(name, target));
      return `${lines.join('\n')}\n`;
    },
  };
}
