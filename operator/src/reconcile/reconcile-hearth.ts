// The reconcile of one Hearth: an ordered chain of idempotent steps run by the runtime's
// runSteps. A step that must wait returns a requeue and the chain stops there; a step that has
// said all there is to say returns done.
import {
  done,
  KubeApiError,
  proceed,
  requeue,
  runSteps,
  toReconcileResult,
  type ReconcileResult,
  type ReconcileStep,
  type StepResult,
} from '@hearth/kube-runtime';
import type { Hearth, HearthStatus } from '../api/index.ts';
import { ensureBackupScheduleStep } from '../backup/backup-schedule.ts';
import { desiredObjects, stageEvent, type DesiredTier, type MigrationPhase, type StorageRefusal, type TierError } from '../tiers/index.ts';
import { ensureApplied, liveObject } from './apply.ts';
import { ensureClaimChanges, storageRefusalOf, withLiveClaimTemplates } from './claims.ts';
import type { ReconcileContext } from './context.ts';
import { hearthName, isOwnedBy, liveObjects } from './context.ts';
import { createChangeLog, recordChanges, type ChangeBatch, type ChangeLog } from './events.ts';
import { cleanupOwned, ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
import { ensureMigration, replaceReshapedStatefulSets, type MigrationOutcome } from './migration.ts';
import { ensureMonitoring, type MonitoringOutcome } from './monitoring.ts';
import { pruneUndesired } from './prune.ts';
import { problemOf, warningsOf } from './problems.ts';
import { ensureGeneratedSecrets, lostSecretsProblem } from './secrets.ts';
import { withLiveSecretsChecksums } from './secrets-checksums.ts';
import { ensureRotations } from './secrets-rotation.ts';
import { ensurePostgresPasswordRotation } from './secrets-rotation-postgres.ts';
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

/** What the steps of one reconcile share: each step fills in what the later ones need. */
export interface HearthReconcile {
  readonly ctx: ReconcileContext;
  /** The Hearth as last written by this reconcile (ensureFinalizer may have updated it). */
  hearth: Hearth;
  /** What the tier needs; set by buildDesired. */
  desired: DesiredTier | undefined;
  /** What applying the objects found; set by ensureObjects. */
  objects: ObjectsOutcome | undefined;
  /** Set by ensureMonitoringStep, when the objects were applied. */
  monitoring: MonitoringOutcome | undefined;
  /** Set by ensureMigrationStep, when the objects were applied. */
  migration: MigrationOutcome | undefined;
  /** What the steps created, updated and deleted: one Event per reason when the reconcile ends. */
  readonly changes: ChangeBatch;
}

interface ObjectsOutcome {
  /** A step that had to stop the chain short of the spec (credentials lost): the objects were not applied. */
  readonly problem: TierError | undefined;
  readonly storage: StorageRefusal | undefined;
}

/**
 * The chain of a live Hearth, in the order that matters: the finalizer before anything is made;
 * paused Hearths stop after it; the objects only once the tier could be built; a migration's next
 * stage once the objects of its current one are applied; monitoring after the objects it scrapes;
 * spec.backup's CronJob after the objects whose store it reads; the status last, saying what the
 * steps found.
 */
export const hearthSteps: readonly ReconcileStep<HearthReconcile>[] = [
  ensureFinalizerStep,
  standBackWhenPaused,
  buildDesired,
  ensureObjectsStep,
  ensureMigrationStep,
  ensureMonitoringStep,
  ensureBackupScheduleStep,
  ensureReported,
];

/** The chain of a Hearth being deleted. */
export const deletionSteps: readonly ReconcileStep<HearthReconcile>[] = [finalize];

export async function reconcileHearth(ctx: ReconcileContext, found: Hearth, signal: AbortSignal): Promise<ReconcileResult> {
  const changes = createChangeLog();
  const state: HearthReconcile = { ctx, hearth: found, desired: undefined, objects: undefined, monitoring: undefined, migration: undefined, changes };
  const steps = found.metadata.deletionTimestamp === undefined ? hearthSteps : deletionSteps;
  try {
    return toReconcileResult(await runSteps(state, steps, signal));
  } catch (error) {
    await reportFailedStep(state, error);
    throw error;
  } finally {
    // What a failed or stopped chain changed before it stopped is said too (ensureReported has said the rest).
    await recordChanges(ctx.events, state.hearth, changes);
  }
}

/**
 * Any step that failed once the spec built (applying the objects, a migration's Job, monitoring,
 * the backup schedule, the status itself) is said on the Hearth: a condition with the API
 * server's words and a Warning when it changes. Then it is thrown: the controller retries with
 * back-off, and a new spec wakes it at once. A conflict is not a problem: the cache was behind.
 */
async function reportFailedStep({ ctx, hearth, desired, objects }: HearthReconcile, error: unknown): Promise<void> {
  const problem = problemOf(error);
  if (desired === undefined || problem === undefined) return;
  await reportStatus(ctx, hearth, { desired, problem: objects?.problem ?? problem, storage: objects?.storage }).catch((statusError: unknown) =>
    ctx.log?.('status not written', { error: String(statusError) }),
  );
}

/** The finalizer first: an object created before it is there could outlive a quick delete. */
async function ensureFinalizerStep(state: HearthReconcile): Promise<StepResult> {
  state.hearth = await ensureFinalizer(state.ctx, state.hearth);
  return proceed;
}

/** Only the status when paused: a person repairing the objects by hand sees that the operator stands back. */
async function standBackWhenPaused({ ctx, hearth }: HearthReconcile): Promise<StepResult> {
  if (hearth.spec.paused !== true) return proceed;
  const paused = await ensurePausedStatus(ctx, hearth);
  if (paused.written && !isPaused(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Paused', 'spec.paused is true: reconciling stopped');
  return done;
}

/** The tier's objects; when nothing can be built, apply and prune nothing, so what serves keeps serving, and say why. */
async function buildDesired(state: HearthReconcile): Promise<StepResult> {
  const { ctx, hearth } = state;
  // Only the clustered tier runs on CloudNativePG: other Hearths never ask.
  const cloudNativePG = hearth.spec.tier === 'clustered' && ((await ctx.hasCloudNativePG?.()) ?? false);
  const desired = desiredObjects(hearth, { ...ctx.tierContext, cloudNativePG }, { addressService: await hasAddressService(ctx, hearth) });
  if (desired.ok) {
    state.desired = desired;
    return proceed;
  }
  const outcome = await ensureStatus(ctx, hearth, { desired });
  if (outcome.written) await ctx.events.record(hearth, 'Warning', 'Failed', `${desired.error.code}: ${desired.error.message}`);
  // Installing what was missing changes nothing the operator watches: look again now and then.
  return desired.error.code === 'DatabaseNotAvailable' ? requeue(ctx.notReadyRequeueMs, 'the database operator is not installed') : done;
}

/** Whether the Hearth has a Service named after it (made by the embedded tier): a migration keeps it as an address. */
async function hasAddressService(ctx: ReconcileContext, hearth: Hearth): Promise<boolean> {
  const services = await liveObjects(ctx, 'Service', hearth.metadata.namespace ?? '', { 'app.kubernetes.io/instance': hearthName(hearth) });
  return services.some((service) => service.metadata?.name === hearthName(hearth) && isOwnedBy(service, hearth));
}

/** A tier migration's next stage, once the objects of its current one are applied (not when the chain stopped short). */
async function ensureMigrationStep(state: HearthReconcile): Promise<StepResult> {
  if (needed(state.objects, 'objects').problem === undefined)
    state.migration = await ensureMigration(state.ctx, state.hearth, needed(state.desired, 'desired'));
  return proceed;
}

async function ensureObjectsStep(state: HearthReconcile): Promise<StepResult> {
  const { ctx, hearth, changes } = state;
  state.objects = await ensureObjects({ ctx, hearth, changes }, needed(state.desired, 'desired'));
  return proceed;
}

/**
 * After the tier's objects, never before: it scrapes their Services and pods. Not when the chain
 * stopped short (lost credentials): MonitoringReady then stays as it was.
 */
async function ensureMonitoringStep(state: HearthReconcile): Promise<StepResult> {
  if (needed(state.objects, 'objects').problem === undefined)
    state.monitoring = await ensureMonitoring(state.ctx, state.hearth, needed(state.desired, 'desired'), state.changes);
  return proceed;
}

/** The status of a reconcile that got through its steps, and the Events of the changes it shows. */
async function ensureReported(state: HearthReconcile): Promise<StepResult> {
  const { ctx, hearth, monitoring } = state;
  const desired = needed(state.desired, 'desired');
  const objects = needed(state.objects, 'objects');
  const migration = state.migration?.status;
  // What was made before the Ready it may lead to.
  await recordChanges(ctx.events, hearth, state.changes);
  const outcome = await reportStatus(ctx, hearth, { desired, problem: objects.problem, storage: objects.storage, monitoring, migration });
  if (outcome.written && isPaused(hearth.status)) await ctx.events.record(hearth, 'Normal', 'Resumed', 'spec.paused is false: reconciling again');
  const settled = isReady(outcome.status) && objects.problem === undefined;
  if (outcome.written && settled && !isReady(hearth.status)) {
    await ctx.events.record(hearth, 'Normal', 'Ready', `${desired.servingTier} tier ${desired.version} is ready at ${desired.url}`);
  }
  const migrationNext = await reportMigration(ctx, hearth, desired, outcome);
  if (migrationNext !== undefined) return migrationNext;
  return lookAgain({ settled, storageHeldBack: objects.storage !== undefined, monitoringRetry: monitoring?.retry === true }, ctx.notReadyRequeueMs);
}

/**
 * An Event for a stage the migration entered; and when to look again: at once when the new stage
 * changes what is built (the switch, the scale-down), now and then while it runs (the Job's
 * progress is in a log, which wakes nothing); undefined when no migration runs.
 */
async function reportMigration(ctx: ReconcileContext, hearth: Hearth, desired: DesiredTier, outcome: StatusOutcome): Promise<StepResult | undefined> {
  const entered = outcome.written && hasEnteredStage(hearth.status, outcome.status);
  if (entered && outcome.status.migration !== undefined) {
    const event = stageEvent(outcome.status.migration);
    await ctx.events.record(hearth, event.type, event.reason, event.message);
  }
  if (entered && migrationBuild(desired.migration) !== migrationPhaseAfter(outcome.status)) return requeue(0, 'the migration entered a new stage');
  return isMigrating(outcome.status) ? requeue(ctx.notReadyRequeueMs, 'a migration runs') : undefined;
}

/** A migration entered a stage (or began): one Event each. */
function hasEnteredStage(before: HearthStatus | undefined, after: HearthStatus): boolean {
  const [was, is] = [before?.migration, after.migration];
  return is !== undefined && (was === undefined || was.stage !== is.stage || was.from !== is.from || was.to !== is.to);
}

/** While a migration runs, look again now and then: its Job's progress is in a log, which wakes nothing. */
function isMigrating(status: HearthStatus): boolean {
  const stage = status.migration?.stage;
  return stage !== undefined && stage !== 'Succeeded' && stage !== 'Failed' && stage !== 'Cancelled';
}

/** What the builders made of a migration: the new tier's services start within the copying phase. */
function migrationBuild(phase: MigrationPhase): string {
  return phase.kind === 'copying' && phase.startServices ? 'startingServices' : phase.kind;
}

/** What the builders make of the status just written: starting the services, a switch or a scale-down needs another pass. */
function migrationPhaseAfter(status: HearthStatus): string {
  const stage = status.migration?.stage;
  if (stage === 'Switching' || stage === 'ScalingDown') return 'switched';
  if (stage === 'StartingServices') return 'startingServices';
  return stage === 'StartingBackends' || stage === 'Copying' || stage === 'Verifying' ? 'copying' : 'none';
}

/**
 * Whether a reconcile that got to its end looks again later: workload changes wake it anyway, so
 * this is the safety net while the Hearth is not Ready or a change is held back. Installing the
 * Prometheus Operator wakes nothing the operator watches: that too is looked at now and then.
 */
export function lookAgain(
  found: { readonly settled: boolean; readonly storageHeldBack: boolean; readonly monitoringRetry: boolean },
  afterMs: number,
): StepResult {
  if (!found.settled) return requeue(afterMs, 'not ready');
  if (found.storageHeldBack) return requeue(afterMs, 'a storage change is held back');
  if (found.monitoringRetry) return requeue(afterMs, 'the Prometheus Operator is not installed');
  return done;
}

/** What an earlier step of the chain set: a step run out of order is a bug, not a state to handle. */
function needed<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`reconcile chain: ${what} is not set; a step ran before the one that sets it`);
  return value;
}

/** Writes the status when it changed, with a Warning for each problem condition that changed with it. */
async function reportStatus(ctx: ReconcileContext, hearth: Hearth, findings: Findings): Promise<StatusOutcome> {
  const outcome = await ensureStatus(ctx, hearth, findings);
  if (outcome.written)
    for (const warning of warningsOf(hearth.status, outcome.status)) await ctx.events.record(hearth, 'Warning', warning.reason, warning.message);
  return outcome;
}

/**
 * Secrets before the objects (pods refer to them), then apply (StatefulSets keep the claim
 * templates they were made with: claims.ts), then resize claims, then prune what is no longer wanted.
 * Lost credentials stop the chain before anything is applied: no pod may be rolled onto new ones.
 */
async function ensureObjects({ ctx, hearth, changes }: ObjectsChange, desired: DesiredTier): Promise<ObjectsOutcome> {
  // First: an interrupted PostgreSQL password rotation may have the credentials to make again.
  const passwords = await ensurePostgresPasswordRotation(ctx, hearth, desired.secrets);
  const secrets = await ensureGeneratedSecrets(ctx, hearth, desired.secrets);
  for (const name of secrets.created) changes.note('Created', 'Secret', name);
  const lost = lostSecretsProblem(secrets.lost);
  if (lost !== undefined) return { problem: lost, storage: undefined };
  const rotated = await ensureRotations(ctx, hearth, desired.secrets);
  // Pod templates carry a checksum of the Secret values they read: a changed value rolls them.
  const checked = await withLiveSecretsChecksums(ctx, hearth, desired.objects, new Map([...passwords, ...secrets.made, ...rotated]));
  if (checked.problem !== undefined) return { problem: checked.problem, storage: undefined };
  await replaceReshapedStatefulSets(ctx, hearth, desired);
  const { objects, changes: claims } = await withLiveClaimTemplates(checked.objects, (set) =>
    liveObject(ctx, 'StatefulSet', set.metadata.namespace, set.metadata.name),
  );
  await ensureApplied(ctx, objects, changes);
  const storage = storageRefusalOf(await ensureClaimChanges(ctx, hearth, claims));
  // Pruning last: a tier change must have its new objects before the old ones may go.
  for (const pruned of await pruneUndesired(ctx, hearth, desired.objects)) changes.note('Pruned', pruned.kind, pruned.name);
  return { problem: undefined, storage };
}

/** A step's reach: the context, the Hearth, and the log of what it changes. */
interface ObjectsChange {
  readonly ctx: ReconcileContext;
  readonly hearth: Hearth;
  readonly changes: ChangeLog;
}

/** Cleans up what the Hearth owns, then lets it go; waits while owned objects remain. */
async function finalize({ ctx, hearth, changes }: HearthReconcile): Promise<StepResult> {
  if (!hasFinalizer(hearth)) return done;
  const cleanup = await cleanupOwned(ctx, hearth, changes);
  if (cleanup.remaining > 0) return requeue(cleanupRetryMs, `${cleanup.remaining} owned objects still being deleted`);
  if (cleanup.kept.length > 0) {
    await ctx.events.record(hearth, 'Normal', 'Retained', `Kept ${cleanup.kept.join(', ')}: spec.storage.retainOnDelete is true (docs/operator.md#delete)`);
  }
  try {
    await removeFinalizer(ctx, hearth);
  } catch (error) {
    // A reconcile of a Hearth the cache still shows after the finalizer went: it is gone, as it should be.
    if (error instanceof KubeApiError && error.status === 404) return done;
    throw error;
  }
  ctx.log?.('cleaned up', { hearth: `${hearth.metadata.namespace ?? ''}/${hearth.metadata.name ?? ''}`, deleted: cleanup.deleted, kept: cleanup.kept });
  return done;
}
