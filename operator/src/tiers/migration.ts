// A tier migration's decisions, pure: which migration is in effect for a Hearth (and so what to
// build), and, from what the reconcile observed, which stage comes next and what to do to get
// there. Each stage is decided from observed state alone (the status, the Job, the workloads), so
// an operator killed in any stage carries on where it was: the Job has a name derived from the
// move and the attempt, so it is found rather than made twice, and the switch is built only once
// the status says Switching, which it says only after a succeeded Job and once the new tier's
// services are ready (StartingServices), so the Service never moves to pods still starting.
import type { V1Job } from '@kubernetes/client-node';
import { hearthTiers, tierMoves, type Hearth, type HearthTier, type MigrationStage, type MigrationStatus } from '../api/index.ts';
import { migrationJobName, type TierMove } from './migration-job.ts';

/** What a Hearth's migration asks of the builders (desired-objects.ts). */
export type MigrationPhase =
  /** No migration: the asked tier serves. */
  | { readonly kind: 'none' }
  /**
   * Before the switch: the old tier serves, the new tier's backends come up beside it; once the copy
   * is done (startServices, status StartingServices), its services too.
   */
  | { readonly kind: 'copying'; readonly move: TierMove; readonly startServices: boolean }
  /** After it: the new tier serves; the old tier's own StatefulSets stay, at 0 pods once scaleDown. */
  | { readonly kind: 'switched'; readonly move: TierMove; readonly scaleDown: boolean }
  /** A change an earlier release accepted that is not one step up: the old tier serves, nothing is copied. */
  | { readonly kind: 'unsupported'; readonly move: TierMove };

const beforeSwitch: readonly MigrationStage[] = ['StartingBackends', 'Copying', 'Verifying', 'StartingServices', 'Failed'];

function hearthNameOf(hearth: Hearth): string {
  return hearth.metadata.name ?? '';
}

export function askedTier(hearth: Hearth): HearthTier {
  return hearth.spec.tier ?? 'embedded';
}

export function isTierMove(move: TierMove): boolean {
  return tierMoves.some(({ from, to }) => from === move.from && to === move.to);
}

export function migrationPhase(hearth: Hearth): MigrationPhase {
  const asked = askedTier(hearth);
  const serving = hearth.status?.tier;
  const last = hearth.status?.migration;
  return switchedPhase(last, asked) ?? (serving === undefined ? { kind: 'none' } : movePhase({ from: serving, to: asked }, last));
}

/** After the switch the status says so: the asked tier serves, the old one is still there. */
function switchedPhase(last: MigrationStatus | undefined, asked: HearthTier): MigrationPhase | undefined {
  if (last === undefined || last.to !== asked || (last.stage !== 'Switching' && last.stage !== 'ScalingDown')) return undefined;
  return { kind: 'switched', move: { from: last.from, to: last.to }, scaleDown: last.stage === 'ScalingDown' };
}

function movePhase(move: TierMove, last: MigrationStatus | undefined): MigrationPhase {
  if (move.from === move.to) return { kind: 'none' };
  if (isTierMove(move)) return { kind: 'copying', move, startServices: ongoing(last, move)?.stage === 'StartingServices' };
  // Only upwards: a Hearth whose status is above its spec serves what it asks for (never stored by this release).
  return hearthTiers.indexOf(move.from) < hearthTiers.indexOf(move.to) ? { kind: 'unsupported', move } : { kind: 'none' };
}

/** The tier that takes the traffic: the old one until the switch. */
export function servingTierOf(phase: MigrationPhase, asked: HearthTier): HearthTier {
  return phase.kind === 'copying' || phase.kind === 'unsupported' ? phase.move.from : asked;
}

/**
 * The attempt the migration runs: the last one's, or the retry annotation's value once the last
 * attempt of this move Failed and the annotation says something new.
 */
export function migrationAttempt(last: MigrationStatus | undefined, move: TierMove, retry: string | undefined): string {
  const current = ongoing(last, move);
  if (current === undefined) return retry ?? '';
  const attempt = current.attempt ?? '';
  return current.stage === 'Failed' && retry !== undefined && retry !== attempt ? retry : attempt;
}

/** The status of this move while it has not ended, else undefined. */
function ongoing(last: MigrationStatus | undefined, move: TierMove): MigrationStatus | undefined {
  return last !== undefined && last.from === move.from && last.to === move.to && !isEnded(last.stage) ? last : undefined;
}

function isEnded(stage: MigrationStage): boolean {
  return stage === 'Succeeded' || stage === 'Cancelled';
}

/** One line of `hearth migrate`'s progress on stdout. */
export interface MigrationProgress {
  readonly stage: 'copying' | 'verifying' | 'done';
  readonly copied: number;
  readonly total: number;
}

/** The last progress line in a log or termination message; other lines (the error on stderr) are skipped. */
export function lastProgress(text: string | undefined): MigrationProgress | undefined {
  const lines = (text ?? '').split('\n').reverse();
  for (const line of lines) {
    const progress = progressOf(line.trim());
    if (progress !== undefined) return progress;
  }
  return undefined;
}

function progressOf(line: string): MigrationProgress | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<Record<string, unknown>>;
    const { stage, copied, total } = parsed;
    if ((stage === 'copying' || stage === 'verifying' || stage === 'done') && isCount(copied) && isCount(total)) return { stage, copied, total };
  } catch {
    // A line that only looks like JSON: not progress.
  }
  return undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Why the copy failed: the last line that is not progress (`hearth migrate` writes one on stderr). */
export function failureLine(text: string | undefined): string | undefined {
  const lines = (text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && progressOf(line) === undefined);
  return lines.at(-1);
}

export type JobState = 'active' | 'succeeded' | 'failed';

/** As the Job controller reports it: its Complete or Failed condition, else its pod counts against backoffLimit. */
export function jobState(job: V1Job): JobState {
  const { succeeded, failed } = podCounts(job);
  // The API's defaults: one completion, six retries.
  if (hasCondition(job, 'Complete') || succeeded >= (job.spec?.completions ?? 1)) return 'succeeded';
  if (hasCondition(job, 'Failed') || failed > (job.spec?.backoffLimit ?? 6)) return 'failed';
  return 'active';
}

function podCounts(job: V1Job): { succeeded: number; failed: number } {
  const { succeeded = 0, failed = 0 } = job.status ?? {};
  return { succeeded, failed };
}

function hasCondition(job: V1Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
}

/** The copy Job of the current attempt as the reconcile found it. */
export interface ObservedJob {
  readonly name: string;
  readonly state: JobState;
  /** From its pod's log while it runs (when the API server can give it), else its termination message. */
  readonly progress: MigrationProgress | undefined;
  /** The termination message of its last pod: why it failed. */
  readonly message: string | undefined;
}

/** Whether some workloads are all ready; if not, which are not and why. */
export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

/** What the migration step observed, for decideMigration. */
export interface MigrationFindings {
  readonly now: string;
  /** The retry annotation's value. */
  readonly retry: string | undefined;
  /** Whether the new tier's backends are up, or why not; what is missing when the new tier cannot be built here. */
  readonly backends: Readiness | { readonly missing: string };
  /**
   * Whether the new tier's services that the old tier does not run under the same names are up, or
   * why not (not created yet, before StartingServices builds them); ready when there are none.
   */
  readonly services: Readiness;
  /** The current attempt's Job, when it exists. */
  readonly job: ObservedJob | undefined;
  /** Other copy Jobs of the Hearth that have not finished: a new one waits for them. */
  readonly otherActiveJobs: readonly string[];
  /** After the switch: whether the new tier serves (its workloads ready). */
  readonly servingReady: boolean;
  /** While scaling down: whether the old tier's own StatefulSets run no pod. */
  readonly oldScaledDown: boolean;
  /** Nothing to copy: both tiers use one store. */
  readonly sameStore: boolean;
}

export type MigrationAction =
  | { readonly type: 'createJob'; readonly attempt: string }
  | { readonly type: 'deleteJob'; readonly name: string }
  /** The old tier's volumes (spec.migration.deleteOldData). */
  | { readonly type: 'deleteOldData' };

export interface MigrationDecision {
  /** status.migration to write; undefined leaves it as it is. */
  readonly status: MigrationStatus | undefined;
  readonly actions: readonly MigrationAction[];
}

const nothing: MigrationDecision = { status: undefined, actions: [] };

export function decideMigration(hearth: Hearth, phase: MigrationPhase, findings: MigrationFindings): MigrationDecision {
  const last = hearth.status?.migration;
  switch (phase.kind) {
    case 'copying':
      return decideBeforeSwitch(hearth, phase.move, findings);
    case 'switched':
      return decideAfterSwitch(hearth, phase, findings);
    case 'unsupported':
      return { status: unsupported(phase.move, last, findings.now), actions: [] };
    case 'none':
      return decideAtRest(hearth, last, findings);
  }
}

/** No migration in effect: one that was under way before the switch was cancelled; a finished one may leave old data to delete. */
function decideAtRest(hearth: Hearth, last: MigrationStatus | undefined, findings: Pick<MigrationFindings, 'job' | 'sameStore'>): MigrationDecision {
  if (last === undefined) return nothing;
  if (beforeSwitch.includes(last.stage) && last.from === askedTier(hearth)) {
    const cancelled = withoutWhy({ ...last, stage: 'Cancelled' });
    // A successful copy leaves its source paused for good: only a person (or a switch) ends that.
    const status = copySucceeded(last, findings) ? { ...cancelled, reason: 'SourceLeftPaused', message: sourceLeftPaused(last.from) } : cancelled;
    return { status, actions: last.job === undefined ? [] : [{ type: 'deleteJob', name: last.job }] };
  }
  if (last.stage === 'Succeeded' && hearth.spec.migration?.deleteOldData === true) return { status: undefined, actions: [{ type: 'deleteOldData' }] };
  return nothing;
}

function decideBeforeSwitch(hearth: Hearth, move: TierMove, findings: MigrationFindings): MigrationDecision {
  const last = ongoing(hearth.status?.migration, move);
  const attempt = migrationAttempt(last, move, findings.retry);
  const job = migrationJobName(hearthNameOf(hearth), move, attempt);
  if (last?.stage === 'Failed' && attempt === (last.attempt ?? '')) return { status: last, actions: [] };
  const base: MigrationStatus = { ...move, stage: 'StartingBackends', startedAt: startedAt(last, findings.now), attempt, job };
  const cleanup = earlierJob(last, job);
  if (findings.sameStore) {
    const copied: MigrationStatus = { ...base, stage: 'Switching', reason: 'SameStore', message: sameStoreMessage };
    return { status: switchOnceServicesReady(copied, findings.services), actions: cleanup };
  }
  if (findings.job !== undefined)
    return { status: switchOnceServicesReady(fromJob(base, findings.job, last, hearthNameOf(hearth)), findings.services), actions: cleanup };
  return startCopy(base, findings, cleanup);
}

/**
 * The copy is done: the switch waits for the new tier's services, built beside the old tier that
 * still serves reads and realtime, so the Service and Ingress never move to pods still starting.
 * For single → clustered the services keep their names (none is new): the Deployments are updated
 * in place at the switch, a rolling update that keeps the old pods until the new ones are ready, so
 * this passes straight through to Switching.
 */
function switchOnceServicesReady(status: MigrationStatus, services: Readiness): MigrationStatus {
  if (status.stage !== 'Switching' || services.ready) return status;
  return { ...status, stage: 'StartingServices', reason: 'WaitingForServices', message: services.detail };
}

function startedAt(last: MigrationStatus | undefined, now: string): string {
  return last === undefined ? now : last.startedAt;
}

/** A retry: the failed Job goes (its pod with it); the new one has a name of its own. */
function earlierJob(last: MigrationStatus | undefined, job: string): MigrationAction[] {
  const earlier = last?.job;
  return earlier !== undefined && earlier !== job ? [{ type: 'deleteJob', name: earlier }] : [];
}

/**
 * Whether the copy had succeeded: its Job says so, or the status had reached StartingServices,
 * which only a succeeded copy (or a store both tiers share) leads to. The status is what counts
 * once the Job is gone: the cancellation deletes it, and the deletion queues a reconcile that may
 * read the Hearth from a cache still at StartingServices (or follow one that failed before its
 * status write), with no Job left to ask.
 */
function copySucceeded(last: MigrationStatus, { job, sameStore }: Pick<MigrationFindings, 'job' | 'sameStore'>): boolean {
  return job?.state === 'succeeded' || (last.stage === 'StartingServices' && !sameStore);
}

function sourceLeftPaused(from: HearthTier): string {
  return `the copy had succeeded when the migration was cancelled, so the ${from} tier's store stays read-only: resume its writes with hearth writes resume in one of its pods (docs/operator.md#migrate-to-a-higher-tier)`;
}

const sameStoreMessage = 'both tiers use spec.database.external: there is no data to copy';

function startCopy(base: MigrationStatus, findings: MigrationFindings, cleanup: MigrationAction[]): MigrationDecision {
  const { backends } = findings;
  if ('missing' in backends)
    return {
      status: { ...base, reason: 'TierNotAvailable', message: `the ${base.to} tier cannot be built in this cluster yet: ${backends.missing}` },
      actions: cleanup,
    };
  if (!backends.ready) return { status: { ...base, reason: 'WaitingForBackends', message: backends.detail }, actions: cleanup };
  if (findings.otherActiveJobs.length > 0) {
    const message = `waiting for ${findings.otherActiveJobs.join(', ')} to end: one copy at a time`;
    return { status: { ...base, stage: 'Copying', reason: 'WaitingForJob', message }, actions: cleanup };
  }
  return { status: { ...base, stage: 'Copying', copied: 0 }, actions: [...cleanup, { type: 'createJob', attempt: base.attempt ?? '' }] };
}

/** Copying or Verifying while it runs (as its progress says), Switching once it succeeded, Failed with its last word. */
function fromJob(base: MigrationStatus, job: ObservedJob, last: MigrationStatus | undefined, name: string): MigrationStatus {
  const counts = countsOf(job.progress, last);
  switch (job.state) {
    case 'active':
      return { ...base, ...counts, stage: job.progress?.stage === 'verifying' ? 'Verifying' : 'Copying' };
    case 'succeeded':
      return { ...base, ...counts, stage: 'Switching' };
    case 'failed':
      return { ...base, ...counts, stage: 'Failed', ...failureOf(base, job, name) };
  }
}

/** A copy that failed: whether in verification, the Job's own words, and what a person can do. */
function failureOf(base: MigrationStatus, job: ObservedJob, name: string): Pick<MigrationStatus, 'reason' | 'message'> {
  const verifying = job.progress?.stage === 'verifying' || job.progress?.stage === 'done';
  const why = job.message ?? `Job ${job.name} failed`;
  return {
    reason: verifying ? 'VerificationFailed' : 'CopyFailed',
    message: `${why}; the ${base.from} tier keeps serving, writable. Retry: kubectl annotate hearth ${name} --overwrite ${retryHint}; cancel: set spec.tier back to ${base.from}`,
  };
}

const retryHint = 'hearth.dev/retry-migration=<a new value>';

function countsOf(progress: MigrationProgress | undefined, last: MigrationStatus | undefined): Pick<MigrationStatus, 'copied' | 'total'> {
  if (progress !== undefined) return { copied: progress.copied, total: progress.total };
  const counts: Pick<MigrationStatus, 'copied' | 'total'> = {};
  if (last?.copied !== undefined) counts.copied = last.copied;
  if (last?.total !== undefined) counts.total = last.total;
  return counts;
}

function decideAfterSwitch(hearth: Hearth, phase: { move: TierMove; scaleDown: boolean }, findings: MigrationFindings): MigrationDecision {
  const last = hearth.status?.migration;
  if (last === undefined) return nothing;
  if (!phase.scaleDown) {
    if (!findings.servingReady) return { status: { ...last, reason: 'WaitingForNewTier', message: `the ${phase.move.to} tier is not ready yet` }, actions: [] };
    return { status: withoutWhy({ ...last, stage: 'ScalingDown' }), actions: [] };
  }
  if (!findings.oldScaledDown)
    return { status: { ...last, reason: 'WaitingForOldTier', message: `the ${phase.move.from} tier's pods are stopping` }, actions: [] };
  const actions: MigrationAction[] = last.job === undefined ? [] : [{ type: 'deleteJob', name: last.job }];
  if (hearth.spec.migration?.deleteOldData === true) actions.push({ type: 'deleteOldData' });
  return { status: withoutWhy({ ...last, stage: 'Succeeded' }), actions };
}

function unsupported(move: TierMove, last: MigrationStatus | undefined, now: string): MigrationStatus {
  return {
    ...move,
    stage: 'Failed',
    startedAt: last?.from === move.from && last.to === move.to ? last.startedAt : now,
    reason: 'UnsupportedMove',
    message: `spec.tier ${move.to} is not one step up from ${move.from}: set spec.tier back to ${move.from}, then move one step at a time`,
  };
}

function withoutWhy(status: MigrationStatus): MigrationStatus {
  const rest = { ...status };
  delete rest.reason;
  delete rest.message;
  return rest;
}

/** Status words for each stage, for the Event recorded when a migration enters it. */
export function stageEvent(status: MigrationStatus): { type: 'Normal' | 'Warning'; reason: string; message: string } {
  const { from, to } = status;
  const words: Record<MigrationStage, string> = {
    StartingBackends: `migrating ${from} → ${to}: starting the ${to} tier's backends`,
    Copying: `migrating ${from} → ${to}: copying the data (Job ${status.job ?? ''}); the ${from} tier serves, read-only`,
    Verifying: `migrating ${from} → ${to}: verifying the copy`,
    StartingServices: `migrating ${from} → ${to}: the copy is verified; starting the ${to} tier's services while the ${from} tier serves, read-only`,
    Switching: `migrating ${from} → ${to}: the copy is verified; switching the Service and Ingress to the ${to} tier`,
    ScalingDown: `migrating ${from} → ${to}: the ${to} tier serves; scaling the ${from} tier down`,
    Succeeded: `migrated ${from} → ${to}`,
    Failed: `migration ${from} → ${to} failed: ${status.message ?? ''}`,
    Cancelled: `migration ${from} → ${to} cancelled: spec.tier is ${from} again${status.message === undefined ? '' : `; ${status.message}`}`,
  };
  const warning = status.stage === 'Failed' || (status.stage === 'Cancelled' && status.reason !== undefined);
  return { type: warning ? 'Warning' : 'Normal', reason: `Migration${status.stage}`, message: words[status.stage] };
}
