// The reconcile of one HearthRestore: find the archive, create the new Hearth (never over one that
// exists), then run the restore Job into it and let the status follow the Job.
import { isDeepStrictEqual } from 'node:util';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { ReconcileResult } from '@hearth/kube-runtime';
import {
  hearthApiVersion,
  hearthGroup,
  hearthKind,
  type ArchiveDestination,
  type Hearth,
  type HearthBackup,
  type HearthRestore,
  type HearthSpec,
} from '../api/index.ts';
import { pathOf } from '../reconcile/kinds.ts';
import { conditionTime } from '../tiers/index.ts';
import { archiveFileOf, archiveLocationOf, archivePlace } from './archive-job.ts';
import { decideArchiveStatus, decideBlockedStatus, isFinished, type ArchiveFindings } from './archive-status.ts';
import { recordPhaseChange, type ArchiveReconcileContext } from './backup-reconcile.ts';
import { checkRestoreKey, ensureRestoreAccess, revokeRestoreAccess } from './restore-access-reconcile.ts';
import { buildRestoreJob, restoredByAnnotation, restoreJobName } from './restore-job.ts';

/** The archive to restore and the spec to restore it with, or why they are not known (yet). */
type Source =
  | { readonly ok: true; readonly destination: ArchiveDestination; readonly archive: string; readonly location: string; readonly spec: HearthSpec }
  | { readonly ok: false; readonly reason: string; readonly message: string; readonly final: boolean };

type RestoreStatus = NonNullable<HearthRestore['status']>;

export async function reconcileRestore(ctx: ArchiveReconcileContext, restore: HearthRestore): Promise<ReconcileResult> {
  if (restore.metadata.deletionTimestamp !== undefined || isFinished(restore.status)) return;
  const namespace = restore.metadata.namespace ?? '';
  const base = { now: conditionTime(ctx.now()), generation: restore.metadata.generation, pods: [] };
  const source = await sourceOf(ctx, restore);
  if (!source.ok) return blocked(ctx, restore, { ...base, job: undefined, blocked: source }, source.final);
  const hearth = await ensureHearth(ctx, restore, source.spec);
  if (!hearth.ok) return blocked(ctx, restore, { ...base, job: undefined, blocked: hearth }, hearth.final);
  const name = restoreJobName(restore.metadata.name ?? '');
  const job = await ensureRestoreJob(ctx, restore, hearth.hearth, source);
  const pods = (await ctx.client.list(pathOf('Pod', namespace), `job-name=${name}`)) as unknown as V1Pod[];
  const status: RestoreStatus = { ...decideArchiveStatus({ ...base, job, pods }, restore.status), archive: source.location, hearthSpec: source.spec };
  // A finished restore creates no more Secrets: its account goes now, not only with the HearthRestore.
  if (isFinished(status)) await revokeRestoreAccess(ctx, restore, hearth.hearth);
  await writeStatus(ctx, restore, status);
  return;
}

/** The Job, made once; with includeSecrets, after the account it runs as. */
async function ensureRestoreJob(ctx: ArchiveReconcileContext, restore: HearthRestore, hearth: Hearth, source: Source & { ok: true }): Promise<V1Job> {
  const namespace = restore.metadata.namespace ?? '';
  const name = restoreJobName(restore.metadata.name ?? '');
  const found = (await ctx.client.get(pathOf('Job', namespace, name))) as V1Job | undefined;
  if (found !== undefined) return found;
  // The account the restore step creates Secrets as is there before the pod that uses it.
  await ensureRestoreAccess(ctx, restore, hearth);
  const built = buildRestoreJob({ restore, hearth, ctx: ctx.tierContext, destination: source.destination, archive: source.archive });
  await ctx.client.create(pathOf('Job', namespace), built);
  return ((await ctx.client.get(pathOf('Job', namespace, name))) as V1Job | undefined) ?? built;
}

async function blocked(ctx: ArchiveReconcileContext, restore: HearthRestore, findings: ArchiveFindings, final: boolean): Promise<ReconcileResult> {
  // Final: nothing will change it (a Hearth of that name was there, the backup failed, no key).
  await writeStatus(ctx, restore, decideBlockedStatus(findings, restore.status, final));
  return final ? undefined : { requeueAfterMs: ctx.retryMs };
}

/** The archive, once the key Secret of includeSecrets (if any) can serve: a missing key is final, the spec cannot change. */
async function sourceOf(ctx: ArchiveReconcileContext, restore: HearthRestore): Promise<Source> {
  const key = await checkRestoreKey(ctx, restore);
  return key.ok ? archiveOf(ctx, restore) : { ...key, final: true };
}

/** The archive: a HearthBackup's (once it succeeded), or one named in a claim or a bucket. */
async function archiveOf(ctx: ArchiveReconcileContext, restore: HearthRestore): Promise<Source> {
  const { source, hearth } = restore.spec;
  if (source.backupRef === undefined) return namedSource(restore);
  const backup = (await ctx.client.get(pathOf('HearthBackup', restore.metadata.namespace ?? '', source.backupRef.name))) as HearthBackup | undefined;
  const archive = backup?.status?.archive;
  if (backup === undefined || archive === undefined) return backupNotReady(source.backupRef.name, backup);
  const spec = hearth.spec ?? backup.status?.hearthSpec ?? {};
  return { ok: true, destination: backup.spec.destination, archive: archiveFileOf(archive, backup.spec.destination), location: archive, spec };
}

/** An archive by name in a claim or a bucket; the CRD demands a spec with it. */
function namedSource({ spec: { source, hearth } }: HearthRestore): Source {
  const destination: ArchiveDestination =
    source.s3 !== undefined ? { s3: source.s3 } : { ...(source.volumeClaim === undefined ? {} : { volumeClaim: source.volumeClaim }) };
  const archive = `${archivePlace(destination)}/${source.archive ?? ''}`;
  return { ok: true, destination, archive, location: archiveLocationOf(archive, destination), spec: hearth.spec ?? {} };
}

/** A backup with no archive (yet): waited for, unless it failed. */
function backupNotReady(name: string, backup: HearthBackup | undefined): Source {
  const final = backup?.status?.phase === 'Failed';
  const why = backup === undefined ? 'does not exist' : final ? 'failed' : 'has not succeeded yet';
  return { ok: false, reason: 'BackupNotReady', message: `HearthBackup ${name} ${why}: there is no archive to restore`, final };
}

type EnsuredHearth =
  { readonly ok: true; readonly hearth: Hearth } | { readonly ok: false; readonly reason: string; readonly message: string; readonly final: boolean };

/**
 * The new Hearth, made by this restore (its annotation says so). One of that name that this
 * restore did not make is refused: a restore never goes into a Hearth that may hold data.
 */
async function ensureHearth(ctx: ArchiveReconcileContext, restore: HearthRestore, spec: HearthSpec): Promise<EnsuredHearth> {
  const namespace = restore.metadata.namespace ?? '';
  const name = restore.spec.hearth.name;
  const marker = restore.metadata.uid ?? '';
  let hearth = ctx.getHearth(`${namespace}/${name}`);
  if (hearth === undefined) {
    const made = {
      apiVersion: `${hearthGroup}/${hearthApiVersion}`,
      kind: hearthKind,
      metadata: { name, namespace, annotations: { [restoredByAnnotation]: marker } },
      spec,
    };
    const created = await ctx.client.create(pathOf('Hearth', namespace), made);
    if (created) await ctx.events?.record(restore, 'Normal', 'Created', `Created Hearth ${name} to restore into`);
    hearth = ctx.getHearth(`${namespace}/${name}`);
    // Not in the cache yet: the next reconcile, woken by the status below, finds it.
    if (hearth === undefined) return { ok: false, reason: 'CreatingHearth', message: `creating Hearth ${name}`, final: false };
  }
  if (hearth.metadata.annotations?.[restoredByAnnotation] !== marker)
    return {
      ok: false,
      reason: 'HearthExists',
      message: `a Hearth named ${name} already exists in ${namespace}: a restore only creates a new Hearth, never restores over one (choose another spec.hearth.name, or delete that Hearth and its volumes first)`,
      final: true,
    };
  return { ok: true, hearth };
}

async function writeStatus(ctx: ArchiveReconcileContext, restore: HearthRestore, status: RestoreStatus): Promise<void> {
  if (isDeepStrictEqual(status, restore.status)) return;
  await recordPhaseChange(ctx, restore, restore.status, status);
  const path = `${pathOf('HearthRestore', restore.metadata.namespace ?? '', restore.metadata.name ?? '')}/status`;
  await ctx.client.mergePatch(path, { status });
}
