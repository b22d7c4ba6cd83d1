// The reconcile of a Hearth, step by step.
export { appliedHashAnnotation, ensureApplied, isSubset, isUpToDate, withAppliedHash, type AppliedObject } from './apply.ts';
export type { ApplyResult, CachedKind, ReconcileContext } from './context.ts';
export { createEventRecorder, type EventReason, type EventRecorder, type EventType } from './events.ts';
export { cleanupFinalizer, cleanupOwned, ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
export { kinds, pathOf, prunableKinds, resourceOf, watchedKinds, type OwnedKindName } from './kinds.ts';
export { createKubeClient, fieldManager, type KubeClient } from './kube-client.ts';
export { pruneUndesired } from './prune.ts';
export { createHearthReconciler, reconcileHearth } from './reconcile-hearth.ts';
export { ensureGeneratedSecrets } from './secrets.ts';
export { ensureStatus, isReady } from './status.ts';
