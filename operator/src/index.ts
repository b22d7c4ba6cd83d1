// The Hearth operator: its API, the controller core, the tiers' builders and the reconcile.
export * from './api/index.ts';
export { createOperator, loadKubeConfig, type Operator } from './operator.ts';
export { ConfigError, loadConfig, type OperatorConfig } from './config.ts';
export { operatorEntryPoint, operatorNodeArgs, operatorNodeFlags } from './node-flags.ts';
export {
  createHearthReconciler,
  createKubeClient,
  kinds,
  pathOf,
  reconcileHearth,
  watchedKinds,
  type KubeClient,
  type ReconcileContext,
} from './reconcile/index.ts';
export { buildGeneratedSecret, defaultTierContext, desiredObjects, type DesiredTier } from './tiers/index.ts';
