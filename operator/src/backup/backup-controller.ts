// The HearthBackup controller: HearthBackups are its primary kind, their Jobs (owned, labelled
// managed-by hearth-operator) wake it when they change. It runs beside the Hearth controller in
// the operator's process, under a Lease of its own.
import {
  createController,
  type Controller,
  type ControllerOptions,
  type Informer,
  type InformerOptions,
  type KubeObject,
  type ResourceRef,
} from '@hearth/kube-runtime';
import { hearthApiVersion, hearthBackupKind, hearthGroup, type HearthBackup } from '../api/index.ts';
import { resourceOf } from '../reconcile/kinds.ts';
import { labelKeys, managedBy } from '../tiers/labels.ts';
import { reconcileBackup, type ArchiveReconcileContext } from './backup-reconcile.ts';

/** Makes an informer of `resource` in the operator's watched namespaces (operator.ts informerIn). */
export type InformerFactory = <T extends KubeObject>(resource: ResourceRef, options: Omit<InformerOptions, 'resource' | 'http'>) => Informer<T>;

export interface BackupControllerOptions {
  readonly informer: InformerFactory;
  readonly reconcile: ArchiveReconcileContext;
  /** The controller runtime's options the operator shares (workers, resync, registry, leader election…). */
  readonly shared: Omit<ControllerOptions, 'name' | 'primary' | 'owned' | 'reconcile' | 'http'>;
}

export function createBackupController({ informer, reconcile, shared }: BackupControllerOptions): Controller {
  const primary = informer<HearthBackup & KubeObject>({ group: hearthGroup, version: hearthApiVersion, plural: 'hearthbackups' }, {});
  const jobs = informer(resourceOf('Job'), { labelSelector: `${labelKeys.managedBy}=${managedBy},${labelKeys.component}=backup` });
  return createController({
    ...shared,
    name: 'hearthbackup',
    primary,
    owned: [{ informer: jobs, owner: { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthBackupKind } }],
    reconcile: async (key) => {
      const backup = primary.get(key);
      return backup === undefined ? undefined : reconcileBackup(reconcile, backup);
    },
  });
}
