import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDir, tempDir } from './process.ts';
import { buildPrometheusConfig, parseSampleValue, startPrometheus, type Prometheus } from './prometheus.ts';

/** A target serving a counter that grows by 10 a scrape, so rate() has something to say. */
function startTarget(): Promise<{ server: Server; address: string }> {
  let count = 0;
  const server = createServer((_request, response) => {
    count += 10;
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`# TYPE demo_requests_total counter\ndemo_requests_total ${count}\n`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, address: `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}` });
    }),
  );
}

const RULES = `groups:
  - name: demo
    rules:
      - record: demo:requests:rate10s
        expr: sum by (namespace, component) (rate(demo_requests_total[10s]))
      - alert: DemoDown
        expr: up{job="demo"} == 0
        for: 5m
        labels: { severity: page }
`;

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

describe('startPrometheus', () => {
  let dir: string;
  let target: { server: Server; address: string };
  let prometheus: Prometheus;

  before(async () => {
    dir = await tempDir('prometheus-test');
    const rules = path.join(dir, 'rules.yaml');
    await writeFile(rules, RULES);
    target = await startTarget();
    prometheus = await startPrometheus({
      scrape: [{ job: 'demo', targets: [{ address: target.address, labels: { namespace: 'ns', component: 'gateway' } }] }],
      ruleFiles: [rules],
    });
  });
  after(async () => {
    await prometheus?.stop();
    target?.server.close();
    await removeDir(dir);
  });

  it('scrapes the target with its labels, and evaluates the recording rule', async () => {
    assert.deepEqual(
      (await prometheus.targets()).map((each) => [each.scrapeUrl, each.health]),
      [[`http://${target.address}/metrics`, 'up']],
      'scraped once before startPrometheus returned',
    );
    const samples = await eventually('a recorded rate', async () => {
      const vector = await prometheus.queryVector('demo:requests:rate10s');
      return vector.length > 0 ? vector : undefined;
    });
    assert.deepEqual(samples[0]?.metric, { __name__: 'demo:requests:rate10s', namespace: 'ns', component: 'gateway' });
    assert.ok((samples[0]?.value ?? 0) > 0, `a positive rate: ${samples[0]?.value}`);
    assert.ok((await prometheus.metricNames()).includes('demo_requests_total'));
    const [group] = await prometheus.rules();
    assert.deepEqual(
      group?.rules.map((rule) => `${rule.type}:${rule.name}`),
      ['recording:demo:requests:rate10s', 'alerting:DemoDown'],
    );
  });

  it('answers scalars and refuses a bad query with the reason', async () => {
    assert.deepEqual(await prometheus.query('1 + 1'), { resultType: 'scalar', result: 2 });
    await assert.rejects(prometheus.query('rate(up)'), /bad_data/);
  });

  it('an alert with for: 5m goes pending once its target is down', async () => {
    assert.deepEqual(await prometheus.alerts(), []);
    target.server.close();
    target.server.closeAllConnections();
    const alert = await eventually('DemoDown pending', async () => (await prometheus.alerts()).find((a) => a.labels['alertname'] === 'DemoDown'));
    assert.equal(alert.state, 'pending');
    assert.equal(alert.labels['component'], 'gateway');
  });
});

describe('the Prometheus helpers', () => {
  it('reads sample values, infinities and NaN included', () => {
    assert.deepEqual(['1.5', '+Inf', '-Inf'].map(parseSampleValue), [1.5, Infinity, -Infinity]);
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
  });

  it('keeps the scrape timeout within the interval, one static config per target', () => {
    const config = buildPrometheusConfig({ scrape: [{ job: 'j', targets: [{ address: 'a:1', labels: { x: 'y' } }, { address: 'b:2' }] }], intervalSeconds: 2 });
    assert.deepEqual(config['global'], { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
    assert.deepEqual(config['scrape_configs'], [
      {
        job_name: 'j',
        metrics_path: '/metrics',
        static_configs: [
          { targets: ['a:1'], labels: { x: 'y' } },
          { targets: ['b:2'], labels: {} },
        ],
      },
    ]);
  });
});
