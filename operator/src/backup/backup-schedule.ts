// spec.backup of a Hearth, as a step of its reconcile: the CronJob applied while spec.backup is
// set, deleted once it is not. The archives it wrote are never touched here.
import { proceed, type StepResult } from '@hearth/kube-runtime';
import type { BackupScheduleSpec, Hearth } from '../api/index.ts';
import { ensureApplied, liveObject } from '../reconcile/apply.ts';
import { hearthNamespace, isOwnedBy, type ReconcileContext } from '../reconcile/context.ts';
import { pathOf } from '../reconcile/kinds.ts';
import { readSecrets } from '../reconcile/secrets-checksums.ts';
import { decideIncludedSecrets, secretsToInclude, type IncludedSecrets } from './archive-secrets.ts';
import type { DesiredObject } from '../tiers/index.ts';
import { backupCronJobName, buildBackupCronJob } from './backup-jobs.ts';

/** Applies or deletes the CronJob; returns what it did, for the Hearth's Events. */
export async function ensureBackupSchedule(ctx: ReconcileContext, hearth: Hearth): Promise<string | undefined> {
  const name = backupCronJobName(hearth.metadata.name ?? '');
  const schedule = hearth.spec.backup;
  if (schedule === undefined) {
    const live = await liveObject(ctx, 'CronJob', hearthNamespace(hearth), name);
    if (live === undefined || !isOwnedBy(live, hearth)) return undefined;
    await ctx.client.delete(pathOf('CronJob', hearthNamespace(hearth), name));
    return `Deleted CronJob ${name}: spec.backup was removed (its archives are kept)`;
  }
  const secrets = await includedSecrets(ctx, hearth, schedule);
  if (!secrets.ok) {
    // The CronJob as it was (if any) goes on: a backup without the new setting beats none.
    await ctx.events.record(hearth, 'Warning', 'ArchiveKeyInvalid', `CronJob ${name} not applied: ${secrets.message}`);
    return undefined;
  }
  // The CronJob is not one of the tier's objects, but it is applied the same way (only when changed).
  const cronJob = buildBackupCronJob(hearth, schedule, ctx.tierContext, secrets.names) as unknown as DesiredObject;
  const [applied] = await ensureApplied(ctx, [cronJob]);
  if (applied === undefined || applied.result === 'unchanged') return undefined;
  return `${applied.result === 'created' ? 'Created' : 'Updated'} CronJob ${name}: ${schedule.schedule}, keeping ${schedule.retention}${secretsNote(schedule, secrets.names)}`;
}

/** `hearth backup` takes no empty --secrets-dir: with no Secret to keep the backups go on without, and the Event says so. */
function secretsNote(schedule: BackupScheduleSpec, names: readonly string[]): string {
  return schedule.includeSecrets !== undefined && names.length === 0 ? ' (no Secret the spec names exists: no Secret value is kept)' : '';
}

/** With includeSecrets, the Secrets the spec names that exist, once the key Secret is known to serve. */
async function includedSecrets(ctx: ReconcileContext, hearth: Hearth, schedule: BackupScheduleSpec): Promise<IncludedSecrets> {
  const include = schedule.includeSecrets;
  if (include === undefined) return { ok: true, names: [] };
  const wanted = secretsToInclude(hearth);
  const read = await readSecrets(ctx, hearthNamespace(hearth), [include.keySecretRef.name, ...wanted]);
  return decideIncludedSecrets(include, wanted, read, 'spec.backup.includeSecrets');
}

/** The reconcile step: after the tier's objects, whose store the backups read. */
export async function ensureBackupScheduleStep(state: { readonly ctx: ReconcileContext; readonly hearth: Hearth }): Promise<StepResult> {
  const said = await ensureBackupSchedule(state.ctx, state.hearth);
  if (said !== undefined) await state.ctx.events.record(state.hearth, 'Normal', said.startsWith('Deleted') ? 'Deleted' : 'Created', said);
  return proceed;
}
