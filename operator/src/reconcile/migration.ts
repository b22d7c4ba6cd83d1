// The migration step: observes what a tier migration's next stage depends on (the new tier's
// backends and services, the copy Job and its pod), asks decideMigration (tiers/migration.ts) what comes next,
// and does it: creates or deletes the copy Job, deletes the old data when asked. The status it
// decides is written by the status step, with an Event for each stage entered.
import type { V1Job, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeObject } from '@hearth/kube-runtime';
import { retryMigrationAnnotation, type Hearth, type MigrationStatus } from '../api/index.ts';
import {
  buildMigrationJob,
  conditionTime,
  dataClaimName,
  decideMigration,
  failureLine,
  isSameStore,
  jobState,
  labelKeys,
  lastProgress,
  migrateContainerName,
  migrationAttempt,
  migrationJobName,
  workloadState,
  type DesiredTier,
  type MigrationAction,
  type MigrationFindings,
  type ObservedJob,
  type ObservedWorkloads,
  type Readiness,
  type TierMove,
  type WorkloadRef,
  type WorkloadState,
} from '../tiers/index.ts';
import { liveObject } from './apply.ts';
import { hearthName, hearthNamespace, isOwnedBy, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';
import { ownedObjects } from './prune.ts';
import { observeWorkloads } from './status.ts';

export interface MigrationOutcome {
  /** status.migration as decided; undefined leaves it as the Hearth says. */
  readonly status: MigrationStatus | undefined;
}

/** Lines of the copy pod's log read for its progress: the last progress line is among them. */
const logTailLines = '20';

export async function ensureMigration(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier): Promise<MigrationOutcome> {
  const phase = desired.migration;
  const move = moveOf(hearth, desired);
  if (move === undefined || isSettled(hearth, desired)) return { status: undefined };
  const findings = await observeMigration(ctx, hearth, desired, move);
  const decision = decideMigration(hearth, phase, findings);
  for (const action of decision.actions) await act({ ctx, hearth, desired, move }, action);
  return { status: decision.status };
}

/** The move in effect: the one the objects carry out, else the last one the status records. */
function moveOf(hearth: Hearth, desired: DesiredTier): TierMove | undefined {
  const phase = desired.migration;
  if (phase.kind !== 'none') return phase.move;
  const last = hearth.status?.migration;
  return last === undefined ? undefined : { from: last.from, to: last.to };
}

/** A migration that ended and leaves nothing to do: not looked at again. */
function isSettled(hearth: Hearth, desired: DesiredTier): boolean {
  const stage = hearth.status?.migration?.stage;
  if (desired.migration.kind !== 'none') return false;
  return stage === 'Cancelled' || (stage === 'Succeeded' && hearth.spec.migration?.deleteOldData !== true);
}

async function observeMigration(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier, move: TierMove): Promise<MigrationFindings> {
  const retry = hearth.metadata.annotations?.[retryMigrationAnnotation];
  const last = hearth.status?.migration;
  const current = migrationJobName(hearthName(hearth), move, migrationAttempt(last, move, retry));
  const jobs = (await ownedObjects(ctx, hearth, 'Job')).filter((job) => job.metadata?.labels?.[labelKeys.component] === 'migration') as unknown as V1Job[];
  const live = jobs.find((job) => job.metadata?.name === current && job.metadata.deletionTimestamp === undefined);
  const workloads = await observeWorkloads(ctx, hearth, desired.workloads);
  const ready = (refs: readonly WorkloadRef[]): boolean => refs.every((ref) => workloadState(ref, workloads, desired.image).state === 'ready');
  return {
    now: conditionTime(ctx.now()),
    retry,
    backends: desired.migrationBackends.buildable
      ? readinessOf(desired.migrationBackends.workloads, workloads, desired.image)
      : { missing: desired.migrationBackends.missing.message },
    // Listed before they are built: those not built yet are missing from the Deployments observed, so not ready.
    services: readinessOf(desired.migrationServices, workloads, desired.image),
    job: live === undefined ? undefined : await observeJob(ctx, hearth, live),
    otherActiveJobs: jobs
      .filter((job) => job.metadata?.name !== current && job.metadata?.deletionTimestamp === undefined && jobState(job) === 'active')
      .map((job) => job.metadata?.name ?? ''),
    servingReady: ready(desired.workloads.filter((ref) => ref.tier === desired.servingTier)),
    oldScaledDown: desired.oldStatefulSets.every((name) => isScaledDown(workloads, name)),
    sameStore: isSameStore(hearth, move),
  };
}

function readinessOf(refs: readonly WorkloadRef[], workloads: ObservedWorkloads, image: string): Readiness {
  const waiting = refs
    .map((ref) => ({ ref, state: workloadState(ref, workloads, image) }))
    .filter(({ state }) => state.state !== 'ready')
    .map(({ ref, state }) => `${ref.kind} ${ref.name}: ${describeState(state)}`);
  return { ready: waiting.length === 0, detail: waiting.join('; ') };
}

function describeState(state: WorkloadState): string {
  switch (state.state) {
    case 'missing':
      return 'not created yet';
    case 'ready':
      return 'ready';
    default:
      return state.detail;
  }
}

/** Its controller has seen replicas 0 and runs no pod (or it is gone already). */
function isScaledDown(workloads: ObservedWorkloads, name: string): boolean {
  const set = workloads.statefulSets.find((candidate) => candidate.metadata?.name === name);
  if (set === undefined) return true;
  const { metadata = {}, spec, status = { replicas: 0 } } = set;
  const observed = metadata.generation === undefined || (status.observedGeneration ?? 0) >= metadata.generation;
  return observed && spec?.replicas === 0 && (status.replicas ?? 0) === 0;
}

/**
 * The Job's state, and what its newest pod says: progress from its log when the API server can
 * reach a kubelet for it, else from its termination message; why it failed from the latter.
 */
async function observeJob(ctx: ReconcileContext, hearth: Hearth, job: V1Job): Promise<ObservedJob> {
  const name = job.metadata?.name ?? '';
  const namespace = hearthNamespace(hearth);
  const pods = (await ctx.client.list(pathOf('Pod', namespace), `job-name=${name}`)) as unknown as V1Pod[];
  const pod = newest(pods);
  const termination = pod === undefined ? undefined : terminationMessage(pod);
  const log = pod?.metadata?.name === undefined ? undefined : await podLog(ctx, namespace, pod.metadata.name);
  return { name, state: jobState(job), progress: lastProgress(log) ?? lastProgress(termination), message: failureLine(termination) };
}

function newest(pods: readonly V1Pod[]): V1Pod | undefined {
  const time = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods].sort((a, b) => time(b) - time(a))[0];
}

function terminationMessage(pod: V1Pod): string | undefined {
  const status = pod.status?.containerStatuses?.find((container) => container.name === migrateContainerName);
  return status?.state?.terminated?.message ?? status?.lastState?.terminated?.message;
}

/** A log the API server cannot fetch (no kubelet, the pod not scheduled yet) is no error: progress waits. */
async function podLog(ctx: ReconcileContext, namespace: string, pod: string): Promise<string | undefined> {
  try {
    return await ctx.client.text(pathOf('Pod', namespace, pod, 'log'), { container: migrateContainerName, tailLines: logTailLines });
  } catch (error) {
    ctx.log?.('copy Job log not read', { pod, error: String(error) });
    return undefined;
  }
}

/** What the actions of one migration step act on. */
interface MigrationScope {
  readonly ctx: ReconcileContext;
  readonly hearth: Hearth;
  readonly desired: DesiredTier;
  readonly move: TierMove;
}

async function act({ ctx, hearth, desired, move }: MigrationScope, action: MigrationAction): Promise<void> {
  const namespace = hearthNamespace(hearth);
  switch (action.type) {
    case 'createJob': {
      const job = buildMigrationJob(hearth, ctx.tierContext, move, action.attempt);
      if (await ctx.client.create(pathOf('Job', namespace), job)) await ctx.events.record(hearth, 'Normal', 'Created', `Created Job ${job.metadata.name}`);
      return;
    }
    case 'deleteJob':
      if (await ctx.client.delete(pathOf('Job', namespace, action.name))) await ctx.events.record(hearth, 'Normal', 'Deleted', `Deleted Job ${action.name}`);
      return;
    case 'deleteOldData':
      await deleteOldClaims(ctx, hearth, desired.oldStatefulSets);
      return;
  }
}

/** The claims of the old tier's own StatefulSets (one pod each): spec.migration.deleteOldData. */
async function deleteOldClaims(ctx: ReconcileContext, hearth: Hearth, statefulSets: readonly string[]): Promise<void> {
  const namespace = hearthNamespace(hearth);
  for (const claim of statefulSets.map((name) => dataClaimName(name))) {
    const live: KubeObject | undefined = await ctx.client.get(pathOf('PersistentVolumeClaim', namespace, claim));
    if (live === undefined || live.metadata?.deletionTimestamp !== undefined) continue;
    if (await ctx.client.delete(pathOf('PersistentVolumeClaim', namespace, claim)))
      await ctx.events.record(hearth, 'Normal', 'Deleted', `Deleted PersistentVolumeClaim ${claim}: spec.migration.deleteOldData is true`);
  }
}

/**
 * At the switch, a backend whose StatefulSet keeps its name but not its shape (single → clustered:
 * NATS and Redis get the headless Service of their pods as serviceName, which the API server will
 * not change): deleted, so that the apply after this makes it anew. Its volume claims are kept,
 * and found again by the new pods; they hold nothing the store does not (replay, presence).
 */
export async function replaceReshapedStatefulSets(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier): Promise<void> {
  if (desired.migration.kind !== 'switched') return;
  const namespace = hearthNamespace(hearth);
  for (const object of desired.objects) {
    if (object.kind !== 'StatefulSet') continue;
    const live = await liveObject(ctx, 'StatefulSet', namespace, object.metadata.name);
    if (live === undefined || !isReshaped(live, hearth, object.spec?.serviceName)) continue;
    // By uid: the cache may still show one deleted before, and the one of that name now is the new one.
    if (await ctx.client.delete(pathOf('StatefulSet', namespace, object.metadata.name), { uid: live.metadata?.uid ?? '' }))
      await ctx.events.record(
        hearth,
        'Normal',
        'Deleted',
        `Deleted StatefulSet ${object.metadata.name}: the ${desired.servingTier} tier makes it anew (its volumes are kept)`,
      );
  }
}

function isReshaped(live: KubeObject, hearth: Hearth, serviceName: string | undefined): boolean {
  return isOwnedBy(live, hearth) && (live as Pick<V1StatefulSet, 'spec'>).spec?.serviceName !== serviceName;
}
