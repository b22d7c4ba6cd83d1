// spec.observability, reconciled by `node operator/src/main.ts` against a real kube-apiserver
// (e2e-cluster.ts): without the Prometheus Operator's CRDs the Hearth still reconciles and becomes
// Ready, with its dashboard ConfigMap and a MonitoringReady condition saying what is missing; once
// the CRDs (the published ones, ../shared/fixtures/crds) are installed, its ServiceMonitor,
// PodMonitor and PrometheusRule are made and the API server holds them exactly as built; turning a
// switch off prunes its object, and deleting the Hearth deletes them all.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { dashboardQueryProblems, freePort, panelQueries, startPrometheus, thirdPartyCrd, type Child, type Dashboard } from '@hearth/harness';
import type { Condition, ObservabilitySpec } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { eventually } from '@hearth/kube-runtime/testing';
import { e2eTarget, skipUnlessControlPlane, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { examples, instanceSelector, operatorTestKit } from './operator-test-support.ts';
import { isSubset } from './reconcile/apply.ts';
import { createMonitoringFiles } from './reconcile/monitoring-files.ts';
import { defaultTierContext, desiredMonitoring, desiredObjects, type DesiredMonitoringObject, type RuleGroup } from './tiers/index.ts';

interface Stored {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { uid: string; kind: string }[] };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const target = e2eTarget(process.env);
/** Installing the Prometheus Operator's CRDs into someone's cluster is not a test's to do. */
const onTheTestControlPlane = { skip: skipUnlessControlPlane(target, 'installs the Prometheus Operator’s CRDs') };
const monitoringKinds = 'servicemonitors.monitoring.coreos.com,podmonitors.monitoring.coreos.com,prometheusrules.monitoring.coreos.com';
const all: ObservabilitySpec = { serviceMonitor: true, prometheusRule: true, dashboards: true, labels: { release: 'kube-prometheus-stack' } };
/** Discovery answers are kept up to 30 s (monitoring.ts) unless the operator passes its own. */
const discoveryMs = 45_000;

describe('spec.observability on a real API server', { timeout: suiteTimeoutMs(target, 300_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;
  const { kubectl, getJson, exists, hearthOf, applyExample, markReady, isHearthReady, workloads, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const condition = async (name: string): Promise<Condition | undefined> =>
    (await hearthOf(name)).status?.conditions?.find((c) => c.type === 'MonitoringReady');
  const observe = (name: string, observability: ObservabilitySpec): Promise<string> =>
    kubectl('patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec: { observability } }));
  /** Every monitoring object of the Hearth, as `Kind/name`, sorted. */
  const monitoring = async (name: string, withCrds = true): Promise<string[]> => {
    const kinds = withCrds ? `configmaps,${monitoringKinds}` : 'configmaps';
    const items = (await getJson<{ items: Stored[] }>(kinds, '-l', instanceSelector(name))).items;
    return items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
  };
  const stored = (kind: string, name: string): Promise<Stored> => getJson<Stored>(kind, name);
  const warnings = async (name: string): Promise<string[]> =>
    (await getJson<{ items: { type: string; reason: string }[] }>('events', '--field-selector', `involvedObject.name=${name}`)).items
      .filter((event) => event.type === 'Warning')
      .map((event) => event.reason);

  /** MonitoringReady False, naming what to install and what was made all the same. */
  const assertSaysWhatToInstall = async (name: string): Promise<void> => {
    const monitoringReady = await condition(name);
    assert.equal(monitoringReady?.status, 'False');
    assert.match(
      monitoringReady?.message ?? '',
      /spec\.observability\.serviceMonitor needs the Prometheus Operator's ServiceMonitor and PodMonitor \(monitoring\.coreos\.com\/v1\)/,
    );
    assert.match(monitoringReady?.message ?? '', new RegExp(`made: ConfigMap ${name}-grafana-dashboard$`));
  };
  /** The dashboard ConfigMap: labelled for the Grafana sidecar and with spec.observability.labels, the dashboard the Hearth's own. */
  const assertDashboardConfigMap = async (name: string): Promise<void> => {
    const configMap = await stored('configmap', `${name}-grafana-dashboard`);
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.equal(configMap.metadata.labels?.release, 'kube-prometheus-stack');
    const dashboard = JSON.parse(configMap.data?.[`hearth-${cluster.namespace}-${name}.json`] ?? '{}') as { title?: string; panels?: unknown[] };
    assert.equal(dashboard.title, `Hearth (${cluster.namespace}/${name})`);
    assert.ok((dashboard.panels?.length ?? 0) > 0);
  };
  const installPrometheusOperatorCrds = async (): Promise<void> => {
    for (const crd of ['serviceMonitors', 'podMonitors', 'prometheusRules'] as const) await kubectl('apply', '--server-side', '-f', await thirdPartyCrd(crd));
    await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/servicemonitors.monitoring.coreos.com',
      'crd/podmonitors.monitoring.coreos.com',
      'crd/prometheusrules.monitoring.coreos.com',
    );
  };
  /**
   * What the operator builds from the Hearth as stored is what the API server holds: a field its
   * CRD did not know would have been pruned away and fail this, and the strict dry run refuses it.
   */
  const assertStoredAsBuilt = async (name: string): Promise<void> => {
    const hearth = await hearthOf(name);
    const tier = desiredObjects(hearth, defaultTierContext);
    assert.ok(tier.ok);
    const files = createMonitoringFiles();
    const rules = await files.rules();
    const built = desiredMonitoring(hearth, defaultTierContext, tier.objects, {
      served: { ServiceMonitor: true, PodMonitor: true, PrometheusRule: true },
      rules,
      dashboard: await files.dashboard(),
    });
    assert.equal(built.objects.length, 4);
    for (const object of built.objects) {
      const live = await stored(object.kind.toLowerCase(), object.metadata.name);
      assert.ok(isSubset(object, live), `${object.kind} ${object.metadata.name} is stored as built`);
      assert.deepEqual(
        live.metadata.ownerReferences?.map((owner) => [owner.kind, owner.uid]),
        [['Hearth', hearth.metadata.uid]],
      );
    }
    const file = path.join(cluster.work, 'monitoring.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: built.objects satisfies readonly DesiredMonitoringObject[] }));
    const dryRun = await kubectl(
      'apply',
      '--dry-run=server',
      '--validate=strict',
      '--server-side',
      '--force-conflicts',
      '--field-manager=observability-test',
      '-f',
      file,
    );
    assert.match(dryRun, new RegExp(`servicemonitor\\.monitoring\\.coreos\\.com/${name} serverside-applied \\(server dry run\\)`));
  };
  /** The ServiceMonitor selects the Hearth's Services in its namespace, the PodMonitor its messaging pods. */
  const assertSelectsItsOwn = async (name: string): Promise<void> => {
    const monitor = await stored('servicemonitor', name);
    assert.deepEqual((monitor.spec?.selector as { matchExpressions: unknown }).matchExpressions, [
      { key: 'app.kubernetes.io/component', operator: 'In', values: ['gateway', 'realtime'] },
    ]);
    assert.deepEqual(monitor.spec?.namespaceSelector, { matchNames: [cluster.namespace] });
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
    const podMonitor = await stored('podmonitor', name);
    assert.deepEqual((podMonitor.spec?.selector as { matchExpressions: unknown }).matchExpressions, [
      { key: 'app.kubernetes.io/component', operator: 'In', values: ['messaging'] },
    ]);
  };
  /** The PrometheusRule holds every group of deploy/monitoring/hearth-rules.yaml, each expression restricted to the Hearth. */
  const assertRulesRestricted = async (name: string): Promise<void> => {
    const rule = await stored('prometheusrule', name);
    const original = parse(await readFile(path.join(repoRoot, 'deploy', 'monitoring', 'hearth-rules.yaml'), 'utf8')) as { groups: RuleGroup[] };
    const groups = rule.spec?.groups as RuleGroup[];
    assert.deepEqual(
      groups.map((group) => [group.name, group.rules.length]),
      original.groups.map((group) => [group.name, group.rules.length]),
    );
    for (const group of groups) for (const each of group.rules) assert.match(each.expr, new RegExp(`\\{namespace="${cluster.namespace}",hearth="${name}"`));
  };

  before(async () => {
    cluster = await startE2eCluster('observability');
    metricsPort = await freePort();
    operator = await startOperator(metricsPort, { HEARTH_OPERATOR_LEADER_ELECTION: 'false', HEARTH_OPERATOR_DISCOVERY_SECONDS: '1' });
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it(
    'without the Prometheus Operator: the workloads and the dashboard, Ready, and MonitoringReady False saying what to install',
    onTheTestControlPlane,
    async () => {
      await applyExample(examples.single, 'beacon');
      await observe('beacon', all);
      await eventually('MonitoringReady', async () => (await condition('beacon'))?.reason === 'PrometheusOperatorNotInstalled', 30_000, 200);
      await assertSaysWhatToInstall('beacon');
      assert.deepEqual(await monitoring('beacon', false), ['ConfigMap/beacon-grafana-dashboard']);
      // The rest of the Hearth is not held back.
      assert.deepEqual((await workloads('beacon')).map((item) => `${item.kind}/${item.metadata.name}`).sort(), [
        'Deployment/beacon-gateway',
        'Deployment/beacon-messaging',
        'Deployment/beacon-realtime',
        'StatefulSet/beacon-nats',
        'StatefulSet/beacon-postgres',
        'StatefulSet/beacon-redis',
      ]);
      await markReady('beacon');
      await eventually('beacon Ready', () => isHearthReady('beacon'), 20_000, 200);
      assert.equal((await condition('beacon'))?.status, 'False', 'Ready does not wait for monitoring, nor clear its condition');
      assert.ok((await warnings('beacon')).includes('PrometheusOperatorNotInstalled'), 'a Warning event says so too');

      await assertDashboardConfigMap('beacon');
    },
  );

  it('once its CRDs are installed: the ServiceMonitor, PodMonitor and PrometheusRule, held by the API server as built', onTheTestControlPlane, async () => {
    await installPrometheusOperatorCrds();
    await eventually('MonitoringReady True', async () => (await condition('beacon'))?.status === 'True', discoveryMs, 250);
    assert.deepEqual(await monitoring('beacon'), ['ConfigMap/beacon-grafana-dashboard', 'PodMonitor/beacon', 'PrometheusRule/beacon', 'ServiceMonitor/beacon']);
    assert.equal((await condition('beacon'))?.reason, 'MonitoringConfigured');
    await assertStoredAsBuilt('beacon');
    await assertSelectsItsOwn('beacon');
    await assertRulesRestricted('beacon');
  });

  it('an embedded Hearth is scraped through its one Service: a ServiceMonitor and no PodMonitor', onTheTestControlPlane, async () => {
    await applyExample(examples.embedded, 'ember');
    await observe('ember', { serviceMonitor: true });
    await eventually('MonitoringReady True', async () => (await condition('ember'))?.status === 'True', discoveryMs, 250);
    assert.deepEqual(await monitoring('ember'), ['ServiceMonitor/ember']);
    const monitor = await stored('servicemonitor', 'ember');
    assert.deepEqual((monitor.spec?.selector as { matchExpressions: unknown }).matchExpressions, [
      { key: 'app.kubernetes.io/component', operator: 'In', values: ['all'] },
    ]);
  });

  it('turning a switch off prunes its object, and all off takes the condition away', onTheTestControlPlane, async () => {
    await observe('beacon', { prometheusRule: false });
    await eventually('the PrometheusRule pruned', async () => !(await exists('prometheusrule', 'beacon')), 20_000, 200);
    assert.deepEqual(await monitoring('beacon'), ['ConfigMap/beacon-grafana-dashboard', 'PodMonitor/beacon', 'ServiceMonitor/beacon']);
    await eventually('the message updated', async () => !/PrometheusRule/.test((await condition('beacon'))?.message ?? 'PrometheusRule'), 20_000, 200);

    await observe('beacon', { dashboards: false });
    await eventually('the dashboard pruned', async () => !(await exists('configmap', 'beacon-grafana-dashboard')), 20_000, 200);
    await observe('beacon', { serviceMonitor: false });
    await eventually('the monitors pruned', async () => (await monitoring('beacon')).length === 0, 20_000, 200);
    await eventually('no MonitoringReady', async () => (await condition('beacon')) === undefined, 20_000, 200);
    assert.ok(await isHearthReady('beacon'));
  });

  it("the dashboard's operator row: every query returns data from a real Prometheus scraping this operator", async (t) => {
    const dashboard = JSON.parse(await readFile(path.join(repoRoot, 'deploy/monitoring/hearth-dashboard.json'), 'utf8')) as Dashboard;
    const queries = panelQueries(dashboard).filter((query) => query.row === 'Operator');
    assert.ok(queries.length >= 8, `the operator row has its queries: ${queries.length}`);
    const prometheus = await startPrometheus({ scrape: [{ job: 'hearth-operator', targets: [{ address: `127.0.0.1:${metricsPort}` }] }] });
    try {
      // A reconcile now, so the rates over the last minute have something to show.
      await observe('beacon', { dashboards: true });
      const variables = { operator_job: 'hearth-operator', __rate_interval: '1m', __interval: '15s', __range: '5m' };
      let problems: string[] = [];
      await eventually(
        'every operator query answered',
        async () => {
          const known = new Set(await prometheus.metricNames());
          problems = (await Promise.all(queries.map((query) => dashboardQueryProblems(prometheus, query, variables, known)))).flat();
          return problems.length === 0;
        },
        30_000,
        1_000,
      ).catch(() => assert.deepEqual(problems, []));
      t.diagnostic(`${queries.length} operator queries checked`);
    } finally {
      await prometheus.stop();
    }
  });

  it('deleting the Hearth deletes its monitoring objects', onTheTestControlPlane, async () => {
    await observe('ember', all);
    await eventually('all three of the embedded tier', async () => (await monitoring('ember')).length === 3, 20_000, 200);
    await kubectl('delete', 'hearth', 'ember', '--wait=false');
    // The test control plane runs no garbage collector: the finalizer is what deletes them.
    await eventually('ember gone', async () => !(await exists('hearth', 'ember')), 30_000, 200);
    assert.deepEqual(await monitoring('ember'), []);
  });
});
