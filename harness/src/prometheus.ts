import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';

/**
 * A real Prometheus (Debian's `prometheus` package) for tests of what the project ships for it:
 * it scrapes the given static targets every second, evaluates the given rule files every second,
 * and answers PromQL over its HTTP API. Its TSDB lives in a temporary directory removed by stop().
 */

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** One scrape job: static targets, each with the labels a ServiceMonitor's relabelling would add. */
export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly ScrapeTarget[];
  /** Default /metrics. */
  readonly metricsPath?: string;
}

export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions {
  readonly scrape: readonly ScrapeJob[];
  /** Rule files (recording and alerting), loaded as they are. */
  readonly ruleFiles?: readonly string[];
  /** Scrape and rule evaluation interval, in seconds (default 1: a test cannot wait for 30). */
  readonly intervalSeconds?: number;
  /** --enable-feature values, e.g. exemplar-storage. */
  readonly features?: readonly string[];
  readonly binary?: string;
  /**
   * Return only once every target has been scraped (default true). Prometheus hands new targets
   * to its scrapers at most every 5 s, so without this a test's first seconds go unseen, and a
   * counter's increase in them with them.
   */
  readonly waitForFirstScrape?: boolean;
}

/** An instant vector's sample. Values are numbers, NaN and ±Infinity included. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [time: number, value: number])[];
}

export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: readonly VectorSample[] }
  | { readonly resultType: 'matrix'; readonly result: readonly MatrixSeries[] }
  | { readonly resultType: 'scalar'; readonly result: number }
  | { readonly resultType: 'string'; readonly result: string };

export interface PrometheusAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing' | 'inactive';
  readonly activeAt?: string;
  readonly value: string;
}

export interface PrometheusRule {
  readonly type: 'recording' | 'alerting';
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly lastError?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Alerting rules only: how long the condition must hold before it fires. */
  readonly duration?: number;
}

export interface PrometheusRuleGroup {
  readonly name: string;
  readonly file: string;
  readonly rules: readonly PrometheusRule[];
}

export interface PrometheusTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export interface Prometheus {
  readonly url: string;
  readonly port: number;
  /** An instant query (now, or at `time`); throws with Prometheus's error when the query is refused. */
  query(expr: string, time?: Date): Promise<QueryResult>;
  /** As query, for an expression that must give an instant vector. */
  queryVector(expr: string, time?: Date): Promise<readonly VectorSample[]>;
  /** Every metric name Prometheus holds (scraped or recorded). */
  metricNames(): Promise<readonly string[]>;
  rules(): Promise<readonly PrometheusRuleGroup[]>;
  /** The alerts pending or firing now. */
  alerts(): Promise<readonly PrometheusAlert[]>;
  targets(): Promise<readonly PrometheusTarget[]>;
  /** The last 64 KiB of its log. */
  output(): string;
  stop(): Promise<void>;
}

/** The prometheus.yml for these options, as an object (JSON is YAML, so it is written as JSON). */
export function buildPrometheusConfig(options: Pick<PrometheusOptions, 'scrape' | 'ruleFiles' | 'intervalSeconds'>): Record<string, unknown> {
  const interval = `${options.intervalSeconds ?? 1}s`;
  return {
    // The timeout may not exceed the interval, and its default (10 s) does.
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: [...(options.ruleFiles ?? [])],
    scrape_configs: options.scrape.map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? '/metrics',
      static_configs: job.targets.map((target) => ({ targets: [target.address], labels: { ...target.labels } })),
    })),
  };
}

/** Starts Prometheus on a free loopback port and waits until it is ready (its rule files loaded). */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const binary = options.binary ?? PROMETHEUS_BINARY;
  const dir = await tempDir('prometheus');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(buildPrometheusConfig(options), null, 2));
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...(options.features ?? []).map((feature) => `--enable-feature=${feature}`),
  ];
  let child: Child | null = startChild(binary, args);
  const expected = options.scrape.reduce((count, job) => count + job.targets.length, 0);
  const scrapedOnce = async (): Promise<boolean> => {
    const targets = (await apiGet<{ activeTargets: PrometheusTarget[] }>(url, '/api/v1/targets', { state: 'active' })).activeTargets;
    return targets.length === expected && targets.every((target) => target.health !== 'unknown');
  };
  try {
    await waitUntil(`prometheus (${binary}; apt-get install prometheus)`, () => isReady(url), child);
    if (options.waitForFirstScrape !== false) await waitUntil('prometheus: a first scrape of every target', scrapedOnce, child);
  } catch (error) {
    await child.stop('SIGKILL');
    await removeDir(dir);
    throw error;
  }
  const running = child;
  const api = <T>(apiPath: string, params: Record<string, string> = {}): Promise<T> => apiGet<T>(url, apiPath, params);
  const query = async (expr: string, time?: Date): Promise<QueryResult> => {
    const params: Record<string, string> = time === undefined ? { query: expr } : { query: expr, time: (time.getTime() / 1000).toString() };
    return parseQueryData(await api<RawQueryData>('/api/v1/query', params), expr);
  };
  return {
    url,
    port,
    query,
    async queryVector(expr, time) {
      const result = await query(expr, time);
      if (result.resultType !== 'vector') throw new Error(`${expr}: expected an instant vector, got a ${result.resultType}`);
      return result.result;
    },
    metricNames: () => api<string[]>('/api/v1/label/__name__/values'),
    rules: async () => (await api<{ groups: PrometheusRuleGroup[] }>('/api/v1/rules')).groups,
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    targets: async () => (await api<{ activeTargets: PrometheusTarget[] }>('/api/v1/targets', { state: 'active' })).activeTargets,
    output: () => running.output(),
    async stop() {
      await child?.stop();
      child = null;
      await removeDir(dir);
    },
  };
}

/** Ready means the TSDB is open and the first configuration (with its rules) is loaded. */
async function isReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly data?: T;
  readonly errorType?: string;
  readonly error?: string;
}

async function apiGet<T>(url: string, apiPath: string, params: Record<string, string>): Promise<T> {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(`${url}${apiPath}${query === '' ? '' : `?${query}`}`, { signal: AbortSignal.timeout(10_000) });
  const answer = (await response.json()) as ApiAnswer<T>;
  if (answer.status !== 'success' || answer.data === undefined) {
    throw new Error(
      `${apiPath}${params['query'] === undefined ? '' : ` ${params['query']}`}: ${answer.errorType ?? response.status}: ${answer.error ?? 'no data'}`,
    );
  }
  return answer.data;
}

type RawSample = readonly [number, string];

interface RawQueryData {
  readonly resultType: QueryResult['resultType'];
  readonly result: unknown;
}

/** Prometheus sends sample values as strings, "NaN" and "+Inf" among them; Number() reads neither infinity. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function parseQueryData(data: RawQueryData, expr: string): QueryResult {
  switch (data.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        result: (data.result as { metric: Record<string, string>; value: RawSample }[]).map(({ metric, value }) => ({
          metric,
          value: parseSampleValue(value[1]),
        })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: (data.result as { metric: Record<string, string>; values: RawSample[] }[]).map(({ metric, values }) => ({
          metric,
          values: values.map(([time, value]) => [time, parseSampleValue(value)] as const),
        })),
      };
    case 'scalar':
      return { resultType: 'scalar', result: parseSampleValue((data.result as RawSample)[1]) };
    case 'string':
      return { resultType: 'string', result: (data.result as RawSample)[1] };
    default:
      throw new Error(`${expr}: unknown result type ${String(data.resultType)}`);
  }
}
