// What spec.observability asks for, built from the Hearth and the objects of its tier: the
// ServiceMonitor and PodMonitor that scrape its services' GET /metrics, the PrometheusRule with the
// project's rules restricted to it, and the Grafana dashboard ConfigMap; and the MonitoringReady
// condition that says what was made, or why not. Pure: the reconcile finds out which Prometheus
// Operator kinds the cluster serves and reads the rule and dashboard files (reconcile/monitoring.ts).
//
// Every Hearth process serves /metrics on its HTTP port. A target with a Service (gateway,
// realtime, the embedded `all`) is scraped through the Service, by the ServiceMonitor; a target
// without one (messaging, reached only over the bus) by the PodMonitor, rather than a Service
// made only to be scraped. Each series is labelled namespace, hearth (app.kubernetes.io/instance)
// and component (app.kubernetes.io/component), as the metric catalogue and the rules expect.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Condition, Hearth, ObservabilitySpec } from '../api/index.ts';
import { hearthVersion, type TierContext } from './context.ts';
import { objectMeta, type DesiredMeta, type DesiredObject } from './desired-object.ts';
import { hearthPortName } from './hearth-container.ts';
import { commonLabels, hearthTargets, instanceLabels, labelKeys, type HearthTarget, type Labels } from './labels.ts';
import { hearthDashboard, type Dashboard } from './observability-dashboard.ts';
import { restrictRuleGroups, type Parsed, type RuleGroup } from './observability-rules.ts';

export const monitoringGroupVersion = 'monitoring.coreos.com/v1';

/** The Prometheus Operator's kinds, by their plural (what discovery lists). */
export const monitoringPlurals = { ServiceMonitor: 'servicemonitors', PodMonitor: 'podmonitors', PrometheusRule: 'prometheusrules' } as const;
export type MonitoringKind = keyof typeof monitoringPlurals;

/** The label the Grafana sidecar (kube-prometheus-stack's and the grafana chart's) loads dashboards by. */
export const grafanaDashboardLabel = 'grafana_dashboard';

type Monitoring<Spec, Kind extends string> = { apiVersion: typeof monitoringGroupVersion; kind: Kind; metadata: DesiredMeta; spec: Spec };

export interface RelabelConfig {
  sourceLabels: string[];
  targetLabel: string;
  action: 'replace';
}

export interface LabelSelector {
  matchLabels: Labels;
  matchExpressions: { key: string; operator: 'In'; values: string[] }[];
}

export interface ScrapeEndpoint {
  port: string;
  path: string;
  relabelings: RelabelConfig[];
}

export type DesiredServiceMonitor = Monitoring<
  { namespaceSelector: { matchNames: string[] }; selector: LabelSelector; endpoints: ScrapeEndpoint[] },
  'ServiceMonitor'
>;
export type DesiredPodMonitor = Monitoring<
  { namespaceSelector: { matchNames: string[] }; selector: LabelSelector; podMetricsEndpoints: ScrapeEndpoint[] },
  'PodMonitor'
>;
export type DesiredPrometheusRule = Monitoring<{ groups: RuleGroup[] }, 'PrometheusRule'>;
export type DesiredConfigMap = V1ConfigMap & { apiVersion: 'v1'; kind: 'ConfigMap'; metadata: DesiredMeta; data: Record<string, string> };

export type DesiredMonitoringObject = DesiredServiceMonitor | DesiredPodMonitor | DesiredPrometheusRule | DesiredConfigMap;

/** Which of the Prometheus Operator's kinds the cluster serves. */
export type ServedMonitoringKinds = Readonly<Record<MonitoringKind, boolean>>;

/**
 * What the reconcile found for the build: each left undefined when nothing asked for it (so a
 * Hearth without observability costs no discovery request and no file read).
 */
export interface MonitoringFound {
  readonly served?: ServedMonitoringKinds | undefined;
  readonly rules?: Parsed<readonly RuleGroup[]> | undefined;
  readonly dashboard?: Parsed<Dashboard> | undefined;
}

export type MonitoringCondition = Pick<Condition, 'type' | 'status' | 'reason' | 'message'> & { type: 'MonitoringReady' };

export interface DesiredMonitoring {
  readonly objects: readonly DesiredMonitoringObject[];
  /** MonitoringReady, or undefined when spec.observability asks for nothing. */
  readonly condition: MonitoringCondition | undefined;
}

export const monitoringConditionType = 'MonitoringReady';

/** The monitoring switches and labels, defaulted (otlpEndpoint is the containers' business: hearth-container.ts). */
export function observabilityOf(hearth: Hearth): Required<Omit<ObservabilitySpec, 'labels' | 'otlpEndpoint'>> & { labels: Labels } {
  const spec = hearth.spec.observability ?? {};
  return {
    serviceMonitor: spec.serviceMonitor === true,
    prometheusRule: spec.prometheusRule === true,
    dashboards: spec.dashboards === true,
    labels: { ...spec.labels },
  };
}

/** Whether the Hearth asks for an object of the Prometheus Operator's kinds (and so discovery is asked). */
export function needsPrometheusOperator(hearth: Hearth): boolean {
  const asked = observabilityOf(hearth);
  return asked.serviceMonitor || asked.prometheusRule;
}

export function monitoringNames(name: string): {
  readonly monitor: string;
  readonly rule: string;
  readonly dashboard: string;
  readonly dashboardKey: (namespace: string) => string;
} {
  return {
    monitor: name,
    rule: name,
    dashboard: `${name}-grafana-dashboard`,
    // The sidecar writes every dashboard into one folder by its key: two Hearths' must not clash.
    dashboardKey: (namespace) => `hearth-${namespace}-${name}.json`,
  };
}

/** The Hearth processes the tier runs, split by whether a Service fronts them. */
export function scrapeTargets(objects: readonly DesiredObject[]): { readonly withService: HearthTarget[]; readonly withoutService: HearthTarget[] } {
  const componentOf = (object: DesiredObject): HearthTarget | undefined => {
    const component = object.metadata.labels[labelKeys.component];
    return hearthTargets.find((target) => target === component);
  };
  const running = new Set(objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet').map(componentOf));
  const serviced = new Set(objects.filter((object) => object.kind === 'Service').map(componentOf));
  return {
    withService: hearthTargets.filter((target) => running.has(target) && serviced.has(target)),
    withoutService: hearthTargets.filter((target) => running.has(target) && !serviced.has(target)),
  };
}

/** namespace, hearth and component on every series, from the scraped object's own labels. */
function relabelings(role: 'service' | 'pod'): RelabelConfig[] {
  const meta = (key: string): string => `__meta_kubernetes_${role}_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  return [
    { sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace', action: 'replace' },
    { sourceLabels: [meta(labelKeys.instance)], targetLabel: 'hearth', action: 'replace' },
    { sourceLabels: [meta(labelKeys.component)], targetLabel: 'component', action: 'replace' },
  ];
}

function selectorOf(hearth: Hearth, targets: readonly HearthTarget[]): LabelSelector {
  return {
    matchLabels: instanceLabels(hearth.metadata.name ?? ''),
    matchExpressions: [{ key: labelKeys.component, operator: 'In', values: [...targets] }],
  };
}

/** The user's labels (for a Prometheus's selectors) under ours: ours decide what the operator owns and prunes. */
function monitoringMeta(hearth: Hearth, ctx: TierContext, name: string, extra: Labels = {}): DesiredMeta {
  const labels = { ...observabilityOf(hearth).labels, ...extra, ...commonLabels(hearth.metadata.name ?? '', 'monitoring', hearthVersion(hearth, ctx)) };
  return objectMeta(hearth, name, labels);
}

function namespaceOf(hearth: Hearth): string {
  return hearth.metadata.namespace ?? '';
}

/** What a ServiceMonitor and a PodMonitor both select: this Hearth's targets, in its namespace only. */
function scrapedIn(hearth: Hearth, targets: readonly HearthTarget[]) {
  return { namespaceSelector: { matchNames: [namespaceOf(hearth)] }, selector: selectorOf(hearth, targets) };
}

/** Every Hearth process's GET /metrics on its HTTP port, labelled from its Service's or pod's labels. */
function metricsEndpoint(role: Parameters<typeof relabelings>[0]) {
  return { port: hearthPortName, path: '/metrics', relabelings: relabelings(role) };
}

export function buildServiceMonitor(hearth: Hearth, ctx: TierContext, targets: readonly HearthTarget[]): DesiredServiceMonitor {
  return {
    apiVersion: monitoringGroupVersion,
    kind: 'ServiceMonitor',
    metadata: monitoringMeta(hearth, ctx, monitoringNames(hearth.metadata.name ?? '').monitor),
    spec: {
      ...scrapedIn(hearth, targets),
      endpoints: [metricsEndpoint('service')],
    },
  };
}

export function buildPodMonitor(hearth: Hearth, ctx: TierContext, targets: readonly HearthTarget[]): DesiredPodMonitor {
  return {
    apiVersion: monitoringGroupVersion,
    kind: 'PodMonitor',
    metadata: monitoringMeta(hearth, ctx, monitoringNames(hearth.metadata.name ?? '').monitor),
    spec: {
      ...scrapedIn(hearth, targets),
      podMetricsEndpoints: [metricsEndpoint('pod')],
    },
  };
}

export function buildPrometheusRule(hearth: Hearth, ctx: TierContext, groups: RuleGroup[]): DesiredPrometheusRule {
  return {
    apiVersion: monitoringGroupVersion,
    kind: 'PrometheusRule',
    metadata: monitoringMeta(hearth, ctx, monitoringNames(hearth.metadata.name ?? '').rule),
    spec: { groups },
  };
}

export function buildDashboardConfigMap(hearth: Hearth, ctx: TierContext, dashboard: Dashboard): DesiredConfigMap {
  const namespace = namespaceOf(hearth);
  const name = hearth.metadata.name ?? '';
  const names = monitoringNames(name);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: monitoringMeta(hearth, ctx, names.dashboard, { [grafanaDashboardLabel]: '1' }),
    data: { [names.dashboardKey(namespace)]: `${JSON.stringify(hearthDashboard(dashboard, namespace, name), null, 2)}\n` },
  };
}

interface Problem {
  readonly reason: MonitoringProblemReason;
  readonly message: string;
}

interface Part {
  readonly objects: readonly DesiredMonitoringObject[];
  /** What kept the part from being built, for the condition's message; with the reason it gives. */
  readonly problem?: Problem;
}

export type MonitoringProblemReason = 'PrometheusOperatorNotInstalled' | 'RulesNotAvailable' | 'DashboardNotAvailable';

/** The reasons in the order the condition names them: the one a person must act on first. */
const problemOrder: readonly MonitoringProblemReason[] = ['PrometheusOperatorNotInstalled', 'RulesNotAvailable', 'DashboardNotAvailable'];

function notServed(kinds: readonly MonitoringKind[], field: string): Problem {
  return {
    reason: 'PrometheusOperatorNotInstalled',
    message: `spec.observability.${field} needs the Prometheus Operator's ${kinds.join(' and ')} (${monitoringGroupVersion}), which this cluster does not serve: install the Prometheus Operator (its CRDs)`,
  };
}

function scrapePart(hearth: Hearth, ctx: TierContext, tierObjects: readonly DesiredObject[], served: ServedMonitoringKinds | undefined): Part {
  const { withService, withoutService } = scrapeTargets(tierObjects);
  const objects: DesiredMonitoringObject[] = [];
  const missing: MonitoringKind[] = [];
  if (withService.length > 0) {
    if (served?.ServiceMonitor === true) objects.push(buildServiceMonitor(hearth, ctx, withService));
    else missing.push('ServiceMonitor');
  }
  if (withoutService.length > 0) {
    if (served?.PodMonitor === true) objects.push(buildPodMonitor(hearth, ctx, withoutService));
    else missing.push('PodMonitor');
  }
  return missing.length === 0 ? { objects } : { objects, problem: notServed(missing, 'serviceMonitor') };
}

function rulePart(hearth: Hearth, ctx: TierContext, found: MonitoringFound): Part {
  if (found.served?.PrometheusRule !== true) return { objects: [], problem: notServed(['PrometheusRule'], 'prometheusRule') };
  const rules = found.rules ?? { ok: false, message: 'the rules were not read' };
  const restricted = rules.ok ? restrictRuleGroups(rules.value, namespaceOf(hearth), hearth.metadata.name ?? '') : rules;
  if (!restricted.ok) return { objects: [], problem: { reason: 'RulesNotAvailable', message: `spec.observability.prometheusRule: ${restricted.message}` } };
  return { objects: [buildPrometheusRule(hearth, ctx, restricted.value)] };
}

function dashboardPart(hearth: Hearth, ctx: TierContext, found: MonitoringFound): Part {
  const dashboard = found.dashboard ?? { ok: false, message: 'the dashboard was not read' };
  if (!dashboard.ok) return { objects: [], problem: { reason: 'DashboardNotAvailable', message: `spec.observability.dashboards: ${dashboard.message}` } };
  return { objects: [buildDashboardConfigMap(hearth, ctx, dashboard.value)] };
}

function conditionOf(parts: readonly Part[]): MonitoringCondition {
  const problems = parts.flatMap((part) => (part.problem === undefined ? [] : [part.problem]));
  const made = parts.flatMap((part) => part.objects).map((object) => `${object.kind} ${object.metadata.name}`);
  if (problems.length === 0) return { type: 'MonitoringReady', status: 'True', reason: 'MonitoringConfigured', message: made.join(', ') };
  const first = [...problems].sort((a, b) => problemOrder.indexOf(a.reason) - problemOrder.indexOf(b.reason))[0];
  const madeAnyway = made.length === 0 ? '' : `; made: ${made.join(', ')}`;
  return {
    type: 'MonitoringReady',
    status: 'False',
    reason: first?.reason ?? 'PrometheusOperatorNotInstalled',
    message: `${problems.map((p) => p.message).join('; ')}${madeAnyway}`,
  };
}

/**
 * The monitoring objects spec.observability asks for, of what can be made (the dashboard needs no
 * Prometheus Operator), and the MonitoringReady condition; nothing, and no condition, when it asks
 * for nothing. The scrape targets are the tier's objects': during a tier change, both tiers'.
 */
export function desiredMonitoring(hearth: Hearth, ctx: TierContext, tierObjects: readonly DesiredObject[], found: MonitoringFound): DesiredMonitoring {
  const asked = observabilityOf(hearth);
  const parts: Part[] = [];
  if (asked.serviceMonitor) parts.push(scrapePart(hearth, ctx, tierObjects, found.served));
  if (asked.prometheusRule) parts.push(rulePart(hearth, ctx, found));
  if (asked.dashboards) parts.push(dashboardPart(hearth, ctx, found));
  if (parts.length === 0) return { objects: [], condition: undefined };
  return { objects: parts.flatMap((part) => part.objects), condition: conditionOf(parts) };
}
