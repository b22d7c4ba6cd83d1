import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  placedPanels,
  panelQueries,
  rangesIn,
  selectorsIn,
  variableQuery,
  type Dashboard,
  type DashboardPanel,
  type DashboardVariable,
  type Selector,
} from '@hearth/harness';

/**
 * The rules a shipped Grafana dashboard must keep, checked on its JSON: it follows the data source
 * and the Hearth chosen at the top (so one dashboard serves every Hearth a Prometheus scrapes), its
 * rates follow Grafana's $__rate_interval (never a window too short for the scrape interval), every
 * panel says what it shows and in which unit, and it asks only for metrics Hearth documents
 * (docs/observability.md's tables).
 * e2e/single-tier/prometheus.test.ts then runs every query against a real Prometheus.
 */

const here = import.meta.dirname;
const dashboard = JSON.parse(readFileSync(path.join(here, 'hearth-dashboard.json'), 'utf8')) as Dashboard;
const rulesYaml = readFileSync(path.join(here, 'hearth-rules.yaml'), 'utf8');

const ROWS = ['SLOs and error budget', 'Gateway', 'Messaging and outbox', 'Realtime', 'NATS JetStream', 'PostgreSQL', 'Redis', 'Node runtime', 'Operator'];
const OPERATOR_ROW = 'Operator';
const DATASOURCE = '${datasource}';

const OPERATOR_METRICS = /^(controller_runtime_|workqueue_|leader_election_|rest_client_)/;

/**
 * The documented metrics: every row of a table in docs/observability.md that starts with a metric
 * name in backticks and its type (`| \`hearth_posts_total\` | counter | outcome | … |`).
 */
function documentedMetrics(markdown: string): Map<string, string> {
  const rows = markdown.matchAll(/^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(counter|gauge|histogram|summary|info)\s*\|/gm);
  return new Map([...rows].map((row) => [row[1] ?? '', row[2] ?? '']));
}

/** The names a query may select: each documented series (a histogram's _bucket, _sum and _count), and the recording rules. */
function knownNames(): Set<string> {
  const documented = documentedMetrics(readFileSync(path.join(here, '../../docs/observability.md'), 'utf8'));
  const series = [...documented].flatMap(([name, type]) =>
    type === 'histogram' || type === 'summary' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  );
  const records = [...rulesYaml.matchAll(/^\s*-?\s*record:\s*(\S+)\s*$/gm)].map((match) => match[1] ?? '');
  return new Set([...series, ...records]);
}

function variable(name: string): DashboardVariable {
  const found = dashboard.templating.list.find((candidate) => candidate.name === name);
  assert.ok(found, `a variable named ${name}`);
  return found;
}

const usesDatasourceVariable = (datasource: unknown): boolean => (datasource as { uid?: unknown } | undefined)?.uid === DATASOURCE;

/** The matcher `label="value"` (or =~) a selector carries, if any. */
const matcherOf = (selector: Selector, label: string): string | undefined =>
  selector.matchers.find((matcher) => matcher.label === label && (matcher.op === '=' || matcher.op === '=~'))?.value;

/** What every panel must have, each with what is said of a panel without it. */
const panelChecks: readonly (readonly [string, (panel: DashboardPanel) => boolean])[] = [
  ['the panel does not use ${datasource}', (panel) => usesDatasourceVariable(panel.datasource)],
  ['a query does not use ${datasource}', (panel) => (panel.targets ?? []).every((target) => usesDatasourceVariable(target.datasource))],
  ['no description', (panel) => (panel.description ?? '').trim().length >= 20],
  ['no unit (fieldConfig.defaults.unit)', (panel) => (panel.fieldConfig?.defaults?.unit ?? '') !== ''],
  ['no query', (panel) => (panel.targets ?? []).some((target) => (target.expr ?? '') !== '')],
];

describe('the Hearth Grafana dashboard (deploy/monitoring/hearth-dashboard.json)', () => {
  const panels = placedPanels(dashboard);
  const queries = panelQueries(dashboard);

  it('is the dashboard with uid hearth, in schema version 39', () => {
    assert.equal(dashboard.uid, 'hearth');
    assert.equal(dashboard.schemaVersion, 39);
    assert.ok(queries.length >= 50, `its panels ask something: ${queries.length} queries`);
  });

  it('chooses its Prometheus data source with a datasource variable', () => {
    const datasource = variable('datasource');
    assert.equal(datasource.type, 'datasource');
    assert.equal(datasource.query, 'prometheus');
  });

  it('chooses the Hearth with query variables over hearth_build_info: namespace, then the Hearth in it', () => {
    const namespace = variable('namespace');
    const hearth = variable('hearth');
    for (const each of [namespace, hearth]) {
      assert.equal(each.type, 'query', `${each.name} is a query variable`);
      assert.ok(usesDatasourceVariable(each.datasource), `${each.name} asks \${datasource}`);
    }
    assert.equal(variableQuery(namespace), 'label_values(hearth_build_info, namespace)');
    assert.equal(variableQuery(hearth), 'label_values(hearth_build_info{namespace="$namespace"}, hearth)');
    const operator = variable('operator_job');
    assert.ok(usesDatasourceVariable(operator.datasource));
    assert.match(variableQuery(operator), /^label_values\(controller_runtime_reconcile_total\{controller="hearth"\}, job\)$/);
  });

  it('has the rows in order, each with panels', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    assert.deepEqual(rows, ROWS);
    for (const row of ROWS)
      assert.ok(
        panels.some((placed) => placed.row === row),
        `the ${row} row has panels`,
      );
  });

  it('every panel asks ${datasource}, says what it shows, and has a unit and a query', () => {
    const faults = panels.flatMap(({ panel }) => panelChecks.filter(([, holds]) => !holds(panel)).map(([reason]) => `${panel.title}: ${reason}`));
    assert.deepEqual(faults, []);
  });

  it('every range window is $__rate_interval, never a fixed one', () => {
    const fixed = queries.flatMap(({ panel, expr }) =>
      rangesIn(expr).flatMap((range) => (range === '$__rate_interval' ? [] : [`${panel}: [${range}] in ${expr}`])),
    );
    assert.deepEqual(fixed, []);
    assert.ok(
      queries.some(({ expr }) => expr.includes('rate(')),
      'there are rates to check',
    );
  });

  it('every Hearth query selects the chosen namespace and Hearth; every operator query the chosen operator job', () => {
    const faults = queries.flatMap(({ row, panel, expr }) =>
      selectorsIn(expr).flatMap((selector) => {
        const operator = row === OPERATOR_ROW;
        const wanted: readonly (readonly [string, string])[] = operator
          ? [['job', '$operator_job']]
          : [
              ['namespace', '$namespace'],
              ['hearth', '$hearth'],
            ];
        const missing = wanted.filter(([label, value]) => matcherOf(selector, label) !== value).map(([label, value]) => `${label}="${value}"`);
        const misplaced = operator !== OPERATOR_METRICS.test(selector.metric) ? ['an operator metric outside the Operator row, or the reverse'] : [];
        return [
          ...missing.map((matcher) => `${panel}: ${selector.metric} without ${matcher}`),
          ...misplaced.map((why) => `${panel}: ${selector.metric}: ${why}`),
        ];
      }),
    );
    assert.deepEqual(faults, []);
  });

  it('reads the metric table of docs/observability.md', () => {
    const table =
      '| metric | type | labels |\n|---|---|---|\n| `hearth_posts_total` | counter | outcome |\n| `hearth_delivery_latency_seconds` | histogram | |\nNot `a_row` | gauge |';
    assert.deepEqual(
      [...documentedMetrics(table)],
      [
        ['hearth_posts_total', 'counter'],
        ['hearth_delivery_latency_seconds', 'histogram'],
      ],
    );
  });

  it('asks only for metrics documented in docs/observability.md and the recording rules of hearth-rules.yaml', () => {
    const known = knownNames();
    assert.ok(
      [...known].some((name) => name.startsWith('hearth:sli_')),
      'hearth-rules.yaml records the SLIs',
    );
    const unknown = queries.flatMap(({ panel, expr }) => selectorsIn(expr).flatMap(({ metric }) => (known.has(metric) ? [] : [`${panel}: ${metric}`])));
    assert.deepEqual([...new Set(unknown)], []);
  });

  it('shows every SLI the rules record, in the SLO row', () => {
    const slis = new Set([...rulesYaml.matchAll(/record:\s*(hearth:sli_[a-z_]+):/g)].map((match) => match[1]));
    assert.ok(slis.size >= 4, `four SLIs recorded: ${[...slis].join(', ')}`);
    const shown = new Set(
      queries.filter(({ row }) => row === ROWS[0]).flatMap(({ expr }) => selectorsIn(expr).map(({ metric }) => metric.split(':').slice(0, 2).join(':'))),
    );
    assert.deepEqual(
      [...slis].filter((sli) => !shown.has(sli as string)),
      [],
    );
  });

  it('lays its panels out without overlap, within 24 columns, with unique ids', () => {
    const placed = dashboard.panels.flatMap((panel) => (panel.gridPos === undefined ? [] : [{ title: panel.title, ...panel.gridPos }]));
    assert.equal(placed.length, dashboard.panels.length, 'every panel has a gridPos');
    for (const panel of placed) assert.ok(panel.x >= 0 && panel.x + panel.w <= 24, `${panel.title} fits in 24 columns`);
    const overlaps = placed.flatMap((a, i) =>
      placed.slice(i + 1).flatMap((b) => (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h ? [`${a.title} / ${b.title}`] : [])),
    );
    assert.deepEqual(overlaps, []);
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
  });
});
