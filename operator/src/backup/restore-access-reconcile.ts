// The account of a restore with includeSecrets (restore-access.ts), as steps of its reconcile:
// made once the key Secret is known to serve, before the Job; taken away once the restore is over.
import type { HearthRestore, Hearth } from '../api/index.ts';
import { pathOf } from '../reconcile/kinds.ts';
import { readSecrets } from '../reconcile/secrets-checksums.ts';
import { keySecretProblem } from './archive-secrets.ts';
import type { ArchiveReconcileContext } from './backup-reconcile.ts';
import { buildRestoreAccess } from './restore-access.ts';

export type AccessOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string };

/** With includeSecrets, whether the key Secret can serve: checked before the new Hearth is made, which a failed restore would leave behind. */
export async function checkRestoreKey(ctx: ArchiveReconcileContext, restore: HearthRestore): Promise<AccessOutcome> {
  const ref = restore.spec.includeSecrets?.keySecretRef;
  if (ref === undefined) return { ok: true };
  const read = await readSecrets({ client: ctx.client }, restore.metadata.namespace ?? '', [ref.name]);
  const problem = keySecretProblem(ref, read.get(ref.name), 'spec.includeSecrets.keySecretRef');
  return problem === undefined ? { ok: true } : { ok: false, reason: 'ArchiveKeyInvalid', message: problem };
}

/** Nothing without includeSecrets; else the ServiceAccount, Role and RoleBinding created (kept if there). */
export async function ensureRestoreAccess(ctx: ArchiveReconcileContext, restore: HearthRestore, hearth: Hearth): Promise<void> {
  if (restore.spec.includeSecrets === undefined) return;
  const namespace = restore.metadata.namespace ?? '';
  const { serviceAccount, role, roleBinding } = buildRestoreAccess(restore, hearth);
  await ctx.client.create(pathOf('ServiceAccount', namespace), serviceAccount);
  await ctx.client.create(pathOf('Role', namespace), role);
  await ctx.client.create(pathOf('RoleBinding', namespace), roleBinding);
}

/** The binding first: from then on the account may create nothing, whatever of the rest is left. */
export async function revokeRestoreAccess(ctx: ArchiveReconcileContext, restore: HearthRestore, hearth: Hearth): Promise<void> {
  if (restore.spec.includeSecrets === undefined) return;
  const namespace = restore.metadata.namespace ?? '';
  const { serviceAccount, role, roleBinding } = buildRestoreAccess(restore, hearth);
  await ctx.client.delete(pathOf('RoleBinding', namespace, roleBinding.metadata.name));
  await ctx.client.delete(pathOf('Role', namespace, role.metadata.name));
  await ctx.client.delete(pathOf('ServiceAccount', namespace, serviceAccount.metadata.name));
}
