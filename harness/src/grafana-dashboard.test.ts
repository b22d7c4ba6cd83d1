import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandVariables, panelQueries, variableQuery, type Dashboard } from './grafana-dashboard.ts';

const dashboard: Dashboard = {
  uid: 'd',
  title: 'D',
  schemaVersion: 39,
  templating: { list: [] },
  panels: [
    { type: 'stat', title: 'Before any row', targets: [{ refId: 'A', expr: 'up' }] },
    { type: 'row', title: 'Open row' },
    {
      type: 'timeseries',
      title: 'Two queries',
      targets: [
        { refId: 'A', expr: 'a' },
        { refId: 'B', expr: 'b' },
      ],
    },
    { type: 'row', title: 'Collapsed row', panels: [{ type: 'stat', title: 'Inside', targets: [{ refId: 'A', expr: 'c' }] }] },
    { type: 'text', title: 'No queries' },
  ],
};

describe('a Grafana dashboard read for tests', () => {
  it('lists every query with its panel and row, collapsed rows included', () => {
    assert.deepEqual(
      panelQueries(dashboard).map(({ row, panel, refId, expr }) => `${row}|${panel}|${refId}|${expr}`),
      ['|Before any row|A|up', 'Open row|Two queries|A|a', 'Open row|Two queries|B|b', 'Collapsed row|Inside|A|c'],
    );
  });

  it('expands every spelling of a variable, and refuses one it has no value for', () => {
    const values = { namespace: 'ns', hearth: 'h', __rate_interval: '1m' };
    assert.equal(
      expandVariables('rate(x{namespace="$namespace", hearth="${hearth}", a="${hearth:raw}", b="[[namespace]]"}[$__rate_interval])', values),
      'rate(x{namespace="ns", hearth="h", a="h", b="ns"}[1m])',
    );
    assert.throws(() => expandVariables('x{a="$other"}', values), /\$other/);
  });

  it("reads a query variable's query from a string or from the query editor's object", () => {
    assert.equal(variableQuery({ name: 'a', type: 'query', query: 'label_values(up, job)' }), 'label_values(up, job)');
    assert.equal(variableQuery({ name: 'a', type: 'query', query: { query: 'label_values(up, job)', refId: 'X' } }), 'label_values(up, job)');
  });
});
