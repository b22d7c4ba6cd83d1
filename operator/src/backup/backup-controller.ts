// The HearthBackup and HearthRestore controllers: each kind is the primary of one, and its Jobs
// (owned, labelled managed-by hearth-operator) wake it when they change. They run beside the
// Hearth controller in the operator's process, each under a Lease of its own.
import {
  createController,
  type Controller,
  type ControllerOptions,
  type Informer,
  type InformerOptions,
  type KubeObject,
  type ResourceRef,
} from '@hearth/kube-runtime';
import { hearthApiVersion, hearthBackupKind, hearthGroup, hearthRestoreKind, type HearthBackup, type HearthRestore } from '../api/index.ts';
import { resourceOf } from '../reconcile/kinds.ts';
import { labelKeys, managedBy } from '../tiers/labels.ts';
import { reconcileBackup, type ArchiveReconcileContext } from './backup-reconcile.ts';
import { reconcileRestore } from './restore-reconcile.ts';

/** Makes an informer of `resource` in the operator's watched namespaces (operator.ts informerIn). */
export type InformerFactory = <T extends KubeObject>(resource: ResourceRef, options: Omit<InformerOptions, 'resource' | 'http'>) => Informer<T>;

export interface BackupControllerOptions {
  readonly informer: InformerFactory;
  readonly reconcile: ArchiveReconcileContext;
  /** The controller runtime's options the operator shares (workers, resync, registry, leader election…). */
  readonly shared: Omit<ControllerOptions, 'name' | 'primary' | 'owned' | 'reconcile' | 'http' | 'leaderElection'>;
  /** The Lease of each controller, or undefined without leader election. */
  readonly leaderElection?: (controller: 'backup' | 'restore') => ControllerOptions['leaderElection'];
}

/** The HearthBackup and HearthRestore controllers. */
export function createArchiveControllers(options: BackupControllerOptions): Controller[] {
  return [createBackupController(options), createRestoreController(options)];
}

function election(options: BackupControllerOptions, controller: 'backup' | 'restore'): Pick<ControllerOptions, 'leaderElection'> {
  const leaderElection = options.leaderElection?.(controller);
  return leaderElection === undefined ? {} : { leaderElection };
}

export function createRestoreController(options: BackupControllerOptions): Controller {
  const { informer, reconcile, shared } = options;
  const primary = informer<HearthRestore & KubeObject>({ group: hearthGroup, version: hearthApiVersion, plural: 'hearthrestores' }, {});
  const jobs = informer(resourceOf('Job'), { labelSelector: `${labelKeys.managedBy}=${managedBy},${labelKeys.component}=restore` });
  return createController({
    ...shared,
    ...election(options, 'restore'),
    name: 'hearthrestore',
    primary,
    owned: [{ informer: jobs, owner: { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthRestoreKind } }],
    reconcile: async (key) => {
      const restore = primary.get(key);
      return restore === undefined ? undefined : reconcileRestore(reconcile, restore);
    },
  });
}

export function createBackupController(options: BackupControllerOptions): Controller {
  const { informer, reconcile, shared } = options;
  const primary = informer<HearthBackup & KubeObject>({ group: hearthGroup, version: hearthApiVersion, plural: 'hearthbackups' }, {});
  const jobs = informer(resourceOf('Job'), { labelSelector: `${labelKeys.managedBy}=${managedBy},${labelKeys.component}=backup` });
  return createController({
    ...shared,
    ...election(options, 'backup'),
    name: 'hearthbackup',
    primary,
    owned: [{ informer: jobs, owner: { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthBackupKind } }],
    reconcile: async (key) => {
      const backup = primary.get(key);
      return backup === undefined ? undefined : reconcileBackup(reconcile, backup);
    },
  });
}
