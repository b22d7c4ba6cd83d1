// What a restore with includeSecrets runs as: a ServiceAccount of its own, bound to a Role that
// may only create Secrets in the restore's namespace: `hearth restore` creates the archive's
// Secrets through the API with that token, and can read none (an existing one is kept, not
// looked at). All three are owned by the HearthRestore, so they go with it. Pure builders.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import type { Hearth, HearthRestore } from '../api/index.ts';
import { objectMeta, type DesiredMeta } from '../tiers/desired-object.ts';
import { commonLabels } from '../tiers/labels.ts';
import { restoreLabel, restoreOwner, restoreServiceAccountName } from './restore-job.ts';

export type DesiredServiceAccount = V1ServiceAccount & { apiVersion: 'v1'; kind: 'ServiceAccount'; metadata: DesiredMeta };
export type DesiredRole = V1Role & { apiVersion: 'rbac.authorization.k8s.io/v1'; kind: 'Role'; metadata: DesiredMeta };
export type DesiredRoleBinding = V1RoleBinding & { apiVersion: 'rbac.authorization.k8s.io/v1'; kind: 'RoleBinding'; metadata: DesiredMeta };

export function restoreRoleName(restoreName: string): string {
  return `${restoreName}-restore-secrets`;
}

export interface RestoreAccess {
  readonly serviceAccount: DesiredServiceAccount;
  readonly role: DesiredRole;
  readonly roleBinding: DesiredRoleBinding;
}

/** The ServiceAccount, its Role (create secrets, nothing else) and their RoleBinding, in the order to create them. */
export function buildRestoreAccess(restore: HearthRestore, hearth: Hearth): RestoreAccess {
  const name = restore.metadata.name ?? '';
  const labels = { ...commonLabels(hearth.metadata.name ?? '', 'restore'), [restoreLabel]: name };
  const meta = (objectName: string): DesiredMeta => ({ ...objectMeta(hearth, objectName, labels), ownerReferences: [restoreOwner(restore)] });
  const account = restoreServiceAccountName(name);
  const role = restoreRoleName(name);
  return {
    // Its token is mounted only into the restore's pod, which asks for it (automountServiceAccountToken there).
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(account), automountServiceAccountToken: false },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(role),
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(role),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace: meta(account).namespace }],
    },
  };
}
