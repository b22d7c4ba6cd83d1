import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { checkReport, createHealthHandler } from './health-server.ts';
import { createRegistry, escapeLabelValue, formatValue } from './metrics.ts';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const registry = createRegistry();
    const reconciles = registry.counter('hearth_reconcile_total', 'Reconciles by result.');
    reconciles.inc({ controller: 'hearth', result: 'success' });
    reconciles.inc({ result: 'success', controller: 'hearth' }, 2); // label order does not matter
    reconciles.inc({ controller: 'hearth', result: 'error' });
    registry.gauge('hearth_leader', 'Leader.').set({ controller: 'hearth' }, 1);
    const duration = registry.histogram('hearth_duration_seconds', 'Duration.', [0.1, 1]);
    duration.observe({ controller: 'hearth' }, 0.05);
    duration.observe({ controller: 'hearth' }, 0.5);
    duration.observe({ controller: 'hearth' }, 3);
    assert.equal(
      registry.render(),
      [
        '# HELP hearth_duration_seconds Duration.',
        '# TYPE hearth_duration_seconds histogram',
        'hearth_duration_seconds_bucket{controller="hearth",le="0.1"} 1',
        'hearth_duration_seconds_bucket{controller="hearth",le="1"} 2',
        'hearth_duration_seconds_bucket{controller="hearth",le="+Inf"} 3',
        'hearth_duration_seconds_sum{controller="hearth"} 3.55',
        'hearth_duration_seconds_count{controller="hearth"} 3',
        '# HELP hearth_leader Leader.',
        '# TYPE hearth_leader gauge',
        'hearth_leader{controller="hearth"} 1',
        '# HELP hearth_reconcile_total Reconciles by result.',
        '# TYPE hearth_reconcile_total counter',
        'hearth_reconcile_total{controller="hearth",result="success"} 3',
        'hearth_reconcile_total{controller="hearth",result="error"} 1',
        '',
      ].join('\n'),
    );
  });

  it('shares a metric asked for twice, refuses a type change, a bad name and a decrease', () => {
    const registry = createRegistry();
    const a = registry.counter('shared_total', 'Shared.');
    const b = registry.counter('shared_total', 'Shared.');
    a.inc();
    b.inc();
    assert.equal(a.get(), 2);
    assert.throws(() => registry.gauge('shared_total', 'x'), /shared_total is a counter, not a gauge/);
    assert.throws(() => registry.counter('bad-name', 'x'), /invalid metric name/);
    assert.throws(() => a.inc({}, -1), /cannot decrease/);
  });

  it('runs collectors before rendering, and escapes label values', () => {
    const registry = createRegistry();
    const gauge = registry.gauge('g', 'G.');
    let value = 1;
    registry.onCollect(() => gauge.set({ path: 'a"b\\c\nd' }, value));
    assert.match(registry.render(), /^g\{path="a\\"b\\\\c\\nd"\} 1$/m);
    value = 2;
    assert.match(registry.render(), / 2$/m);
    assert.equal(escapeLabelValue('plain'), 'plain');
    assert.deepEqual([formatValue(Infinity), formatValue(-Infinity), formatValue(NaN), formatValue(0.25)], ['+Inf', '-Inf', 'NaN', '0.25']);
  });
});

describe('health handler', () => {
  const call = (handler: ReturnType<typeof createHealthHandler>, method: string, url: string) => {
    let status = 0;
    let headers: Record<string, unknown> = {};
    let body = '';
    const response = {
      writeHead(code: number, head: Record<string, unknown>) {
        status = code;
        headers = head;
        return response;
      },
      end(text: string) {
        body = text;
        return response;
      },
    };
    handler({ method, url } as IncomingMessage, response as unknown as ServerResponse);
    return { status, headers, body };
  };

  it('answers /healthz, /readyz with a line per check, /metrics, and 404 otherwise', () => {
    let synced = false;
    const registry = createRegistry();
    registry.counter('x_total', 'X.').inc();
    const handler = createHealthHandler({
      registry,
      liveness: [{ name: 'running', ok: () => true }],
      readiness: [
        { name: 'started', ok: () => true },
        { name: 'informers-synced', ok: () => synced },
      ],
    });
    assert.deepEqual(call(handler, 'GET', '/healthz'), {
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      body: '[+]running ok\nok\n',
    });
    const notReady = call(handler, 'GET', '/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body, '[+]started ok\n[-]informers-synced failed\nnot ok\n');
    synced = true;
    assert.equal(call(handler, 'GET', '/readyz?verbose').status, 200);
    const metrics = call(handler, 'GET', '/metrics');
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(metrics.body, /^x_total 1$/m);
    assert.equal(call(handler, 'GET', '/nope').status, 404);
    assert.equal(call(handler, 'POST', '/healthz').status, 405);
  });

  it('counts a throwing check as failed', () => {
    const report = checkReport([
      {
        name: 'boom',
        ok: () => {
          throw new Error('boom');
        },
      },
    ]);
    assert.deepEqual(report, { ok: false, body: '[-]boom failed\nnot ok\n' });
  });
});
