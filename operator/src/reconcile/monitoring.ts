// The step after the tier's objects: what spec.observability asks for (tiers/observability.ts),
// applied, and what it no longer asks for pruned. Its own step, with its failures kept to the
// MonitoringReady condition: a cluster without the Prometheus Operator, or an API server refusing
// a PrometheusRule, must not hold back the Hearth's workloads or its Ready condition.
import type { Hearth } from '../api/index.ts';
import {
  desiredMonitoring,
  monitoringConditionType,
  needsPrometheusOperator,
  observabilityOf,
  type DesiredTier,
  type MonitoringCondition,
  type MonitoringFound,
  type ServedMonitoringKinds,
} from '../tiers/index.ts';
import { ensureApplied } from './apply.ts';
import type { ReconcileContext } from './context.ts';
import { createMonitoringDiscovery } from './discovery.ts';
import type { ChangeLog } from './events.ts';
import { monitoringConfigMapKind, prometheusOperatorKinds, type OwnedKindName } from './kinds.ts';
import type { KubeClient } from './kube-client.ts';
import { createMonitoringFiles, type MonitoringFiles } from './monitoring-files.ts';
import { problemOf } from './problems.ts';
import { pruneUndesired } from './prune.ts';

/** How long a discovery answer holds when the operator does not pass its own (HEARTH_OPERATOR_DISCOVERY_SECONDS). */
export const defaultMonitoringDiscoveryMs = 30_000;

export interface MonitoringOutcome {
  /** MonitoringReady as it is now; undefined: spec.observability asks for nothing, and nothing of it is left. */
  readonly condition: MonitoringCondition | undefined;
  /** Look again before long: what was missing (the Prometheus Operator, a file) may be there soon. */
  readonly retry: boolean;
}

const discoveries = new WeakMap<KubeClient, () => Promise<ServedMonitoringKinds>>();
let defaultFiles: MonitoringFiles | undefined;

function servedKinds(ctx: ReconcileContext): () => Promise<ServedMonitoringKinds> {
  if (ctx.servedMonitoringKinds !== undefined) return ctx.servedMonitoringKinds;
  let discovery = discoveries.get(ctx.client);
  if (discovery === undefined) {
    discovery = createMonitoringDiscovery(ctx.client, defaultMonitoringDiscoveryMs);
    discoveries.set(ctx.client, discovery);
  }
  return discovery;
}

function monitoringFiles(ctx: ReconcileContext): MonitoringFiles {
  defaultFiles ??= createMonitoringFiles();
  return ctx.monitoringFiles ?? defaultFiles;
}

/**
 * Whether objects of the Prometheus Operator's kinds may be left from an earlier spec: the last
 * status says monitoring was set up, or the spec changed since the status was written (a switch
 * turned on and off again before the status caught up). Otherwise a Hearth that never asked costs
 * no discovery request and no list of kinds it never had.
 */
export function mayHaveMonitoringObjects(hearth: Hearth): boolean {
  const said = hearth.status?.conditions?.some((condition) => condition.type === monitoringConditionType) ?? false;
  return said || hearth.metadata.generation !== hearth.status?.observedGeneration;
}

async function findMonitoring(ctx: ReconcileContext, hearth: Hearth): Promise<MonitoringFound> {
  const asked = observabilityOf(hearth);
  const served = needsPrometheusOperator(hearth) || mayHaveMonitoringObjects(hearth) ? await servedKinds(ctx)() : undefined;
  const files = monitoringFiles(ctx);
  return {
    served,
    rules: asked.prometheusRule && served?.PrometheusRule === true ? await files.rules() : undefined,
    dashboard: asked.dashboards ? await files.dashboard() : undefined,
  };
}

/** The kinds to prune: the dashboard's always (from the cache), the Prometheus Operator's where served. */
function prunedKinds(served: ServedMonitoringKinds | undefined): OwnedKindName[] {
  return [monitoringConfigMapKind, ...prometheusOperatorKinds.filter((kind) => served?.[kind] === true)];
}

/** What spec.observability asks for, applied; each object created, updated or pruned is noted in `changes`. */
export async function ensureMonitoring(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier, changes: ChangeLog): Promise<MonitoringOutcome> {
  try {
    return await applyMonitoring({ ctx, hearth, changes }, desired);
  } catch (error) {
    const problem = problemOf(error);
    // A conflict: the cache was behind, and the watch event that wakes the next reconcile is on its way.
    if (problem === undefined) throw error;
    ctx.log?.('monitoring not applied', { hearth: `${hearth.metadata.namespace ?? ''}/${hearth.metadata.name ?? ''}`, error: problem.message });
    return { condition: { type: 'MonitoringReady', status: 'False', reason: 'MonitoringNotApplied', message: problem.message }, retry: true };
  }
}

/** Applies what spec.observability asks for of what the cluster serves, prunes the rest, and notes each change. */
async function applyMonitoring(
  { ctx, hearth, changes }: { ctx: ReconcileContext; hearth: Hearth; changes: ChangeLog },
  desired: DesiredTier,
): Promise<MonitoringOutcome> {
  const found = await findMonitoring(ctx, hearth);
  const built = desiredMonitoring(hearth, ctx.tierContext, desired.objects, found);
  await ensureApplied(ctx, built.objects, changes);
  for (const pruned of await pruneUndesired(ctx, hearth, built.objects, prunedKinds(found.served))) changes.note('Pruned', pruned.kind, pruned.name);
  return { condition: built.condition, retry: built.condition?.status === 'False' };
}
