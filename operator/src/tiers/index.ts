// The tiers: pure builders from a Hearth to the objects it needs, and its status from what is observed.
export { backendImage, defaultBackendImages, defaultTierContext, hearthImage, hearthVersion, type BackendImages, type TierContext } from './context.ts';
export { desiredObjects, servingTier, type DesiredFailure, type DesiredOptions, type DesiredResult, type DesiredTier } from './desired-objects.ts';
export { buildMigrationJob, isSameStore, migrateContainerName, migrationJobName, migrationToLabel, type DesiredJob, type TierMove } from './migration-job.ts';
export {
  decideMigration,
  failureLine,
  jobState,
  lastProgress,
  migrationAttempt,
  stageEvent,
  type MigrationAction,
  type MigrationDecision,
  type MigrationFindings,
  type MigrationPhase,
  type ObservedJob,
  type Readiness,
} from './migration.ts';
export { replicaCounts, type ReplicaCount } from './replica-counts.ts';
export type {
  DesiredDeployment,
  DesiredHorizontalPodAutoscaler,
  DesiredIngress,
  DesiredKind,
  DesiredMeta,
  DesiredNetworkPolicy,
  DesiredObject,
  DesiredPodDisruptionBudget,
  DesiredPostgresCluster,
  DesiredService,
  DesiredStatefulSet,
  NetworkPolicyIngressRuleJson,
  WorkloadRef,
} from './desired-object.ts';
export { desiredEmbedded, embeddedSecrets } from './embedded.ts';
export { desiredSingle, singleSecrets } from './single.ts';
export { desiredClustered } from './clustered.ts';
export { cloudNativePGGroupVersion } from './cloudnative-pg.ts';
export { invalidResource, phaseOfError, tierErrorCodes, type TierError, type TierErrorCode } from './errors.ts';
export {
  appName,
  backendNames,
  commonLabels,
  instanceLabels,
  instanceSelector,
  labelKeys,
  managedBy,
  selectorLabels,
  toSelector,
  type BackendName,
  type Component,
  type InstanceLabels,
  type Labels,
} from './labels.ts';
export { dataClaimName, dataVolumeName, objectNames, ownerReference, type HearthObjectNames } from './names.ts';
export { buildGeneratedSecret, generatedAnnotation, type GeneratedKey, type GeneratedSecret, type RandomBytes } from './secrets.ts';
export {
  conditionTime,
  conditionTypes,
  deriveStatus,
  pausedStatus,
  pausedMessage,
  isStatusEqual,
  isSpecObserved,
  workloadState,
  type Observed,
  type StorageRefusal,
  type ObservedPod,
  type ObservedPostgresCluster,
  type ObservedWorkloads,
  type WorkloadState,
} from './status.ts';
export {
  buildDashboardConfigMap,
  buildPodMonitor,
  buildPrometheusRule,
  buildServiceMonitor,
  desiredMonitoring,
  grafanaDashboardLabel,
  monitoringConditionType,
  monitoringGroupVersion,
  monitoringNames,
  monitoringPlurals,
  needsPrometheusOperator,
  observabilityOf,
  scrapeTargets,
  type DesiredConfigMap,
  type DesiredMonitoring,
  type DesiredMonitoringObject,
  type DesiredPodMonitor,
  type DesiredPrometheusRule,
  type DesiredServiceMonitor,
  type MonitoringCondition,
  type MonitoringFound,
  type MonitoringKind,
  type ServedMonitoringKinds,
} from './observability.ts';
export { dashboardOf, hearthDashboard, hearthDashboardUid, type Dashboard } from './observability-dashboard.ts';
export { hearthMatchers, restrictExpression } from './observability-promql.ts';
export { restrictRuleGroups, ruleGroupsOf, type MonitoringRule, type Parsed, type RuleGroup } from './observability-rules.ts';
export {
  describeMissing,
  isMadeByAnotherOperator,
  missingSecretKeys,
  secretKeysUsedBy,
  secretNamesOf,
  secretNamesUsedBy,
  secretReferencesOf,
  secretsChecksum,
  secretsChecksumAnnotation,
  withSecretsChecksums,
  type SecretData,
  type SecretKeyUse,
  type SecretReference,
  type SecretsRead,
} from './secret-checksums.ts';
export {
  cloudNativePGRefusal,
  refusalOf,
  rotateSecretsAnnotation,
  rotateSecretsOnlyAnnotation,
  rotationDecisions,
  rotationRequest,
  rotationRequestAnnotation,
  type RotationDecision,
} from './secret-rotation.ts';
export {
  decidePostgresRotation,
  rotationFailedMessage,
  type ObservedPasswordJob,
  type ObservedPasswordSecret,
  type PostgresRotationAction,
  type PostgresRotationFindings,
} from './secret-rotation-postgres.ts';
export {
  alterRoleScript,
  buildPendingPasswordSecret,
  buildPostgresPasswordJob,
  buildRotatedCredentials,
  currentPasswordVariable,
  newPasswordVariable,
  passwordContainerName,
  passwordJobName,
  pendingPasswordSecretName,
  pendingSecretLabel,
} from './postgres-password-job.ts';
export { postgresPasswordKey } from './postgres.ts';
