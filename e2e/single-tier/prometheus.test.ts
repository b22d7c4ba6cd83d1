import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  dashboardQueryProblems,
  expandVariables,
  panelQueries,
  selectorsIn,
  startPrometheus,
  variableQuery,
  type Dashboard,
  type PanelQuery,
  type Prometheus,
  type PrometheusRule,
} from '@hearth/harness';
import { createTeam, HearthClient, PASSWORD, type Team } from '../client.ts';
import { postConcurrently, sleep } from '../helpers.ts';
import { ROLES, startSingleTier, type SingleTier } from '../single-tier.ts';

/**
 * A real Prometheus (Debian's, as an SRE would run it) scrapes every process of a running single
 * tier with the labels a ServiceMonitor gives them, and evaluates deploy/monitoring/hearth-rules.yaml.
 * After a scripted load (sign-ins, a room, realtime connections, posts, refused connects, resumes):
 * every SLI recording rule has a value; every query of the shipped dashboard returns data and names
 * only metrics Prometheus has; and a stopped process makes the component-down alert go pending.
 */

const monitoring = path.resolve(import.meta.dirname, '../../deploy/monitoring');
const RULES = path.join(monitoring, 'hearth-rules.yaml');
const dashboard = JSON.parse(readFileSync(path.join(monitoring, 'hearth-dashboard.json'), 'utf8')) as Dashboard;

/** What a ServiceMonitor's relabelling adds to every Hearth series; the dashboard's variables take these values. */
const LABELS = { namespace: 'e2e', hearth: 'e2e' } as const;
/** Grafana's variables as a person looking at this Hearth would have them. */
const VARIABLES = { ...LABELS, operator_job: '.*', __rate_interval: '1m', __interval: '15s', __range: '5m' };

/** Prometheus scrapes every second: this is a few scrapes. */
const SCRAPES_APART_MS = 3_000;

/**
 * Panels the single tier cannot fill, and why. The operator is not part of a tier (its row is
 * checked against the operator in operator/src/operator-observability.test.ts); a container memory limit exists only where a cgroup sets one.
 */
const NOT_HERE: readonly { readonly why: string; readonly applies: (query: PanelQuery, metrics: ReadonlySet<string>) => boolean }[] = [
  { why: 'no operator runs in the single tier', applies: (query) => query.row === 'Operator' },
  {
    why: 'no process reports hearth_memory_limit_bytes (no cgroup memory limit on this machine)',
    applies: (query, metrics) => !metrics.has('hearth_memory_limit_bytes') && query.expr.includes('hearth_memory_limit_bytes'),
  },
];

async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  explain: () => Promise<string> | string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms. ${await explain()}`);
    await sleep(500);
  }
}

/**
 * The scripted load: what every panel needs something of. Each step exercises a path a metric
 * counts: sign-ins (HTTP), posts acknowledged and rejected (posts, ack latency, store, bus commands,
 * outbox), followers over both transports (connections, fan-out, delivery latency), connects refused
 * without a session (connect failures, the client's side), a 404, and reconnects with resume
 * (resumes, replayed events).
 */
async function runLoad(team: Team, baseUrl: string, round: number): Promise<void> {
  const clients: HearthClient[] = [team.admin, ...team.members];
  for (const [i, member] of team.members.entries()) await member.signIn(`member${i + 1}@example.com`, PASSWORD);
  const room = await team.admin.createRoom('open', `Observed ${round}`);
  const followers = clients.flatMap((client) => [client.connect('websocket'), client.connect('sse')]);
  try {
    await Promise.all(followers.map((stream) => stream.ready));
    const anonymous = [new HearthClient(baseUrl).connect('websocket'), new HearthClient(baseUrl).connect('sse')];
    await Promise.all(anonymous.map((stream) => stream.closed));
    assert.deepEqual(
      anonymous.map((stream) => stream.refused?.status),
      [401, 401],
      'a connect without a session is refused',
    );
    const posted = await postConcurrently(
      room.id,
      clients.map((client, i) => ({ client, count: 20, prefix: `load${round}-${i}` })),
    );
    await Promise.all(followers.map((stream) => stream.waitForSeq(room.id, posted.at(-1)?.seq ?? 0, 15_000)));
    const rejected = await team.admin.raw('POST', `/api/rooms/${encodeURIComponent(room.id)}/messages`, { body: '', clientMessageId: `empty-${round}` });
    assert.ok(rejected.status >= 400 && rejected.status < 500, `an empty post is the client's fault: ${rejected.status}`);
    await team.admin.raw('GET', '/api/no-such-route');
    await resumeAfterAGap(team, room.id, round);
  } finally {
    await Promise.all(followers.map((stream) => stream.close()));
  }
}

/** A member's streams drop, posts go on, and the member reconnects with resume over both transports. */
async function resumeAfterAGap(team: Team, roomId: string, round: number): Promise<void> {
  const member = team.members[0] as HearthClient;
  for (const transport of ['websocket', 'sse'] as const) {
    const first = member.connect(transport);
    await first.ready;
    const lastSeq = first.lastSeq(roomId) ?? 0;
    await first.close();
    const missed = await postConcurrently(roomId, [{ client: team.admin, count: 5, prefix: `missed${round}-${transport}` }]);
    const resumed = member.connect(transport, { resume: { [roomId]: lastSeq } });
    try {
      await resumed.waitForSeq(roomId, missed.at(-1)?.seq ?? 0, 10_000);
    } finally {
      await resumed.close();
    }
  }
}

/** `label_values(selector, label)` as PromQL: the label's values among the selector's series. */
function labelValuesQuery(query: string): { expr: string; label: string } {
  const match = /^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(query.trim());
  if (match === null) throw new Error(`not a label_values() query: ${query}`);
  const [, selector = '', label = ''] = match;
  return { expr: `group by (${label}) (${selector})`, label };
}

function describeRule(rule: PrometheusRule): string {
  return `${rule.name} (${rule.health}${rule.lastError === undefined || rule.lastError === '' ? '' : `: ${rule.lastError}`})`;
}

describe('a real Prometheus scraping the single tier, with the rules and the dashboard Hearth ships', () => {
  let tier: SingleTier;
  let prometheus: Prometheus;

  before(async () => {
    tier = await startSingleTier();
    const targets = ROLES.flatMap((role) =>
      tier.services(role).map((service) => ({ address: `127.0.0.1:${service.port}`, labels: { ...LABELS, component: role } })),
    );
    prometheus = await startPrometheus({ scrape: [{ job: 'hearth', targets }], ruleFiles: [RULES] });
    const down = (await prometheus.targets()).filter((target) => target.health !== 'up');
    assert.deepEqual(
      down.map(({ scrapeUrl, lastError }) => `${scrapeUrl}: ${lastError}`),
      [],
      'every service process serves /metrics',
    );
    const team = await createTeam(tier.url, 2);
    // Twice, a few scrapes apart: a labelled series appears with its first increment, and rate()
    // cannot see the increase that made it appear (Prometheus assumes no start at 0), only later ones.
    await runLoad(team, tier.url, 1);
    await sleep(SCRAPES_APART_MS);
    await runLoad(team, tier.url, 2);
    await sleep(SCRAPES_APART_MS);
  });
  after(async () => {
    await prometheus?.stop();
    await tier?.stop();
  });

  it('loads the rule file without an error, and every SLI recording rule has a value for this Hearth', async () => {
    const rules = (await prometheus.rules()).flatMap((group) => group.rules);
    assert.deepEqual(rules.filter((rule) => rule.health === 'err').map(describeRule), [], 'no rule fails to evaluate');
    const slis = rules.filter((rule) => rule.type === 'recording' && rule.name.startsWith('hearth:sli_')).map((rule) => rule.name);
    assert.ok(slis.length >= 4, `SLI recording rules: ${slis.join(', ')}`);
    const missing = await pollUntil(
      'every SLI recorded',
      async () => {
        const empty: string[] = [];
        for (const sli of slis) {
          const samples = await prometheus.queryVector(`${sli}{namespace="${LABELS.namespace}", hearth="${LABELS.hearth}"}`);
          if (samples.length === 0 || samples.some((sample) => Number.isNaN(sample.value))) empty.push(sli);
        }
        return empty.length === 0 ? empty : undefined;
      },
      20_000,
      async () => {
        const values = await Promise.all(
          slis.map(async (sli) => `${sli} = ${JSON.stringify((await prometheus.queryVector(sli)).map((sample) => String(sample.value)))}`),
        );
        return `the SLIs (an empty list: no value; NaN: no event in the window):\n${values.join('\n')}`;
      },
    );
    assert.deepEqual(missing, []);

    const values = new Map<string, number>();
    for (const sli of slis)
      values.set(sli, (await prometheus.queryVector(`${sli}{namespace="${LABELS.namespace}", hearth="${LABELS.hearth}"}`))[0]?.value ?? Number.NaN);
    for (const [sli, value] of values) assert.ok(value >= 0 && value <= 1, `${sli} is an error ratio: ${value}`);
    // The load had refused connects and a rejected post, but no server failure: those are the client's, not errors.
    for (const sli of ['hearth:sli_post_errors:ratio_rate5m', 'hearth:sli_connect_errors:ratio_rate5m']) assert.equal(values.get(sli), 0, sli);
  });

  it("resolves the dashboard's namespace and Hearth variables to this Hearth", async () => {
    for (const name of ['namespace', 'hearth'] as const) {
      const variable = dashboard.templating.list.find((candidate) => candidate.name === name);
      assert.ok(variable, `the dashboard has a ${name} variable`);
      const { expr, label } = labelValuesQuery(expandVariables(variableQuery(variable), VARIABLES));
      const values = (await prometheus.queryVector(expr)).map((sample) => sample.metric[label]);
      assert.deepEqual(values, [LABELS[name]], `${name}: ${expr}`);
    }
  });

  it('answers every query of the dashboard with data, naming only metrics Prometheus has', async (t) => {
    const known = new Set(await prometheus.metricNames());
    const failures: string[] = [];
    let checked = 0;
    for (const query of panelQueries(dashboard)) {
      const skip = NOT_HERE.find((reason) => reason.applies(query, known));
      if (skip !== undefined) {
        t.diagnostic(`not checked: ${query.row} / ${query.panel} [${query.refId}]: ${skip.why}`);
        continue;
      }
      checked += 1;
      failures.push(...(await dashboardQueryProblems(prometheus, query, VARIABLES, known)));
    }
    t.diagnostic(`${checked} queries checked`);
    assert.ok(checked >= 40, `most of the dashboard is checked here: ${checked} queries`);
    assert.deepEqual(failures, []);
  });

  it('a stopped service process makes the component-down alert go pending for its component', async () => {
    const rules = (await prometheus.rules()).flatMap((group) => group.rules);
    const componentDown = rules.find((rule) => rule.type === 'alerting' && selectorsIn(rule.query).some((selector) => selector.metric === 'up'));
    assert.ok(componentDown, 'an alerting rule on up: the component-down alert');
    assert.deepEqual(
      (await prometheus.alerts()).filter((alert) => alert.labels['alertname'] === componentDown.name),
      [],
      'not before the stop',
    );
    const stopped = tier.services('messaging')[0];
    assert.ok(stopped);
    await stopped.stop();
    const alert = await pollUntil(
      `${componentDown.name} pending`,
      async () => (await prometheus.alerts()).find((candidate) => candidate.labels['alertname'] === componentDown.name),
      20_000,
    );
    assert.equal(alert.state, 'pending', `pending, not firing, until its for: (${componentDown.duration ?? '?'} s)`);
    assert.deepEqual(
      { namespace: alert.labels['namespace'], hearth: alert.labels['hearth'], component: alert.labels['component'] },
      { ...LABELS, component: 'messaging' },
    );
  });
});
