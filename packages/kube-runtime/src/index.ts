// @hearth/kube-runtime: the one public entry of the controller runtime (README.md says what it gives).
export {
  createController,
  type Controller,
  type ControllerEvent,
  type ControllerOptions,
  type LeaderElectionConfig,
  type OwnedKind,
  type Reconcile,
} from './controller.ts';
export {
  createInformer,
  isGone,
  resourceLabel,
  resourcePath,
  type Informer,
  type InformerEvent,
  type InformerHandlers,
  type InformerOptions,
  type InformerStats,
  type ResourceRef,
} from './informer.ts';
export { createOwnWrites, objectPath, type OwnWrites } from './own-writes.ts';
export { createMergedInformer, type MergedInformer } from './merged-informer.ts';
export {
  createWorkQueue,
  type ReconcileOutcome,
  type ReconcileResult,
  type ShutdownResult,
  type WorkQueue,
  type WorkQueueMetrics,
  type WorkQueueOptions,
} from './work-queue.ts';
export {
  createLeaderElector,
  leaderElectionTiming,
  type LeaderElectionEvent,
  type LeaderElector,
  type LeaderElectorOptions,
  type LeaderElectorState,
} from './leader-election.ts';
export { contentTypes, createMetricsRegistry, metricsFormatFor, type MetricsFormat, type MetricsRegistry, type MetricsRegistryOptions } from './metrics.ts';
export {
  createControllerMetrics,
  createRequestRecorder,
  reconcileResultLabel,
  requestCode,
  trackInformers,
  trackLeadership,
  type RequestOutcome,
  type RequestRecorder,
} from './controller-metrics.ts';
export { createHealthHandler, startHealthServer, type HealthCheck, type HealthHandler, type HealthServer } from './health-server.ts';
export { applyKubeConnection } from './kube-connection.ts';
export { createKubeHttp, KubeApiError, parseJson, readText, recordResponse, type KubeHttp, type KubeHttpOptions, type KubeResponse } from './kube-http.ts';
export {
  groupOf,
  objectKey,
  ownerKeys,
  specChanged,
  splitKey,
  type KubeObject,
  type ObjectMeta,
  type ObjectName,
  type OwnerKind,
  type OwnerReference,
} from './kube-object.ts';
export { backoffDelay, type BackoffPolicy } from './backoff.ts';
export { systemClock, createManualClock, type Clock, type ManualClock } from './clock.ts';
export {
  done,
  proceed,
  requeue,
  runSteps,
  toReconcileResult,
  type Continue,
  type Done,
  type ReconcileStep,
  type Requeue,
  type StepResult,
} from './reconcile-step.ts';
export { diffRelist, type RelistDiff } from './relist-diff.ts';
export { decideAttempt, decideLeadership, observeLease, type LeaseAttempt, type LeadershipChange, type LeaseObservation } from './lease-decisions.ts';
