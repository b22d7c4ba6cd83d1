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
  type ReconcileResult,
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
  return [createArchiveController(options, backupKind), createArchiveController(options, restoreKind)];
}

/** What tells the two controllers apart: their kind, its plural, their Jobs' component label and their reconcile. */
interface ArchiveKind<T> {
  readonly controller: 'backup' | 'restore';
  readonly name: string;
  readonly kind: string;
  readonly plural: string;
  readonly reconcile: (ctx: ArchiveReconcileContext, object: T) => Promise<ReconcileResult>;
}

const backupKind: ArchiveKind<HearthBackup> = {
  controller: 'backup',
  name: 'hearthbackup',
  kind: hearthBackupKind,
  plural: 'hearthbackups',
  reconcile: reconcileBackup,
};
const restoreKind: ArchiveKind<HearthRestore> = {
  controller: 'restore',
  name: 'hearthrestore',
  kind: hearthRestoreKind,
  plural: 'hearthrestores',
  reconcile: reconcileRestore,
};

function createArchiveController<T>(options: BackupControllerOptions, described: ArchiveKind<T>): Controller {
  const { informer, reconcile, shared } = options;
  const primary = informer<T & KubeObject>({ group: hearthGroup, version: hearthApiVersion, plural: described.plural }, {});
  const jobs = informer(resourceOf('Job'), { labelSelector: `${labelKeys.managedBy}=${managedBy},${labelKeys.component}=${described.controller}` });
  const leaderElection = options.leaderElection?.(described.controller);
  return createController({
    ...shared,
    ...(leaderElection === undefined ? {} : { leaderElection }),
    name: described.name,
    primary,
    owned: [{ informer: jobs, owner: { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: described.kind } }],
    reconcile: async (key) => {
      const object = primary.get(key);
      return object === undefined ? undefined : described.reconcile(reconcile, object);
    },
  });
}
