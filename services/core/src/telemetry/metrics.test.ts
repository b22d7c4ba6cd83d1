import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, wantsOpenMetrics } from './metrics.ts';

describe('wantsOpenMetrics', () => {
  const cases: { accept: string | undefined; open: boolean }[] = [
    { accept: undefined, open: false },
    { accept: '*/*', open: false },
    { accept: 'text/plain;version=0.0.4', open: false },
    // Prometheus 2.42's scrape header.
    {
      accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      open: true,
    },
    { accept: 'application/openmetrics-text; version=1.0.0', open: true },
    { accept: 'application/openmetrics-text;q=0,text/plain', open: false },
    { accept: 'text/plain;q=0.9, application/openmetrics-text;q=0.5', open: false },
    { accept: 'text/plain;q=0.5, application/openmetrics-text;q=0.5', open: true },
  ];
  for (const { accept, open } of cases) {
    it(`${String(accept)} → ${open ? 'OpenMetrics' : 'Prometheus text'}`, () => assert.equal(wantsOpenMetrics(accept), open));
  }
});

describe('createMetrics', () => {
  // Without the deadline this render never resolves, and the test's timeout fails it.
  it('renders when a collector hangs, keeping the last value and reporting the collector', { timeout: 20_000 }, async () => {
    const failures: unknown[] = [];
    const metrics = createMetrics({ target: 'messaging', version: 'test' }, (error) => failures.push(error));
    metrics.outboxBacklog.set(7);
    metrics.onCollect(() => new Promise<void>(() => undefined));
    const { body } = await metrics.render(undefined);
    assert.match(body, /^hearth_outbox_backlog_events 7$/m);
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]), /collector took longer than/);
  });
});
