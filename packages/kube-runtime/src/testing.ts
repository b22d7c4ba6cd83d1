/** Helpers for the controller's tests (not part of the public entry). */
import { createServer, connect, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '@hearth/harness';

/** A KubeConfig for the test control plane's admin, optionally through another address (a proxy). */
export function kubeConfigOf(kube: ControlPlane, server: string = kube.url): KubeConfig {
  const config = new KubeConfig();
  config.loadFromClusterAndUser(
    { name: 'hearth-test', server, caData: Buffer.from(kube.caCert).toString('base64'), skipTLSVerify: false },
    { name: 'admin', token: kube.token },
  );
  return config;
}

/** Polls `probe` until it returns true; throws naming `what` after `timeoutMs`. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, as a network partition would. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort` that a test can cut and restore. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  return {
    port: address.port,
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

/** The sample names a family of `type` may have, by format (OpenMetrics counters end in _total, their family does not). */
function sampleSuffixes(type: string, format: ExpositionFormat): readonly string[] {
  switch (type) {
    case 'counter':
      return format === 'openmetrics' ? ['_total', '_created'] : [''];
    case 'histogram':
      return format === 'openmetrics' ? ['_bucket', '_sum', '_count', '_created'] : ['_bucket', '_sum', '_count'];
    case 'summary':
      return ['', '_sum', '_count'];
    default:
      return [''];
  }
}

/** A sample value as Prometheus's parsers read it (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`). */
function parseValue(text: string | undefined, line: string): number {
  const special = text?.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  const value = text === undefined || text === '' ? NaN : Number(text);
  if (Number.isNaN(value)) throw new Error(`exposition: bad value in ${JSON.stringify(line)}`);
  return value;
}

const unescapes: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n' };

/** `{a="x",b="y"}` from `start` (at the brace): the labels and the index after the closing brace. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let at = start + 1;
  while (line[at] !== '}') {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0];
    if (name === undefined || line.slice(at + name.length, at + name.length + 2) !== '="') throw new Error(`exposition: bad label in ${JSON.stringify(line)}`);
    const { value, end } = parseLabelValue(line, at + name.length + 2);
    at = end;
    if (name in labels) throw new Error(`exposition: label ${name} twice in ${JSON.stringify(line)}`);
    labels[name] = value;
    at += 1;
    if (line[at] === ',') at += 1;
  }
  return { labels, end: at + 1 };
}

/** A label value from `start` (just after its opening quote) with its escapes undone, and the index of its closing quote. */
function parseLabelValue(line: string, start: number): { value: string; end: number } {
  let value = '';
  let at = start;
  while (line[at] !== '"') {
    if (at >= line.length) throw new Error(`exposition: unterminated label value in ${JSON.stringify(line)}`);
    if (line[at] !== '\\') {
      value += line[at++];
      continue;
    }
    const escaped = unescapes[line[at + 1] ?? ''];
    if (escaped === undefined) throw new Error(`exposition: bad escape in ${JSON.stringify(line)}`);
    value += escaped;
    at += 2;
  }
  return { value, end: at };
}

function parseSample(line: string, format: ExpositionFormat): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`exposition: bad sample ${JSON.stringify(line)}`);
  const { labels, end } = line[name.length] === '{' ? parseLabels(line, name.length) : { labels: {}, end: name.length };
  // An OpenMetrics exemplar follows ` # `; a timestamp may follow the value.
  const after = line.slice(end);
  const [valueText, ...rest] = after.split(' # ')[0]?.trim().split(' ') ?? [];
  if (!after.startsWith(' ') || rest.length > 1 || (format === 'prometheus' && after.includes(' # ')))
    throw new Error(`exposition: bad sample ${JSON.stringify(line)}`);
  return { name, labels, value: parseValue(valueText, line) };
}

/** One series of a histogram: its buckets as [le, count] in the order written, and its _count. */
interface HistogramSeries {
  buckets: Array<[number, number]>;
  count?: number;
}

/** Every bucket count at most the next, and the +Inf bucket equal to _count, series by series. */
function checkHistogram(family: MetricFamily): void {
  for (const series of histogramSeries(family).values()) checkHistogramSeries(family.name, series);
}

/** A histogram's samples grouped by their labels other than `le`. */
function histogramSeries(family: MetricFamily): Map<string, HistogramSeries> {
  const series = new Map<string, HistogramSeries>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) entry.buckets.push([parseValue(le, `le of ${family.name}`), sample.value]);
    if (sample.name.endsWith('_count')) entry.count = sample.value;
  }
  return series;
}

function checkHistogramSeries(name: string, { buckets, count }: HistogramSeries): void {
  for (let index = 1; index < buckets.length; index += 1) {
    const [previous, current] = [buckets[index - 1], buckets[index]];
    if (previous === undefined || current === undefined || previous[0] >= current[0] || previous[1] > current[1])
      throw new Error(`exposition: ${name}: buckets out of order or not cumulative`);
  }
  if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) throw new Error(`exposition: ${name}: no +Inf bucket equal to _count`);
}

/**
 * A strict parser of the two text formats a scrape may come in: Prometheus text 0.0.4 and
 * OpenMetrics 1.0.0. Every sample must belong to the family whose TYPE came last, with a sample
 * name that family's type allows in that format; OpenMetrics must end with `# EOF`; histograms
 * must be cumulative. It throws on anything else, so a malformed scrape fails the test.
 */
export function parseExposition(text: string, format: ExpositionFormat): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | undefined;
  const help = new Map<string, string>();
  for (const line of bodyLines(text, format)) {
    if (line === '' && format === 'prometheus') continue;
    const meta = metaLine(line);
    if (meta === undefined) addSample(current, line, format);
    else if (meta.keyword === 'HELP') help.set(meta.name, meta.rest);
    else current = addFamily(families, { name: meta.name, type: meta.rest, help: help.get(meta.name) ?? '', samples: [] });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** A `# HELP name text` or `# TYPE name type` line; undefined for any other. */
function metaLine(line: string): { keyword: 'HELP' | 'TYPE'; name: string; rest: string } | undefined {
  const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
  if (meta === null) return undefined;
  const [, keyword, name = '', rest = ''] = meta;
  return { keyword: keyword === 'HELP' ? 'HELP' : 'TYPE', name, rest };
}

/** The lines of a scrape, without the final newline and OpenMetrics's `# EOF`; throws when either is missing. */
function bodyLines(text: string, format: ExpositionFormat): string[] {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('exposition: no newline at the end');
  if (format === 'openmetrics' && lines.pop() !== '# EOF') throw new Error('exposition: OpenMetrics without # EOF at the end');
  return lines;
}

/** Adds a family at its TYPE line, and returns it; a family may have only one. */
function addFamily(families: Map<string, MetricFamily>, family: MetricFamily): MetricFamily {
  if (families.has(family.name)) throw new Error(`exposition: family ${family.name} twice`);
  families.set(family.name, family);
  return family;
}

/** Adds the sample on `line` to `family`, the one whose TYPE came last: it must be one of its. */
function addSample(family: MetricFamily | undefined, line: string, format: ExpositionFormat): void {
  if (line.startsWith('#')) throw new Error(`exposition: unexpected line ${JSON.stringify(line)}`);
  const sample = parseSample(line, format);
  if (family === undefined || !sampleSuffixes(family.type, format).some((suffix) => sample.name === `${family.name}${suffix}`))
    throw new Error(`exposition: ${sample.name} does not belong to the family before it (${family?.name ?? 'none'})`);
  family.samples.push(sample);
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matches: Sample[] = [];
  for (const family of families.values())
    for (const sample of family.samples)
      if (sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) matches.push(sample);
  if (matches.length > 1) throw new Error(`exposition: ${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
