// The reconcile of one Hearth: an ordered chain of idempotent steps. A step that must wait
// returns a requeue and the chain stops there.
import { KubeApiError, type ReconcileResult } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { desiredObjects, type DesiredTier, type StorageRefusal, type TierError } from '../tiers/index.ts';
import { ensureApplied, liveObject } from './apply.ts';
import { ensureClaimChanges, storageRefusalOf, withLiveClaimTemplates } from './claims.ts';
import type { ReconcileContext } from './context.ts';
import { cleanupOwned, ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
import { ensureMonitoring, type MonitoringOutcome } from './monitoring.ts';
import { pruneUndesired } from './prune.ts';
import { problemOf, warningsOf } from './problems.ts';
import { ensureGeneratedSecrets, lostSecretsProblem } from './secrets.ts';
import { ensurePausedStatus, ensureStatus, isPaused, isReady, type Findings, type StatusOutcome } from './status.ts';

const cleanupRetryMs = 2_000;
const conflictRetryMs = 250;

export function createHearthReconciler(ctx: ReconcileContext): (key: string, signal: AbortSignal) => Promise<ReconcileResult> {
  return async (key, signal) => {
    const hearth = ctx.getHearth(key);
    if (hearth === undefined) return; // Gone: the finalizer has already cleaned up.
    try {
      return await reconcileHearth(ctx, hearth, signal);
    } catch (error) {
      // The cache was behind the API server: the watch event that brings it up to date is on its way.
      if (error instanceof KubeApiError && error.status === 409) return { requeueAfterMs: conflictRetryMs };
      throw error;
    }
  };
}

export async function reconcileHearth(ctx: ReconcileContext, found: Hearth, signal: AbortSignal): Promise<ReconcileResult> {
  if (found.metadata.deletionTimestamp !== undefined) return finalize(ctx, found);
  // The finalizer first: an object created before it is there could outlive a quick delete.
  const hearth = await ensureFinalizer(ctx, found);
  if (hearth.spec.paused === true) {
    // Only the status: a person repairing the objects by hand sees that the operator stands back.
    const paused = await ensurePausedStatus(ctx, hearth);
    if (paused.written && !isPaused(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Paused', 'spec.paused is true: reconciling stopped');
    return;
  }
  // Only the clustered tier runs on CloudNativePG: other Hearths never ask.
  const cloudNativePG = hearth.spec.tier === 'clustered' && ((await ctx.hasCloudNativePG?.()) ?? false);
  const desired = desiredObjects(hearth, { ...ctx.tierContext, cloudNativePG });
  if (!desired.ok) {
    // Nothing can be built: apply and prune nothing, so what serves keeps serving; say why.
    const outcome = await ensureStatus(ctx, hearth, { desired });
    if (outcome.written) await ctx.events.record(hearth, 'Warning', 'Failed', `${desired.error.code}: ${desired.error.message}`);
    // Installing what was missing changes nothing the operator watches: look again now and then.
    return desired.error.code === 'DatabaseNotAvailable' ? { requeueAfterMs: ctx.notReadyRequeueMs } : undefined;
  }
  signal.throwIfAborted();
  let step: ObjectsOutcome;
  try {
    step = await ensureObjects(ctx, hearth, desired);
  } catch (error) {
    const problem = problemOf(error);
    if (problem === undefined) throw error;
    // Said on the Hearth, then thrown: the controller retries with back-off, and a new spec wakes it at once.
    await reportStatus(ctx, hearth, { desired, problem }).catch((statusError: unknown) => ctx.log?.('status not written', { error: String(statusError) }));
    throw error;
  }
  signal.throwIfAborted();
  // After the tier's objects, never before: it scrapes their Services and pods. Not when the chain
  // stopped short (lost credentials): MonitoringReady then stays as it was.
  const monitoring = step.problem === undefined ? await ensureMonitoring(ctx, hearth, desired) : undefined;
  signal.throwIfAborted();
  return ensureReported(ctx, hearth, desired, step, monitoring);
}

/** The status of a reconcile that got through its steps, and the Events of the changes it shows. */
async function ensureReported(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier, step: ObjectsOutcome, monitoring: MonitoringOutcome | undefined): Promise<ReconcileResult> {
  const outcome = await reportStatus(ctx, hearth, { desired, problem: step.problem, storage: step.storage, monitoring });
  if (outcome.written && isPaused(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Resumed', 'spec.paused is false: reconciling again');
  const settled = isReady(outcome.status) && step.problem === undefined;
  if (outcome.written && settled && !isReady(hearth.status)) {
    await ctx.events.record(hearth, 'Normal', 'Ready', `${desired.servingTier} tier ${desired.version} is ready at ${desired.url}`);
  }
  // Workload changes wake the reconcile anyway; this is the safety net while not Ready or held back.
  // Installing the Prometheus Operator wakes nothing the operator watches: look again now and then.
  return settled && step.storage === undefined && monitoring?.retry !== true ? undefined : { requeueAfterMs: ctx.notReadyRequeueMs };
}

/** Writes the status when it changed, with a Warning for each problem condition that changed with it. */
async function reportStatus(ctx: ReconcileContext, hearth: Hearth, findings: Findings): Promise<StatusOutcome> {
  const outcome = await ensureStatus(ctx, hearth, findings);
  if (outcome.written) for (const warning of warningsOf(hearth.status, outcome.status)) await ctx.events.record(hearth, 'Warning', warning.reason, warning.message);
  return outcome;
}

interface ObjectsOutcome {
  /** A step that had to stop the chain short of the spec (credentials lost): the objects were not applied. */
  readonly problem: TierError | undefined;
  readonly storage: StorageRefusal | undefined;
}

/**
 * Secrets before the objects (pods refer to them), then apply (StatefulSets keep the claim
 * templates they were made with: claims.ts), then resize claims, then prune what is no longer wanted.
 * Lost credentials stop the chain before anything is applied: no pod may be rolled onto new ones.
 */
async function ensureObjects(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier): Promise<ObjectsOutcome> {
  const secrets = await ensureGeneratedSecrets(ctx, hearth, desired.secrets);
  for (const name of secrets.created) await ctx.events.record(hearth, 'Normal', 'Created', `Created Secret ${name}`);
  const lost = lostSecretsProblem(secrets.lost);
  if (lost !== undefined) return { problem: lost, storage: undefined };
  const { objects, changes } = await withLiveClaimTemplates(desired.objects, (set) => liveObject(ctx, 'StatefulSet', set.metadata.namespace, set.metadata.name));
  for (const applied of await ensureApplied(ctx, objects)) {
    if (applied.result === 'created') await ctx.events.record(hearth, 'Normal', 'Created', `Created ${applied.kind} ${applied.name}`);
    if (applied.result === 'updated') await ctx.events.record(hearth, 'Normal', 'Updated', `Updated ${applied.kind} ${applied.name}`);
  }
  const storage = storageRefusalOf(await ensureClaimChanges(ctx, hearth, changes));
  // Pruning last: a tier change must have its new objects before the old ones may go.
  for (const pruned of await pruneUndesired(ctx, hearth, desired.objects)) await ctx.events.record(hearth, 'Normal', 'Pruned', `Deleted ${pruned.kind} ${pruned.name}`);
  return { problem: undefined, storage };
}

async function finalize(ctx: ReconcileContext, hearth: Hearth): Promise<ReconcileResult> {
  if (!hasFinalizer(hearth)) return;
  const cleanup = await cleanupOwned(ctx, hearth);
  if (cleanup.remaining > 0) return { requeueAfterMs: cleanupRetryMs };
  if (cleanup.kept.length > 0) {
    await ctx.events.record(hearth, 'Normal', 'Retained', `Kept ${cleanup.kept.join(', ')}: spec.storage.retainOnDelete is true (docs/operator.md#delete)`);
  }
  try {
    await removeFinalizer(ctx, hearth);
  } catch (error) {
    // A reconcile of a Hearth the cache still shows after the finalizer went: it is gone, as it should be.
    if (error instanceof KubeApiError && error.status === 404) return;
    throw error;
  }
  ctx.log?.('cleaned up', { hearth: `${hearth.metadata.namespace ?? ''}/${hearth.metadata.name ?? ''}`, deleted: cleanup.deleted, kept: cleanup.kept });
  return;
}
