import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricNamesIn, rangesIn, selectorsIn } from './promql.ts';

describe('metricNamesIn', () => {
  const cases: readonly (readonly [string, string[]])[] = [
    ['up', ['up']],
    ['up{job="x", le="0.3"} == 0', ['up']],
    [
      'sum by (le, route) (rate(hearth_http_request_duration_seconds_bucket{namespace="$namespace"}[$__rate_interval]))',
      ['hearth_http_request_duration_seconds_bucket'],
    ],
    ['histogram_quantile(0.99, sum(rate(a_bucket[5m])) by (le))', ['a_bucket']],
    ['(sum(rate(a_total{outcome="failed"}[1m])) or vector(0)) / sum(rate(a_total[1m]))', ['a_total']],
    ['1 - hearth:sli_post_success:ratio_rate5m{hearth="h"} > bool 0.5', ['hearth:sli_post_success:ratio_rate5m']],
    ['a / on (namespace, hearth) group_left (component) b offset 5m', ['a', 'b']],
    ['label_replace(x, "dst", "$1", "src", "(.*)") unless ignoring (instance) y', ['x', 'y']],
    ['max_over_time(x[1h:1m]) and count without (instance) (z) > Inf', ['x', 'z']],
    ['topk(5, sum by (operation) (rate(s_sum[$__rate_interval])) / sum by (operation) (rate(s_count[$__rate_interval])))', ['s_sum', 's_count']],
  ];
  for (const [expr, names] of cases) {
    it(expr, () => assert.deepEqual(metricNamesIn(expr), names));
  }

  it('refuses what is not PromQL', () => {
    assert.throws(() => metricNamesIn('rate(x[5m]) ; drop'), /cannot read PromQL/);
  });
});

describe('rangesIn', () => {
  it('lists the windows of range selectors and subqueries', () => {
    assert.deepEqual(rangesIn('rate(a[$__rate_interval]) + increase(b{x="[1m]"}[5m]) + max_over_time(c[1h:1m])'), ['$__rate_interval', '5m', '1h:1m']);
    assert.deepEqual(rangesIn('sum(up)'), []);
  });
});

describe('selectorsIn', () => {
  it("gives each selector's metric and matchers", () => {
    assert.deepEqual(selectorsIn('sum(rate(a_total{namespace="$namespace", hearth=~"h|i", status_class!="5xx"}[1m])) / b'), [
      {
        metric: 'a_total',
        matchers: [
          { label: 'namespace', op: '=', value: '$namespace' },
          { label: 'hearth', op: '=~', value: 'h|i' },
          { label: 'status_class', op: '!=', value: '5xx' },
        ],
      },
      { metric: 'b', matchers: [] },
    ]);
  });

  const matcherCases: readonly (readonly [string, { label: string; op: string; value: string }[]])[] = [
    ['x{a="1"}', [{ label: 'a', op: '=', value: '1' }]],
    ['x{a!="1"}', [{ label: 'a', op: '!=', value: '1' }]],
    ['x{a=~"1|2"}', [{ label: 'a', op: '=~', value: '1|2' }]],
    ['x{a!~"1.*"}', [{ label: 'a', op: '!~', value: '1.*' }]],
    [
      'x{a="1", b!~"2"}',
      [
        { label: 'a', op: '=', value: '1' },
        { label: 'b', op: '!~', value: '2' },
      ],
    ],
    ['x{}', []],
  ];
  for (const [expr, matchers] of matcherCases) {
    it(`reads the matchers of ${expr}`, () => assert.deepEqual(selectorsIn(expr), [{ metric: 'x', matchers }]));
  }
});
