import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition, HearthTier, ObservabilitySpec } from '../api/index.ts';
import { defaultTierContext, type TierContext } from './context.ts';
import { desiredObjects } from './desired-objects.ts';
import { hearthDashboardUid, type Dashboard } from './observability-dashboard.ts';
import type { RuleGroup } from './observability-rules.ts';
import {
  desiredMonitoring,
  scrapeTargets,
  type DesiredMonitoringObject,
  type DesiredPodMonitor,
  type DesiredServiceMonitor,
  type MonitoringFound,
  type ServedMonitoringKinds,
} from './observability.ts';
import { deriveStatus } from './status.ts';
import { dashboardFixture, hearthFixture } from './testing.ts';

const ctx: TierContext = { ...defaultTierContext, cloudNativePG: true };
const allServed: ServedMonitoringKinds = { ServiceMonitor: true, PodMonitor: true, PrometheusRule: true };
const noneServed: ServedMonitoringKinds = { ServiceMonitor: false, PodMonitor: false, PrometheusRule: false };
const rules: RuleGroup[] = [
  { name: 'hearth-components', rules: [{ alert: 'HearthComponentDown', expr: 'up{component!=""} == 0', for: '5m', labels: { severity: 'critical' } }] },
];
const found: MonitoringFound = { served: allServed, rules: { ok: true, value: rules }, dashboard: { ok: true, value: dashboardFixture } };

function build(tier: HearthTier, observability: ObservabilitySpec, with_: MonitoringFound = found, name = 'acme') {
  const hearth = hearthFixture({ tier, observability }, { name });
  const desired = desiredObjects(hearth, ctx);
  assert.ok(desired.ok, JSON.stringify(desired));
  return desiredMonitoring(hearth, ctx, desired.objects, with_);
}

const names = (objects: readonly DesiredMonitoringObject[]): string[] => objects.map((object) => `${object.kind}/${object.metadata.name}`);
const all = { serviceMonitor: true, prometheusRule: true, dashboards: true };
/** The labels that select every object of the Hearth acme. */
const instance = { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/managed-by': 'hearth-operator' };

describe('desiredMonitoring', () => {
  const switchCases: {
    name: string;
    tier: HearthTier;
    observability: ObservabilitySpec;
    found?: MonitoringFound;
    want: string[];
    status?: string;
    reason?: string;
    message?: RegExp;
  }[] = [
    { name: 'nothing asked', tier: 'single', observability: {}, want: [] },
    { name: 'all switches off', tier: 'single', observability: { serviceMonitor: false, prometheusRule: false, dashboards: false }, want: [] },
    // The embedded tier's one process has a Service: no PodMonitor.
    {
      name: 'embedded, scrape',
      tier: 'embedded',
      observability: { serviceMonitor: true },
      want: ['ServiceMonitor/acme'],
      status: 'True',
      reason: 'MonitoringConfigured',
      message: /^ServiceMonitor acme$/,
    },
    // messaging has no Service: a PodMonitor scrapes it.
    { name: 'single, scrape', tier: 'single', observability: { serviceMonitor: true }, want: ['ServiceMonitor/acme', 'PodMonitor/acme'], status: 'True' },
    {
      name: 'clustered, scrape',
      tier: 'clustered',
      observability: { serviceMonitor: true },
      want: ['ServiceMonitor/acme', 'PodMonitor/acme'],
      status: 'True',
    },
    {
      name: 'single, everything',
      tier: 'single',
      observability: all,
      want: ['ServiceMonitor/acme', 'PodMonitor/acme', 'PrometheusRule/acme', 'ConfigMap/acme-grafana-dashboard'],
      status: 'True',
      reason: 'MonitoringConfigured',
      message: /^ServiceMonitor acme, PodMonitor acme, PrometheusRule acme, ConfigMap acme-grafana-dashboard$/,
    },
    {
      name: 'no Prometheus Operator: the dashboard only, and why not the rest',
      tier: 'single',
      observability: all,
      found: { ...found, served: noneServed },
      want: ['ConfigMap/acme-grafana-dashboard'],
      status: 'False',
      reason: 'PrometheusOperatorNotInstalled',
      message:
        /^spec\.observability\.serviceMonitor needs the Prometheus Operator's ServiceMonitor and PodMonitor \(monitoring\.coreos\.com\/v1\), which this cluster does not serve: install the Prometheus Operator \(its CRDs\); spec\.observability\.prometheusRule needs .*PrometheusRule.*; made: ConfigMap acme-grafana-dashboard$/,
    },
    {
      name: 'a Prometheus Operator without PodMonitor',
      tier: 'single',
      observability: { serviceMonitor: true },
      found: { served: { ...allServed, PodMonitor: false } },
      want: ['ServiceMonitor/acme'],
      status: 'False',
      reason: 'PrometheusOperatorNotInstalled',
      message: /Prometheus Operator's PodMonitor \(/,
    },
    {
      name: 'the rules file unreadable',
      tier: 'embedded',
      observability: all,
      found: { ...found, rules: { ok: false, message: 'cannot read hearth-rules.yaml' } },
      want: ['ServiceMonitor/acme', 'ConfigMap/acme-grafana-dashboard'],
      status: 'False',
      reason: 'RulesNotAvailable',
      message: /^spec\.observability\.prometheusRule: cannot read hearth-rules\.yaml; made: ServiceMonitor acme, ConfigMap acme-grafana-dashboard$/,
    },
    {
      name: 'a rule that does not parse',
      tier: 'embedded',
      observability: { prometheusRule: true },
      found: { ...found, rules: { ok: true, value: [{ name: 'g', rules: [{ record: 'r', expr: 'sum(' }] }] } },
      want: [],
      status: 'False',
      reason: 'RulesNotAvailable',
      message: /g\/r: cannot parse PromQL/,
    },
    {
      name: 'the dashboard unreadable, and no Prometheus Operator: the operator is named first',
      tier: 'embedded',
      observability: all,
      found: { served: noneServed, dashboard: { ok: false, message: 'not JSON' } },
      want: [],
      status: 'False',
      reason: 'PrometheusOperatorNotInstalled',
      message: /spec\.observability\.dashboards: not JSON$/,
    },
  ];

  it('builds what each switch asks for, of what the cluster serves, and says so in MonitoringReady', () => {
    for (const c of switchCases) {
      const built = build(c.tier, c.observability, c.found);
      assert.deepEqual(names(built.objects), c.want, c.name);
      assert.equal(built.condition?.status, c.status, c.name);
      if (c.reason !== undefined) assert.equal(built.condition?.reason, c.reason, c.name);
      if (c.message !== undefined) assert.match(built.condition?.message ?? '', c.message, c.name);
    }
  });

  it('scrapes each Hearth process once: through its Service where it has one, else its pods', () => {
    const cases: { tier: HearthTier; withService: string[]; withoutService: string[] }[] = [
      { tier: 'embedded', withService: ['all'], withoutService: [] },
      { tier: 'single', withService: ['gateway', 'realtime'], withoutService: ['messaging'] },
      { tier: 'clustered', withService: ['gateway', 'realtime'], withoutService: ['messaging'] },
    ];
    for (const { tier, withService, withoutService } of cases) {
      const desired = desiredObjects(hearthFixture({ tier }), ctx);
      assert.ok(desired.ok);
      assert.deepEqual(scrapeTargets(desired.objects), { withService, withoutService }, tier);
    }
  });

  it('selects the Hearth’s own Services and pods in its namespace, on the http port, labelling namespace, hearth and component', () => {
    const built = build('single', { serviceMonitor: true });
    const monitor = built.objects.find((object): object is DesiredServiceMonitor => object.kind === 'ServiceMonitor');
    const podMonitor = built.objects.find((object): object is DesiredPodMonitor => object.kind === 'PodMonitor');
    assert.ok(monitor !== undefined && podMonitor !== undefined);
    assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ['chat'] });
    assert.deepEqual(monitor.spec.selector, {
      matchLabels: instance,
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['gateway', 'realtime'] }],
    });
    assert.deepEqual(podMonitor.spec.selector.matchExpressions, [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['messaging'] }]);
    const [endpoint] = monitor.spec.endpoints;
    assert.equal(endpoint?.port, 'http');
    assert.equal(endpoint?.path, '/metrics');
    assert.deepEqual(
      endpoint?.relabelings.map((relabel) => [relabel.sourceLabels[0], relabel.targetLabel]),
      [
        ['__meta_kubernetes_namespace', 'namespace'],
        ['__meta_kubernetes_service_label_app_kubernetes_io_instance', 'hearth'],
        ['__meta_kubernetes_service_label_app_kubernetes_io_component', 'component'],
      ],
    );
    assert.deepEqual(
      podMonitor.spec.podMetricsEndpoints[0]?.relabelings.map((relabel) => relabel.sourceLabels[0]),
      ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_label_app_kubernetes_io_instance', '__meta_kubernetes_pod_label_app_kubernetes_io_component'],
    );
  });

  it('selects Services that carry what the selector asks for, and the http port', () => {
    const desired = desiredObjects(hearthFixture({ tier: 'single' }), ctx);
    assert.ok(desired.ok);
    const gateway = desired.objects.find((object) => object.kind === 'Service' && object.metadata.name === 'acme-gateway');
    assert.ok(gateway?.kind === 'Service');
    for (const [key, value] of Object.entries(instance)) assert.equal(gateway.metadata.labels[key], value);
    assert.equal(gateway.spec?.ports?.[0]?.name, 'http');
  });

  it('labels every object with spec.observability.labels under the operator’s own, owned by the Hearth', () => {
    const built = build('single', { ...all, labels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/instance': 'someone-else' } });
    for (const object of built.objects) {
      assert.equal(object.metadata.labels.release, 'kube-prometheus-stack', object.kind);
      assert.equal(object.metadata.labels['app.kubernetes.io/instance'], 'acme', `${object.kind}: the operator's labels win`);
      assert.equal(object.metadata.labels['app.kubernetes.io/component'], 'monitoring');
      assert.equal(object.metadata.namespace, 'chat');
      assert.deepEqual(
        object.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.controller]),
        [['Hearth', 'acme', true]],
      );
    }
    const configMap = built.objects.find((object) => object.kind === 'ConfigMap');
    assert.equal(configMap?.metadata.labels.grafana_dashboard, '1');
  });

  it('puts the rule groups in the PrometheusRule, restricted to this Hearth', () => {
    const rule = build('embedded', { prometheusRule: true }).objects.find((object) => object.kind === 'PrometheusRule');
    assert.ok(rule?.kind === 'PrometheusRule');
    assert.deepEqual(rule.spec.groups, [
      {
        name: 'hearth-components',
        rules: [{ alert: 'HearthComponentDown', expr: 'up{namespace="chat",hearth="acme",component!=""} == 0', for: '5m', labels: { severity: 'critical' } }],
      },
    ]);
  });

  it('gives each Hearth’s dashboard a key, uid and title of its own, opening on that Hearth', () => {
    const data = (name: string): [string, Dashboard] => {
      const configMap = build('embedded', { dashboards: true }, found, name).objects.find((object) => object.kind === 'ConfigMap');
      assert.ok(configMap?.kind === 'ConfigMap');
      const [entry] = Object.entries(configMap.data);
      assert.ok(entry !== undefined);
      return [entry[0], JSON.parse(entry[1]) as Dashboard];
    };
    const [keyA, a] = data('acme');
    const [keyB, b] = data('globex');
    assert.equal(keyA, 'hearth-chat-acme.json');
    assert.notEqual(keyA, keyB);
    assert.notEqual(a.uid, b.uid);
    assert.equal(a.uid, hearthDashboardUid('chat', 'acme'));
    assert.ok(String(a.uid).length <= 40, 'Grafana allows uids of 40 characters');
    assert.equal(a.title, 'Hearth (chat/acme)');
    const currents = (a.templating as { list: { name: string; current: unknown }[] }).list.map((variable) => [variable.name, variable.current]);
    assert.deepEqual(currents, [
      ['datasource', {}],
      ['namespace', { selected: true, text: 'chat', value: 'chat' }],
      ['hearth', { selected: true, text: 'acme', value: 'acme' }],
    ]);
  });
});

describe('MonitoringReady in the status', () => {
  const T0 = '2026-01-01T00:00:00Z';
  const NOW = '2026-01-02T15:04:05Z';
  const before: Condition = {
    type: 'MonitoringReady',
    status: 'False',
    reason: 'PrometheusOperatorNotInstalled',
    message: 'm',
    lastTransitionTime: T0,
    observedGeneration: 1,
  };
  const statusWith = (monitoring: Parameters<typeof deriveStatus>[1]['monitoring'], failing = false) => {
    const hearth = hearthFixture({ tier: failing ? 'clustered' : 'embedded' }, { generation: 2 }, { conditions: [before] });
    const desired = desiredObjects(hearth, defaultTierContext);
    const status = deriveStatus(hearth, { desired, workloads: { statefulSets: [], deployments: [] }, now: NOW, monitoring });
    return { phase: status.phase, monitoring: status.conditions?.find((condition) => condition.type === 'MonitoringReady') };
  };

  it('is what the monitoring step found, kept as it was when the step did not run, and gone when nothing is asked', () => {
    const pending = statusWith(undefined);
    assert.deepEqual(pending.monitoring, before, 'the step did not run: as it was');
    // A clustered Hearth without PostgreSQL is not built at all: the condition stays too.
    assert.deepEqual(statusWith(undefined, true).monitoring, before);
    const same = statusWith({ condition: { type: 'MonitoringReady', status: 'False', reason: 'PrometheusOperatorNotInstalled', message: 'm2' } });
    assert.deepEqual(same.monitoring, { ...before, message: 'm2', observedGeneration: 2 }, 'the transition time moves only with the status');
    const ready = statusWith({ condition: { type: 'MonitoringReady', status: 'True', reason: 'MonitoringConfigured', message: '' } });
    assert.equal(ready.monitoring?.lastTransitionTime, NOW);
    assert.equal(statusWith({ condition: undefined }).monitoring, undefined);
    // It never sets the phase.
    assert.equal(same.phase, pending.phase);
    assert.equal(ready.phase, pending.phase);
  });
});
