// The reconcile of one HearthBackup: make its Job once, then let the status follow the Job. A
// finished backup is left as it is: its Job (and the pod's termination message) stay for a person.
import { isDeepStrictEqual } from 'node:util';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { KubeObject, ReconcileResult } from '@hearth/kube-runtime';
import { conditionTime } from '../tiers/index.ts';
import type { ArchiveJobStatus, Hearth, HearthBackup, HearthSpec } from '../api/index.ts';
import type { EventRecorder, EventSubject } from '../reconcile/events.ts';
import type { KubeClient } from '../reconcile/kube-client.ts';
import { pathOf } from '../reconcile/kinds.ts';
import type { TierContext } from '../tiers/context.ts';
import { readSecrets } from '../reconcile/secrets-checksums.ts';
import { archiveLocationOf } from './archive-job.ts';
import { decideIncludedSecrets, secretsToInclude, type IncludedSecrets } from './archive-secrets.ts';
import { decideArchiveStatus, decideBlockedStatus, isFinished, reportedLocation, type ArchiveFindings } from './archive-status.ts';
import { archivedSpec, backupJobName, buildBackupJob, hearthSpecAnnotation } from './backup-jobs.ts';

export interface ArchiveReconcileContext {
  readonly client: KubeClient;
  readonly tierContext: TierContext;
  readonly now: () => Date;
  /** The Hearth `namespace/name` as the Hearth controller's informer holds it, or undefined. */
  readonly getHearth: (key: string) => Hearth | undefined;
  /** How often to look again while the Hearth is missing. */
  readonly retryMs: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Events on the HearthBackup or HearthRestore, for `kubectl describe`. */
  readonly events?: EventRecorder;
}

/** The Event of a phase the status enters, if it has one: what a person watching `kubectl describe` wants to see. */
function phaseEvent(status: ArchiveJobStatus): { type: 'Normal' | 'Warning'; reason: string; message: string } | undefined {
  const job = `Job ${status.job ?? ''}`;
  switch (status.phase) {
    case 'Running':
      return { type: 'Normal', reason: 'Started', message: `${job} is running` };
    case 'Succeeded':
      return { type: 'Normal', reason: 'Succeeded', message: `${job} succeeded: ${status.archive ?? ''}` };
    case 'Failed':
      return failedEvent(status);
    default:
      return undefined;
  }
}

function failedEvent(status: ArchiveJobStatus): { type: 'Warning'; reason: string; message: string } {
  const failed = status.conditions?.find((condition) => condition.type === 'Failed' && condition.status === 'True');
  return { type: 'Warning', reason: failed?.reason ?? 'Failed', message: failed?.message ?? 'failed' };
}

export async function recordPhaseChange(
  ctx: ArchiveReconcileContext,
  subject: EventSubject,
  before: ArchiveJobStatus | undefined,
  after: ArchiveJobStatus,
): Promise<void> {
  const event = before?.phase === after.phase ? undefined : phaseEvent(after);
  if (event !== undefined) await ctx.events?.record(subject, event.type, event.reason, event.message);
}

export async function reconcileBackup(ctx: ArchiveReconcileContext, backup: HearthBackup): Promise<ReconcileResult> {
  if (isSettled(backup)) return;
  const namespace = backup.metadata.namespace ?? '';
  const hearth = ctx.getHearth(`${namespace}/${backup.spec.hearthName}`);
  const base = { now: conditionTime(ctx.now()), generation: backup.metadata.generation };
  const found = (await ctx.client.get(pathOf('Job', namespace, backupJobName(backup.metadata.name ?? '')))) as V1Job | undefined;
  if (found === undefined && hearth === undefined) {
    const blocked = { reason: 'HearthNotFound', message: `there is no Hearth ${backup.spec.hearthName} in ${namespace} to back up` };
    await writeStatus(ctx, backup, decideArchiveStatus({ ...base, job: undefined, pods: [], blocked }, backup.status));
    return { requeueAfterMs: ctx.retryMs };
  }
  const made = await jobOf(ctx, backup, hearth, found);
  if (!made.ok) {
    // The spec cannot change: a key Secret made now is for a new HearthBackup.
    const blocked = { reason: 'ArchiveKeyInvalid', message: made.message };
    return writeStatus(ctx, backup, decideBlockedStatus({ ...base, job: undefined, pods: [], blocked }, backup.status, true));
  }
  const job = made.job;
  const pods = (await ctx.client.list(pathOf('Pod', namespace), `job-name=${job?.metadata?.name ?? ''}`)) as unknown as V1Pod[];
  await writeStatus(ctx, backup, backupStatus(backup, { ...base, job, pods }));
  return;
}

/** The decided status, with the spec backed up and, once it succeeded, where the archive is. */
function backupStatus(backup: HearthBackup, findings: ArchiveFindings): NonNullable<HearthBackup['status']> {
  const status = { ...decideArchiveStatus(findings, backup.status), ...snapshotOf(findings.job, backup) };
  const reported = status.phase === 'Succeeded' ? reportedLocation(findings.pods) : undefined;
  return reported === undefined ? status : { ...status, archive: archiveLocationOf(reported, backup.spec.destination) };
}

/** Going, or finished: nothing more to do (its Job and pods stay for a person to read). */
function isSettled(backup: HearthBackup): boolean {
  return backup.metadata.deletionTimestamp !== undefined || isFinished(backup.status);
}

/**
 * With includeSecrets, the Secrets the Hearth's spec names that exist, when the key can serve;
 * said in an Event when there is none to keep (`hearth backup` takes no empty --secrets-dir, so the
 * backup goes on without Secret values).
 */
async function includedSecrets(ctx: ArchiveReconcileContext, backup: HearthBackup, hearth: Hearth): Promise<IncludedSecrets> {
  const include = backup.spec.includeSecrets;
  if (include === undefined) return { ok: true, names: [] };
  const wanted = secretsToInclude(hearth);
  const read = await readSecrets({ client: ctx.client }, backup.metadata.namespace ?? '', [include.keySecretRef.name, ...wanted]);
  const decided = decideIncludedSecrets(include, wanted, read, 'spec.includeSecrets');
  if (decided.ok && decided.names.length === 0) {
    const message = `Hearth ${backup.spec.hearthName} names no Secret that exists: the archive holds no Secret value`;
    await ctx.events?.record(backup, 'Normal', 'NoSecretsToInclude', message);
  }
  return decided;
}

/** The Job found, or made (none without the Hearth), or why it cannot be: the key Secret. */
async function jobOf(
  ctx: ArchiveReconcileContext,
  backup: HearthBackup,
  hearth: Hearth | undefined,
  found: V1Job | undefined,
): Promise<{ ok: true; job: V1Job | undefined } | { ok: false; message: string }> {
  if (found !== undefined || hearth === undefined) return { ok: true, job: found };
  const secrets = await includedSecrets(ctx, backup, hearth);
  return secrets.ok ? { ok: true, job: await createJob(ctx, backup, hearth, secrets.names) } : secrets;
}

async function createJob(ctx: ArchiveReconcileContext, backup: HearthBackup, hearth: Hearth, secretNames: readonly string[]): Promise<V1Job | undefined> {
  const job = buildBackupJob(backup, hearth, ctx.tierContext, secretNames);
  await ctx.client.create(pathOf('Job', job.metadata.namespace), job);
  ctx.log?.('backup job created', { backup: `${job.metadata.namespace}/${backup.metadata.name ?? ''}`, job: job.metadata.name });
  // Read back: the API server's copy has the uid and defaults; a lost race finds the other's.
  return ((await ctx.client.get(pathOf('Job', job.metadata.namespace, job.metadata.name))) as V1Job | undefined) ?? job;
}

/** The Hearth spec the Job backs up: the one in its pod template, as written when it was made. */
function snapshotOf(job: V1Job | undefined, backup: HearthBackup): { hearthSpec?: HearthSpec } {
  if (backup.status?.hearthSpec !== undefined) return { hearthSpec: backup.status.hearthSpec };
  const text = job?.spec?.template.metadata?.annotations?.[hearthSpecAnnotation];
  if (text === undefined) return {};
  return { hearthSpec: archivedSpec(JSON.parse(text) as HearthSpec) };
}

/** Written only when it changed: every write would wake this reconcile again. */
async function writeStatus(ctx: ArchiveReconcileContext, backup: HearthBackup, status: NonNullable<HearthBackup['status']>): Promise<void> {
  if (isDeepStrictEqual(status, backup.status)) return;
  await recordPhaseChange(ctx, backup, backup.status, status);
  const path = `${pathOf('HearthBackup', backup.metadata.namespace ?? '', backup.metadata.name ?? '')}/status`;
  await ctx.client.mergePatch(path, { status: { ...nulled(backup.status, status), ...status } } satisfies { status: unknown } as KubeObject);
}

/** A merge patch keeps fields it does not name: the ones the new status drops are set to null. */
function nulled(before: object | undefined, after: object): Record<string, null> {
  return Object.fromEntries(
    Object.keys(before ?? {})
      .filter((key) => !(key in after))
      .map((key) => [key, null]),
  );
}
