import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createController, type Controller } from './controller.ts';
import { createRequestRecorder, reconcileResultLabel, requestCode, workQueueBuckets } from './controller-metrics.ts';
import { createInformer } from './informer.ts';
import { createKubeHttp } from './kube-http.ts';
import { contentTypes, createMetricsRegistry, metricsFormatFor, type MetricsFormat, type MetricsRegistry } from './metrics.ts';
import { eventually, kubeConfigOf, parseExposition, sampleValue, startTcpProxy, type MetricFamily } from './testing.ts';

const run = promisify(execFile);
const promtool = '/usr/bin/promtool';

/** What Prometheus 2.x sends when it scrapes (it prefers OpenMetrics). */
const prometheusAccept =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Every family the operator must serve (catalogue "Operator metrics"), with its type. */
const requiredFamilies: ReadonlyArray<readonly [string, string]> = [
  ['controller_runtime_reconcile_total', 'counter'],
  ['controller_runtime_reconcile_errors_total', 'counter'],
  ['controller_runtime_reconcile_time_seconds', 'histogram'],
  ['workqueue_depth', 'gauge'],
  ['workqueue_adds_total', 'counter'],
  ['workqueue_retries_total', 'counter'],
  ['workqueue_queue_duration_seconds', 'histogram'],
  ['workqueue_work_duration_seconds', 'histogram'],
  ['workqueue_longest_running_processor_seconds', 'gauge'],
  ['workqueue_unfinished_work_seconds', 'gauge'],
  ['leader_election_master_status', 'gauge'],
  ['rest_client_requests_total', 'counter'],
  ['hearth_operator_informer_synced', 'gauge'],
  ['hearth_operator_informer_relists_total', 'counter'],
  ['hearth_operator_informer_watch_errors_total', 'counter'],
  // prom-client's defaults.
  ['process_cpu_seconds_total', 'counter'],
  ['process_resident_memory_bytes', 'gauge'],
  ['nodejs_eventloop_lag_seconds', 'gauge'],
  ['nodejs_heap_size_used_bytes', 'gauge'],
  ['nodejs_gc_duration_seconds', 'histogram'],
];

/** In OpenMetrics a counter's family drops the _total its samples carry. */
const familyName = (name: string, type: string, format: MetricsFormat): string =>
  format === 'openmetrics' && type === 'counter' ? name.replace(/_total$/, '') : name;

/**
 * Runs the scrape through Prometheus's own parsers, from Debian's promtool: `check metrics` parses
 * Prometheus text (exit 3 is lint only: prom-client's nodejs_active_*_total gauges are the one
 * complaint allowed); `tsdb create-blocks-from openmetrics` parses OpenMetrics strictly (it wants a
 * timestamp on each sample, so one is added).
 */
async function checkWithPromtool(text: string, format: MetricsFormat): Promise<void> {
  if (format === 'prometheus') {
    const child = execFile(promtool, ['check', 'metrics']);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin?.end(text);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const problems = output
      .split('\n')
      .filter((line) => line !== '' && !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(line));
    assert.ok(code === 0 || code === 3, `promtool check metrics exited ${code}:\n${output}`);
    assert.deepEqual(problems, [], 'promtool lint problems beyond prom-client defaults');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'openmetrics-'));
  try {
    const stamped = text.replace(/^([^#\n].*)$/gm, '$1 1700000000');
    await writeFile(join(dir, 'scrape.om'), stamped);
    await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'scrape.om'), join(dir, 'blocks')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('metrics format negotiation', () => {
  it('answers OpenMetrics only to a scraper that ranks it at least as high as text', () => {
    const cases: ReadonlyArray<[string | undefined, MetricsFormat]> = [
      [undefined, 'prometheus'],
      ['', 'prometheus'],
      ['*/*', 'prometheus'],
      ['text/plain;version=0.0.4', 'prometheus'],
      [prometheusAccept, 'openmetrics'],
      // Prometheus 3.
      [
        'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
        'openmetrics',
      ],
      ['Application/OpenMetrics-Text; version=1.0.0', 'openmetrics'],
      ['application/openmetrics-text;q=0.5, text/plain;q=0.9', 'prometheus'],
      ['application/openmetrics-text;q=0, */*', 'prometheus'],
      ['application/openmetrics-text, text/plain', 'openmetrics'],
    ];
    for (const [accept, want] of cases) assert.equal(metricsFormatFor(accept), want, String(accept));
  });
});

describe('metrics registry', () => {
  it('shares a metric asked for twice and refuses it as another type', () => {
    const registry = createMetricsRegistry();
    const a = registry.counter('shared_total', 'Shared.', ['x']);
    assert.equal(registry.counter('shared_total', 'Shared.', ['x']), a);
    assert.throws(() => registry.gauge('shared_total', 'x', []), /shared_total is a counter, not a gauge/);
    assert.throws(() => registry.histogram('shared_total', 'x', [], [1]), /not a histogram/);
  });

  it('keeps counters named _total in Prometheus text after OpenMetrics renders, however they interleave', async () => {
    const registry = createMetricsRegistry();
    registry.counter('things_total', 'Things.', ['kind']).inc({ kind: 'a' }, 2);
    registry.gauge('level', 'Level.', []).set(3);
    const formats: MetricsFormat[] = ['openmetrics', 'prometheus', 'openmetrics', 'openmetrics', 'prometheus', 'prometheus'];
    const texts = await Promise.all(formats.map((format) => registry.render(format)));
    texts.forEach((text, index) => {
      const format = formats[index] ?? 'prometheus';
      const families = parseExposition(text, format);
      assert.deepEqual([...families.keys()], [format === 'openmetrics' ? 'things' : 'things_total', 'level'], `render ${index} (${format})`);
      assert.equal(sampleValue(families, 'things_total', { kind: 'a' }), 2);
    });
    assert.match(await registry.render(), /^# TYPE things_total counter$/m);
  });

  it('runs collectors before each render', async () => {
    const registry = createMetricsRegistry();
    const gauge = registry.gauge('read_at_scrape', 'Read.', ['path']);
    let value = 1;
    const remove = registry.onCollect(() => gauge.set({ path: 'a"b\\c\nd' }, value));
    assert.equal(sampleValue(parseExposition(await registry.render(), 'prometheus'), 'read_at_scrape', { path: 'a"b\\c\nd' }), 1);
    value = 2;
    assert.equal(sampleValue(parseExposition(await registry.render('openmetrics'), 'openmetrics'), 'read_at_scrape'), 2);
    remove();
    value = 3;
    assert.equal(sampleValue(parseExposition(await registry.render(), 'prometheus'), 'read_at_scrape'), 2);
  });

  it("maps outcomes and statuses to controller-runtime's label values, with client-go's buckets", () => {
    assert.deepEqual((['success', 'error', 'requeue'] as const).map(reconcileResultLabel), ['success', 'error', 'requeue_after']);
    assert.deepEqual([requestCode(200), requestCode(404), requestCode(undefined)], ['200', '404', '<error>']);
    assert.deepEqual(workQueueBuckets, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1, 10, 100, 1000]);
  });
});

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("the operator's metrics against a real kube-apiserver", () => {
  let kube: ControlPlane;
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let host: string;

  before(async () => {
    kube = await startControlPlane();
    kubeConfig = kubeConfigOf(kube);
    core = kubeConfig.makeApiClient(CoreV1Api);
    host = new URL(kube.url).host;
  });
  after(async () => {
    await kube.stop();
  });

  const scrape = async (controller: Controller, format: MetricsFormat): Promise<{ text: string; families: Map<string, MetricFamily> }> => {
    const response = await fetch(`http://127.0.0.1:${controller.port()}/metrics`, format === 'openmetrics' ? { headers: { accept: prometheusAccept } } : {});
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), contentTypes[format]);
    const text = await response.text();
    return { text, families: parseExposition(text, format) };
  };
  const value = async (controller: Controller, name: string, labels: Record<string, string> = {}): Promise<number | undefined> =>
    sampleValue((await scrape(controller, 'prometheus')).families, name, labels);

  /** A candidate "process": its own registry, its informer's requests counted there. */
  const candidate = (ns: string, identity: string, registry: MetricsRegistry, reconcile: (key: string) => Promise<{ requeueAfterMs: number } | void>) =>
    createController({
      name: 'metrics',
      registry,
      primary: createInformer({
        http: createKubeHttp(kubeConfig, { recordRequest: createRequestRecorder(registry) }),
        resource: { group: '', version: 'v1', plural: 'configmaps', namespace: ns },
        labelSelector: 'role=primary',
      }),
      backoff: { baseMs: 50, capMs: 200 },
      leaderElection: { kubeConfig, namespace: ns, name: 'metrics', identity, leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 },
      http: { port: 0, host: '127.0.0.1' },
      reconcile,
    });

  it('serves every catalogued family with its type, in both formats, with values that follow the work', async () => {
    const ns = 'metrics-families';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const primary = (name: string) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { role: 'primary' } } } });
    for (const name of ['plain', 'flaky', 'later']) await primary(name);
    let flakyFailures = 1;
    let slowStarted = false;
    const slow = gate();
    const a = candidate(ns, 'a', createMetricsRegistry({ defaultMetrics: true }), async (key) => {
      if (key.endsWith('/flaky') && flakyFailures-- > 0) throw new Error('flaky');
      if (key.endsWith('/later')) return { requeueAfterMs: 60_000 };
      if (key.endsWith('/slow')) {
        slowStarted = true;
        await slow.promise;
      }
    });
    const reconciledByB: string[] = [];
    const b = candidate(ns, 'b', createMetricsRegistry(), async (key) => void reconciledByB.push(key));
    await a.start();
    await eventually('a leads', () => a.isLeader(), 5_000);
    await b.start();
    try {
      await eventually('both ready', () => a.isReady() && b.isReady());
      await eventually('plain, flaky and later reconciled', async () => {
        const families = (await scrape(a, 'prometheus')).families;
        const result = (label: string): number => sampleValue(families, 'controller_runtime_reconcile_total', { controller: 'metrics', result: label }) ?? 0;
        return result('success') >= 2 && result('error') === 1 && result('requeue_after') >= 1;
      });

      // A reconcile that does not return: the two in-flight gauges grow while it runs.
      await primary('slow');
      await eventually('slow started', () => slowStarted);
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.ok(((await value(a, 'workqueue_unfinished_work_seconds', { name: 'metrics' })) ?? 0) >= 0.15);
      assert.ok(((await value(a, 'workqueue_longest_running_processor_seconds', { name: 'metrics' })) ?? 0) >= 0.15);
      slow.open();
      await eventually('slow done', async () => (await value(a, 'workqueue_longest_running_processor_seconds', { name: 'metrics' })) === 0);

      for (const format of ['prometheus', 'openmetrics'] as const) {
        const { text, families } = await scrape(a, format);
        for (const [name, type] of requiredFamilies) {
          const family = families.get(familyName(name, type, format));
          assert.equal(family?.type, type, `${name} as a ${type} in ${format}`);
        }
        checkWorkValues(families);
        await checkWithPromtool(text, format);
      }

      const requests = (code: string, method: string) => value(a, 'rest_client_requests_total', { code, method, host });
      assert.equal(await requests('404', 'GET'), 1, 'a read the Lease before it existed');
      assert.equal(await requests('201', 'POST'), 1, 'and created it');
      assert.ok(((await requests('200', 'PUT')) ?? 0) >= 1, 'then renewed it');
      assert.ok(((await requests('200', 'GET')) ?? 0) >= 3, 'lists, watches and Lease reads');
      assert.equal(await value(b, 'rest_client_requests_total', { code: '201' }), undefined, 'the standby created nothing');

      assert.equal(await value(a, 'leader_election_master_status', { name: 'metrics' }), 1);
      assert.equal(await value(b, 'leader_election_master_status', { name: 'metrics' }), 0);
      assert.deepEqual(reconciledByB, []);
      await a.stop();
      await eventually('b leads', async () => (await value(b, 'leader_election_master_status', { name: 'metrics' })) === 1, 5_000);
      assert.equal(sampleValue(parseExposition(await a.registry.render(), 'prometheus'), 'leader_election_master_status', { name: 'metrics' }), 0);
    } finally {
      slow.open();
      await a.stop();
      await b.stop();
    }
  });

  it('counts requests by their real status, and <error> for one that got no response', async () => {
    const registry = createMetricsRegistry();
    const recordRequest = createRequestRecorder(registry);
    const requests = async (labels: Record<string, string>): Promise<number | undefined> =>
      sampleValue(parseExposition(await registry.render(), 'prometheus'), 'rest_client_requests_total', labels);

    // The informers' transport: a real status, then, through a proxy that is cut, no response at all.
    // (The operator's reconcile client is checked the same way in operator/src/reconcile/kube-client.test.ts.)
    const direct = createKubeHttp(kubeConfig, { recordRequest });
    assert.equal((await direct.requestJson('GET', '/api/v1/namespaces/default/configmaps/absent')).status, 404);
    assert.equal(await requests({ code: '404', method: 'GET', host }), 1);
    const proxy = await startTcpProxy(Number(new URL(kube.url).port));
    try {
      const http = createKubeHttp(kubeConfigOf(kube, `https://127.0.0.1:${proxy.port}`), { recordRequest });
      assert.equal((await http.requestJson('GET', '/api/v1/namespaces/default')).status, 200);
      proxy.cut();
      await assert.rejects(http.requestJson('GET', '/api/v1/namespaces/default', { timeoutMs: 2_000 }));
      const proxied = `127.0.0.1:${proxy.port}`;
      assert.equal(await requests({ code: '200', method: 'GET', host: proxied }), 1);
      assert.equal(await requests({ code: '<error>', method: 'GET', host: proxied }), 1);
    } finally {
      await proxy.close();
    }
  });
});

/** The values of the first test's scrape: one failure, retried; every reconcile timed and queued. */
function checkWorkValues(families: Map<string, MetricFamily>): void {
  const controller = { controller: 'metrics' };
  const name = { name: 'metrics' };
  const get = (sample: string, labels: Record<string, string>): number => {
    const found = sampleValue(families, sample, labels);
    assert.notEqual(found, undefined, `${sample} ${JSON.stringify(labels)}`);
    return found ?? NaN;
  };
  const results = ['success', 'error', 'requeue', 'requeue_after'].map((result) => get('controller_runtime_reconcile_total', { ...controller, result }));
  const [success = 0, error, requeue, requeueAfter = 0] = results;
  const reconciles = results.reduce((sum, count) => sum + count, 0);
  assert.ok(success >= 3, 'plain, flaky on retry, slow');
  assert.equal(error, 1);
  assert.equal(requeue, 0, 'no Requeue: true in this operator');
  assert.ok(requeueAfter >= 1);
  assert.equal(get('controller_runtime_reconcile_errors_total', controller), 1);
  assert.equal(get('controller_runtime_reconcile_time_seconds_count', controller), reconciles);
  assert.equal(get('workqueue_retries_total', name), 1);
  assert.ok(get('workqueue_adds_total', name) >= 5, 'four keys and a retry');
  assert.equal(get('workqueue_depth', name), 0);
  assert.equal(get('workqueue_work_duration_seconds_count', name), reconciles);
  assert.ok(get('workqueue_work_duration_seconds_sum', name) >= 0.15, 'the slow reconcile');
  assert.equal(get('workqueue_queue_duration_seconds_count', name), reconciles, 'every key taken was timed in the queue');
  assert.ok(get('workqueue_queue_duration_seconds_sum', name) > 0);
  assert.equal(get('hearth_operator_informer_synced', { ...controller, resource: 'core/v1/configmaps' }), 1);
}
