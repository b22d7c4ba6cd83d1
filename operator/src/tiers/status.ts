// The status of a Hearth, derived from what the API server holds for its workloads. Pure: the
// reconcile passes the time in, and writes the result only when isStatusEqual says it changed.
import type { V1Container, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { newestOf, type Condition, type Hearth, type HearthPhase, type HearthStatus, type HearthTier, type MigrationStatus } from '../api/index.ts';
import type { WorkloadRef } from './desired-object.ts';
import type { DesiredFailure, DesiredResult, DesiredTier } from './desired-objects.ts';
import { phaseOfError, type TierError } from './errors.ts';
import { hearthContainerName } from './hearth-container.ts';
import type { MonitoringCondition } from './observability.ts';

export interface ObservedWorkloads {
  readonly statefulSets: readonly V1StatefulSet[];
  readonly deployments: readonly V1Deployment[];
  /** CloudNativePG Clusters, where the tier has one. */
  readonly postgresClusters?: readonly ObservedPostgresCluster[];
  /**
   * The Hearth's pods, read when a workload is short of ready ones: a workload that is unavailable
   * names its pods that are not Ready, which is where a person looks next (kubectl describe pod).
   */
  readonly pods?: readonly ObservedPod[];
}

/** What the status reads of a pod: its name, its labels (matched against the workloads' selectors) and whether it is Ready. */
export interface ObservedPod {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
}

/** What the status reads of a CloudNativePG Cluster. */
export interface ObservedPostgresCluster {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly instances?: number };
  readonly status?: { readonly readyInstances?: number; readonly phase?: string };
}

export interface Observed {
  /** What desiredObjects returned for this Hearth in this reconcile. */
  readonly desired: DesiredResult;
  /** The live workloads of the Hearth (others in the lists are ignored). */
  readonly workloads: ObservedWorkloads;
  /** When a condition whose status changes now changed (conditionTime). */
  readonly now: string;
  /** What stopped this reconcile short of carrying the spec out (reconcile/problems.ts), if anything. */
  readonly problem?: TierError | undefined;
  /** A storage change the spec asks for and the volumes cannot take (reconcile/claims.ts), if any. */
  readonly storage?: StorageRefusal | undefined;
  /**
   * What the monitoring step (reconcile/monitoring.ts) found: MonitoringReady, or no such condition
   * when its condition is undefined. Undefined when the step did not run: the condition stays as it was.
   */
  readonly monitoring?: { readonly condition: MonitoringCondition | undefined } | undefined;
  /** status.migration as the migration step decided it (reconcile/migration.ts); undefined keeps what the status says. */
  readonly migration?: MigrationStatus | undefined;
}

export interface StorageRefusal {
  /** CamelCase: CannotShrink, StorageClassFixed, ExpansionRefused, ClaimNotBound, TemplateFixed. */
  readonly reason: string;
  readonly message: string;
}

export type WorkloadState =
  | { readonly state: 'ready' }
  /** The spec is being rolled out (a new version, a new template, more replicas): old pods still serve. */
  | { readonly state: 'rollingOut'; readonly detail: string }
  /** Rolled out, but fewer pods are available than asked for. */
  | { readonly state: 'unavailable'; readonly detail: string }
  | { readonly state: 'missing' };

export const conditionTypes = ['Ready', 'Progressing', 'Degraded', 'MigrationFailed', 'StorageUnchanged', 'Paused', 'MonitoringReady'] as const;

/** RFC 3339 to the second, as metav1.Time writes it. */
export function conditionTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function deriveStatus(hearth: Hearth, observed: Observed): HearthStatus {
  const { desired } = observed;
  const migration = observed.migration ?? hearth.status?.migration;
  const conditions = desired.ok ? [...tierConditions(hearth, desired, observed), ...migrationConditions(desired, migration)] : failureConditions(desired);
  const status: HearthStatus = {
    phase: desired.ok ? phaseWithProblem(hearth, desired, observed) : phaseOfError(desired.error),
    conditions: [
      ...conditions.map((condition) => withTransitionTime(condition, hearth.status?.conditions, observed.now, hearth.metadata.generation)),
      ...monitoringConditions(hearth, observed),
    ],
  };
  const fields = { ...status, ...definedFields({ ...servingFields(hearth, observed), observedGeneration: hearth.metadata.generation }) };
  return migration === undefined ? fields : { ...fields, migration };
}

/** MigrationFailed while the migration the spec asks for has failed: the old tier serves, and says why. */
function migrationConditions(desired: DesiredTier, migration: MigrationStatus | undefined): ConditionDraft[] {
  if (migration?.stage !== 'Failed' || migration.to !== desired.tier || migration.from !== desired.servingTier) return [];
  return [{ type: 'MigrationFailed', status: 'True', reason: migration.reason ?? 'CopyFailed', message: migration.message ?? '' }];
}

type ServingFields = Pick<HearthStatus, 'tier' | 'version' | 'newestVersion' | 'url'>;
type StatusFields = ServingFields & Pick<HearthStatus, 'observedGeneration'>;

/**
 * What serves: the tier and URL of a spec that builds, and its version once the serving tier is
 * ready. A spec that does not build changes none of them: they stay what the status said.
 */
function servingFields(hearth: Hearth, { desired, workloads }: Observed): { [K in keyof ServingFields]-?: ServingFields[K] | undefined } {
  const previous = hearth.status;
  if (!desired.ok) return { tier: previous?.tier, version: previous?.version, newestVersion: previous?.newestVersion, url: previous?.url };
  const version = servingReady(desired, workloads) ? desired.version : previous?.version;
  return { tier: desired.servingTier, version, newestVersion: newestOf(previous?.newestVersion, version), url: desired.url };
}

/** The fields that have a value: an optional field of the status is absent, never undefined. */
function definedFields(fields: { [K in keyof StatusFields]-?: StatusFields[K] | undefined }): StatusFields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as StatusFields;
}

export const pausedMessage = 'spec.paused is true: the operator changes nothing, creating, updating and deleting no object, until it is false again';

/**
 * The status of a paused Hearth: what it said before, plus a Paused condition for the current
 * generation. The rest is not derived again (the operator stopped looking), so status.observedGeneration
 * stays at the generation it last acted on and tells that the latest spec is not acted on.
 */
export function pausedStatus(hearth: Hearth, now: string): HearthStatus {
  const previous = hearth.status ?? {};
  const draft: ConditionDraft = { type: 'Paused', status: 'True', reason: 'SpecPaused', message: pausedMessage };
  const paused = withTransitionTime(draft, previous.conditions, now, hearth.metadata.generation);
  return { ...previous, conditions: [...(previous.conditions ?? []).filter((condition) => condition.type !== 'Paused'), paused] };
}

/** Whether writing `next` over `current` would change anything (condition order aside). */
export function isStatusEqual(current: HearthStatus | undefined, next: HearthStatus | undefined): boolean {
  return JSON.stringify(canonical(current)) === JSON.stringify(canonical(next));
}

/** kubectl rollout status's rules, plus: a Hearth pod must run the desired image. */
export function workloadState(ref: WorkloadRef, observed: ObservedWorkloads, image: string): WorkloadState {
  if (ref.kind === 'Cluster') return postgresClusterState(observed.postgresClusters?.find((cluster) => cluster.metadata?.name === ref.name));
  const live = findWorkload(ref, observed);
  if (live === undefined) return { state: 'missing' };
  if (!isSpecObserved(live)) return { state: 'rollingOut', detail: 'the new spec is not observed yet' };
  const running = hearthImageOf(live.spec?.template.spec?.containers);
  if (running !== undefined && running !== image) return { state: 'rollingOut', detail: `runs ${running}, not ${image}` };
  const state = ref.kind === 'Deployment' ? deploymentState(live as V1Deployment) : statefulSetState(live as V1StatefulSet);
  return withPodsNotReady(state, live, observed.pods);
}

/** An unavailable workload's detail, with the names of its pods (by its selector) that are not Ready. */
function withPodsNotReady(state: WorkloadState, live: V1Deployment | V1StatefulSet, pods: readonly ObservedPod[] | undefined): WorkloadState {
  const selector = Object.entries(live.spec?.selector.matchLabels ?? {});
  if (state.state !== 'unavailable' || pods === undefined || selector.length === 0) return state;
  const notReady = pods
    .filter((pod) => !pod.ready && selector.every(([key, value]) => pod.labels[key] === value))
    .map((pod) => pod.name)
    .sort();
  return notReady.length === 0 ? state : { state: 'unavailable', detail: `${state.detail} (not ready: ${notReady.join(', ')})` };
}

/** Whether the workload's controller has seen its latest spec: until it has, its status is about an older one. */
export function isSpecObserved(live: V1Deployment | V1StatefulSet): boolean {
  const generation = live.metadata?.generation;
  const seen = live.status?.observedGeneration;
  return generation === undefined || (seen !== undefined && seen >= generation);
}

function deploymentState(deployment: V1Deployment): WorkloadState {
  const { want, updated, total, available } = deploymentCounts(deployment);
  if (updated < want) return { state: 'rollingOut', detail: `${updated} of ${want} pods updated` };
  if (total > updated) return { state: 'rollingOut', detail: `${total - updated} old pods still running` };
  if (available < want) return { state: 'unavailable', detail: `${available} of ${want} pods available` };
  return { state: 'ready' };
}

/** The pods a Deployment asks for, and how many of its pods are updated, running at all, and available. */
function deploymentCounts(deployment: V1Deployment): { want: number; updated: number; total: number; available: number } {
  const status = deployment.status ?? {};
  return {
    want: deployment.spec?.replicas ?? 1,
    updated: status.updatedReplicas ?? 0,
    total: status.replicas ?? 0,
    available: status.availableReplicas ?? 0,
  };
}

/** CloudNativePG says how many instances are ready; its phase says what it is doing about the others. */
function postgresClusterState(cluster: ObservedPostgresCluster | undefined): WorkloadState {
  if (cluster === undefined) return { state: 'missing' };
  const want = cluster.spec?.instances ?? 1;
  const ready = cluster.status?.readyInstances ?? 0;
  if (ready < want)
    return {
      state: 'unavailable',
      detail: `${ready} of ${want} PostgreSQL instances ready${cluster.status?.phase === undefined ? '' : ` (${cluster.status.phase})`}`,
    };
  return { state: 'ready' };
}

function statefulSetState(set: V1StatefulSet): WorkloadState {
  const want = set.spec?.replicas ?? 1;
  const status = set.status;
  const ready = status?.readyReplicas ?? 0;
  // A StatefulSet replaces its pods one by one, so a rollout shows as unready pods until the revisions meet.
  if (status?.updateRevision !== undefined && status.currentRevision !== status.updateRevision) {
    return { state: 'rollingOut', detail: `${status.updatedReplicas ?? 0} of ${want} pods updated` };
  }
  if (ready < want) return { state: 'unavailable', detail: `${ready} of ${want} pods ready` };
  return { state: 'ready' };
}

function findWorkload(ref: WorkloadRef, observed: ObservedWorkloads): V1Deployment | V1StatefulSet | undefined {
  const candidates: readonly (V1Deployment | V1StatefulSet)[] = ref.kind === 'Deployment' ? observed.deployments : observed.statefulSets;
  return candidates.find((workload) => workload.metadata?.name === ref.name);
}

function hearthImageOf(containers: readonly V1Container[] | undefined): string | undefined {
  return containers?.find((container) => container.name === hearthContainerName)?.image;
}

interface NamedState {
  readonly ref: WorkloadRef;
  readonly state: WorkloadState;
}

function statesOf(desired: DesiredTier, observed: ObservedWorkloads, tier?: HearthTier): NamedState[] {
  return desired.workloads.filter((ref) => tier === undefined || ref.tier === tier).map((ref) => ({ ref, state: workloadState(ref, observed, desired.image) }));
}

function servingReady(desired: DesiredTier, observed: ObservedWorkloads): boolean {
  return statesOf(desired, observed, desired.servingTier).every(({ state }) => state.state === 'ready');
}

function phaseOf(hearth: Hearth, desired: DesiredTier, observed: ObservedWorkloads): HearthPhase {
  if (desired.tier !== desired.servingTier || desired.migration.kind === 'switched') return 'Migrating';
  const states = statesOf(desired, observed).map(({ state }) => state.state);
  if (states.every((state) => state === 'ready')) return 'Ready';
  if (states.every((state) => state === 'missing')) return 'Pending';
  // Until it has served once, anything short of ready is still being set up.
  if (hearth.status?.version === undefined) return 'Provisioning';
  if (states.some((state) => state === 'missing' || state === 'unavailable')) return 'Degraded';
  return 'Upgrading';
}

/** A condition before its time is set: that depends on the previous one. */
type ConditionDraft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

function describe(states: readonly NamedState[]): string {
  return states
    .map(({ ref, state }) => {
      switch (state.state) {
        case 'ready':
          return undefined;
        case 'missing':
          return `${ref.kind} ${ref.name}: not created yet`;
        default:
          return `${ref.kind} ${ref.name}: ${state.detail}`;
      }
    })
    .filter((line) => line !== undefined)
    .join('; ');
}

function phaseWithProblem(hearth: Hearth, desired: DesiredTier, observed: Observed): HearthPhase {
  return observed.problem === undefined ? phaseOf(hearth, desired, observed.workloads) : phaseOfError(observed.problem);
}

/** The conditions of a spec that could be built: from the workloads, then what held the reconcile back. */
function tierConditions(hearth: Hearth, desired: DesiredTier, observed: Observed): ConditionDraft[] {
  const conditions = workloadConditions(hearth, desired, observed.workloads);
  const { problem, storage } = observed;
  if (problem !== undefined) {
    const index = conditions.findIndex((condition) => condition.type === 'Degraded');
    conditions[index] = { type: 'Degraded', status: 'True', reason: problem.code, message: problem.message };
  }
  if (storage !== undefined) conditions.push({ type: 'StorageUnchanged', status: 'True', reason: storage.reason, message: storage.message });
  return conditions;
}

function workloadConditions(hearth: Hearth, desired: DesiredTier, observed: ObservedWorkloads): ConditionDraft[] {
  const serving = statesOf(desired, observed, desired.servingTier);
  const all = statesOf(desired, observed);
  const phase = phaseOf(hearth, desired, observed);
  const ready = serving.every(({ state }) => state.state === 'ready');
  const progressing = all.filter(({ state }) => state.state === 'rollingOut' || state.state === 'missing');
  const conditions: ConditionDraft[] = [
    ready
      ? { type: 'Ready', status: 'True', reason: 'AllComponentsReady', message: '' }
      : { type: 'Ready', status: 'False', reason: notReadyReason(phase), message: describe(serving) },
    progressing.length > 0
      ? { type: 'Progressing', status: 'True', reason: 'RollingOut', message: describe(progressing) }
      : { type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: '' },
    phase === 'Degraded'
      ? { type: 'Degraded', status: 'True', reason: 'ComponentsNotReady', message: describe(serving) }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
  ];
  return conditions;
}

function notReadyReason(phase: HearthPhase): string {
  switch (phase) {
    case 'Pending':
      return 'Creating';
    case 'Upgrading':
      return 'RollingOut';
    default:
      return 'ComponentsNotReady';
  }
}

function failureConditions(failure: DesiredFailure): ConditionDraft[] {
  const { code, message } = failure.error;
  return [
    { type: 'Ready', status: 'False', reason: code, message },
    { type: 'Progressing', status: 'False', reason: code, message },
    { type: 'Degraded', status: 'True', reason: code, message },
  ];
}

/** MonitoringReady: as the monitoring step found it, or as it was when the step did not run. It never sets the phase. */
function monitoringConditions(hearth: Hearth, observed: Observed): Condition[] {
  const previous = hearth.status?.conditions;
  if (observed.monitoring === undefined) return (previous ?? []).filter((condition) => condition.type === 'MonitoringReady');
  const { condition } = observed.monitoring;
  return condition === undefined ? [] : [withTransitionTime(condition, previous, observed.now, hearth.metadata.generation)];
}

/** metav1 semantics: the transition time moves only when the status does. */
function withTransitionTime(draft: ConditionDraft, previous: readonly Condition[] | undefined, now: string, generation: number | undefined): Condition {
  const before = previous?.find((condition) => condition.type === draft.type);
  const lastTransitionTime = before !== undefined && before.status === draft.status ? before.lastTransitionTime : now;
  const condition: Condition = { ...draft, lastTransitionTime };
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

/** The fields isStatusEqual compares, besides the conditions, in a fixed order. */
const comparedFields = ['phase', 'tier', 'version', 'url', 'observedGeneration'] as const;

function canonical(status: HearthStatus | undefined): unknown[] {
  return [...comparedFields.map((field) => status?.[field] ?? null), canonicalConditions(status?.conditions ?? []), canonicalMigration(status?.migration)];
}

/** The migration's fields in a fixed order (a status read back may order them otherwise). */
function canonicalMigration(migration: MigrationStatus | undefined): unknown[] | null {
  if (migration === undefined) return null;
  const fields = ['from', 'to', 'stage', 'copied', 'total', 'startedAt', 'job', 'attempt', 'reason', 'message'] as const;
  return fields.map((field) => migration[field] ?? null);
}

/** Sorted by type, each as the list of its fields. */
function canonicalConditions(conditions: readonly Condition[]): unknown[][] {
  return [...conditions]
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
    .map((c) => [c.type, c.status, c.observedGeneration ?? null, c.lastTransitionTime, c.reason, c.message]);
}
