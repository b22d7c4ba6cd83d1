// The reconcile of one Hearth: an ordered chain of idempotent steps. A step that must wait
// returns a requeue and the chain stops there.
import { KubeApiError, type ReconcileResult } from '../controller/index.ts';
import type { Hearth } from '../api/index.ts';
import { desiredObjects, type DesiredTier } from '../tiers/index.ts';
import { ensureApplied, liveObject } from './apply.ts';
import { ensureClaimChanges, withLiveClaimTemplates } from './claims.ts';
import type { ReconcileContext } from './context.ts';
import { cleanupOwned, ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
import { pruneUndesired } from './prune.ts';
import { ensureGeneratedSecrets } from './secrets.ts';
import { ensurePausedStatus, ensureStatus, isPaused, isReady } from './status.ts';

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
  const desired = desiredObjects(hearth, ctx.tierContext);
  if (!desired.ok) {
    // Nothing can be built: apply and prune nothing, so what serves keeps serving; say why.
    const outcome = await ensureStatus(ctx, hearth, desired);
    if (outcome.written) await ctx.events.record(hearth, 'Warning', 'Failed', `${desired.error.code}: ${desired.error.message}`);
    return;
  }
  signal.throwIfAborted();
  await ensureObjects(ctx, hearth, desired);
  signal.throwIfAborted();
  const outcome = await ensureStatus(ctx, hearth, desired);
  if (outcome.written && isPaused(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Resumed', 'spec.paused is false: reconciling again');
  const ready = isReady(outcome.status);
  if (outcome.written && ready && !isReady(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Ready', `${desired.servingTier} tier ${desired.version} is ready at ${desired.url}`);
  // Workload changes wake the reconcile anyway; this is the safety net while not Ready.
  return ready ? undefined : { requeueAfterMs: ctx.notReadyRequeueMs };
}

/**
 * Secrets before the objects (pods refer to them), then apply (StatefulSets keep the claim
 * templates they were made with: claims.ts), then resize claims, then prune what is no longer wanted.
 */
async function ensureObjects(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier): Promise<void> {
  for (const name of await ensureGeneratedSecrets(ctx, hearth, desired.secrets)) await ctx.events.record(hearth, 'Normal', 'Created', `Created Secret ${name}`);
  const { objects, changes } = await withLiveClaimTemplates(desired.objects, (set) => liveObject(ctx, 'StatefulSet', set.metadata.namespace, set.metadata.name));
  for (const applied of await ensureApplied(ctx, objects)) {
    if (applied.result === 'created') await ctx.events.record(hearth, 'Normal', 'Created', `Created ${applied.kind} ${applied.name}`);
    if (applied.result === 'updated') await ctx.events.record(hearth, 'Normal', 'Updated', `Updated ${applied.kind} ${applied.name}`);
  }
  await ensureClaimChanges(ctx, hearth, changes);
  // Pruning last: a tier change must have its new objects before the old ones may go.
  for (const pruned of await pruneUndesired(ctx, hearth, desired.objects)) await ctx.events.record(hearth, 'Normal', 'Pruned', `Deleted ${pruned.kind} ${pruned.name}`);
}

async function finalize(ctx: ReconcileContext, hearth: Hearth): Promise<ReconcileResult> {
  if (!hasFinalizer(hearth)) return;
  const cleanup = await cleanupOwned(ctx, hearth);
  if (cleanup.remaining > 0) return { requeueAfterMs: cleanupRetryMs };
  try {
    await removeFinalizer(ctx, hearth);
  } catch (error) {
    // A reconcile of a Hearth the cache still shows after the finalizer went: it is gone, as it should be.
    if (error instanceof KubeApiError && error.status === 404) return;
    throw error;
  }
  ctx.log?.('cleaned up', { hearth: `${hearth.metadata.namespace ?? ''}/${hearth.metadata.name ?? ''}`, deleted: cleanup.deleted });
  return;
}

