import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardOf, hearthDashboard, hearthDashboardUid, type Dashboard } from './observability-dashboard.ts';
import { dashboardFixture } from './testing.ts';

describe('the dashboard file', () => {
  it('is taken when it is a dashboard, refused with a reason when not', () => {
    assert.deepEqual(dashboardOf('{"title":"t","panels":[]}'), { ok: true, value: { title: 't', panels: [] } });
    const refusals: [string, RegExp][] = [
      ['{', /^the dashboard is not JSON: /],
      ['[]', /not a JSON object/],
      ['{"title":"t"}', /no title or no panels/],
    ];
    for (const [text, message] of refusals) {
      const parsed = dashboardOf(text);
      assert.ok(!parsed.ok);
      assert.match(parsed.message, message);
    }
  });

  it('keeps every other field of the dashboard as it is', () => {
    const original: Dashboard = { ...dashboardFixture, id: 7, panels: [{ id: 1, title: 'p' }], refresh: '30s' };
    const made = hearthDashboard(original, 'chat', 'acme');
    assert.deepEqual(made.panels, original.panels);
    assert.equal(made.refresh, '30s');
    assert.equal(made.id, null);
    assert.equal(original.uid, 'hearth', 'the original is not changed');
  });

  it('opens on the Hearth: its namespace and name become the current values of those variables, and no other', () => {
    const made = hearthDashboard(dashboardFixture, 'team-a', 'globex');
    assert.deepEqual((made.templating as { list: unknown[] }).list, [
      { name: 'datasource', type: 'datasource', current: {} },
      { name: 'namespace', type: 'query', current: { selected: true, text: 'team-a', value: 'team-a' } },
      { name: 'hearth', type: 'query', current: { selected: true, text: 'globex', value: 'globex' } },
    ]);
    assert.deepEqual([made.uid, made.title], [hearthDashboardUid('team-a', 'globex'), 'Hearth (team-a/globex)']);
  });

  it('leaves a dashboard without a variable list without one', () => {
    const cases: { name: string; dashboard: Dashboard; templating: unknown }[] = [
      { name: 'no templating', dashboard: { title: 'T', panels: [] }, templating: undefined },
      { name: 'templating without a list', dashboard: { title: 'T', panels: [], templating: { enable: true } }, templating: { enable: true } },
      {
        name: 'a variable without a name',
        dashboard: { title: 'T', panels: [], templating: { list: [{ type: 'x' }] } },
        templating: { list: [{ type: 'x' }] },
      },
    ];
    for (const { name, dashboard, templating } of cases) assert.deepEqual(hearthDashboard(dashboard, 'chat', 'acme').templating, templating, name);
  });
});

describe('hearthDashboardUid', () => {
  it('is the same for a Hearth every time, another for another Hearth, and fits Grafana’s 40 characters', () => {
    const cases: [string, string][] = [
      ['chat', 'acme'],
      ['chat', 'globex'],
      ['team-a', 'acme'],
      // The separator keeps `a/bc` and `ab/c` apart.
      ['a', 'bc'],
      ['ab', 'c'],
    ];
    const uids = cases.map(([namespace, name]) => hearthDashboardUid(namespace, name));
    assert.equal(new Set(uids).size, cases.length);
    for (const [i, [namespace, name]] of cases.entries()) {
      assert.equal(hearthDashboardUid(namespace, name), uids[i]);
      assert.match(uids[i] ?? '', /^hearth-[0-9a-f]{16}$/);
    }
  });
});
