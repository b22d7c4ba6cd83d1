// The Hearth resource as it travels to and from the API server (DESIGN §3). The CRD schema in
// hearth-crd.ts describes the same shape; hearth-sample.ts and its test keep the two in step.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { BackupScheduleSpec } from './hearth-backup-types.ts';

export const hearthGroup = 'hearth.dev';
export const hearthApiVersion = 'v1alpha1';
export const hearthKind = 'Hearth';
export const hearthPlural = 'hearths';

/** The Hearth release the operator rolls out when `spec.version` is not set. */
export const defaultHearthVersion = '0.1.0';
export const defaultHearthImage = 'ghcr.io/hearth/hearth';

/** In upgrade order: a Hearth may only move right (spec.tier's transition rule). */
export const hearthTiers = ['embedded', 'single', 'clustered'] as const;
export type HearthTier = (typeof hearthTiers)[number];

export const hearthPhases = ['Pending', 'Provisioning', 'Ready', 'Upgrading', 'Migrating', 'Degraded', 'Failed'] as const;
export type HearthPhase = (typeof hearthPhases)[number];

/**
 * The tier changes the operator carries out by copying the data (docs/operator.md#migrate-to-a-higher-tier): one
 * step up at a time. Any other change of spec.tier is refused by the CRD.
 */
export const tierMoves = [
  { from: 'embedded', to: 'single' },
  { from: 'single', to: 'clustered' },
] as const satisfies readonly { from: HearthTier; to: HearthTier }[];

/**
 * Where a tier migration is (status.migration.stage), in the order they come. Failed and Cancelled
 * end a migration that has not switched; Succeeded one that has.
 */
export const migrationStages = [
  'StartingBackends',
  'Copying',
  'Verifying',
  'StartingServices',
  'Switching',
  'ScalingDown',
  'Succeeded',
  'Failed',
  'Cancelled',
] as const;
export type MigrationStage = (typeof migrationStages)[number];

/** Set to any new value on a Hearth whose migration Failed: the copy runs again (a new Job). */
export const retryMigrationAnnotation = 'hearth.dev/retry-migration';

export const pullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof pullPolicies)[number];

export const redisModes = ['standalone', 'sentinel'] as const;
export type RedisMode = (typeof redisModes)[number];

export const hearthServiceNames = ['gateway', 'realtime', 'messaging'] as const;
export type HearthServiceName = (typeof hearthServiceNames)[number];

/**
 * What the operator uses for a count or mode the spec leaves out. These depend on the tier, which
 * a schema default cannot: so the CRD leaves them unset and its descriptions quote this table.
 */
export const tierDefaults = {
  single: { serviceReplicas: 1, databaseInstances: 1, natsReplicas: 1, redisMode: 'standalone' },
  clustered: { serviceReplicas: 2, databaseInstances: 3, natsReplicas: 3, redisMode: 'sentinel' },
} as const satisfies Record<Exclude<HearthTier, 'embedded'>, TierDefaults>;

export interface TierDefaults {
  serviceReplicas: number;
  databaseInstances: number;
  natsReplicas: number;
  redisMode: RedisMode;
}

export interface BackendImages {
  readonly postgres: string;
  readonly nats: string;
  readonly redis: string;
  /** The clustered tier's PostgreSQL: CloudNativePG runs only its own operand images, not the official one. */
  readonly cloudNativePG: string;
}

/**
 * The official images, each pinned to the exact release the tests run: nats-server as
 * scripts/build-nats-server.sh builds it, and the PostgreSQL and Redis releases of Debian 12 the
 * harness starts (tiers/backend-images.test.ts holds the two together); CloudNativePG's image of the
 * same PostgreSQL release, so that the clustered tier does not run whatever CloudNativePG's own
 * default has become. No floating tag: a pod restarted
 * next year runs what was tested, not whatever `postgres:16` has become.
 */
export const defaultBackendImages: BackendImages = Object.freeze({
  postgres: 'postgres:15.18',
  nats: 'nats:2.15.3',
  redis: 'redis:7.0.15',
  cloudNativePG: 'ghcr.io/cloudnative-pg/postgresql:15.18',
});

/** The most replicas (or instances) the CRD accepts for any workload; the operator may be set to allow fewer. */
export const maxReplicasCeiling = 100;

/** The smallest volume a Hearth may ask for: below it PostgreSQL, NATS or SQLite would fill it in days. */
export const minVolumeSize = '1Gi';

/** A Kubernetes resource quantity: `10Gi`, `500m`, `2`. */
export type Quantity = string | number;

export interface Hearth {
  apiVersion: `${typeof hearthGroup}/${typeof hearthApiVersion}`;
  kind: typeof hearthKind;
  metadata: V1ObjectMeta;
  spec: HearthSpec;
  status?: HearthStatus;
}

/**
 * What the user asks for. Fields marked "defaulted" are always present on an object read from
 * the API server, which fills them in from the CRD schema.
 */
export interface HearthSpec {
  /** Defaulted: `embedded`. */
  tier?: HearthTier;
  /** Defaulted: defaultHearthVersion. */
  version?: string;
  /** Defaulted: `{}` with its fields defaulted. */
  image?: ImageSpec;
  ingress?: IngressSpec;
  /** Defaulted: `{}` with its fields defaulted. */
  storage?: StorageSpec;
  /** Defaulted: `{ local: { enabled: true } }`. */
  auth?: AuthSpec;
  services?: ServicesSpec;
  database?: DatabaseSpec;
  nats?: NatsSpec;
  redis?: RedisSpec;
  /** Defaulted: `{}` with its fields defaulted. */
  observability?: ObservabilitySpec;
  /** Defaulted: `{}` with its fields defaulted. */
  features?: FeaturesSpec;
  files?: FilesSpec;
  webhooks?: WebhooksSpec;
  /** Defaulted: false. */
  paused?: boolean;
  /** Scheduled backups: a CronJob (backup/). */
  backup?: BackupScheduleSpec;
  /** Defaulted: `{}` with its fields defaulted. */
  migration?: MigrationSpec;
}

export interface MigrationSpec {
  /** Defaulted: false. Delete the old tier's volumes once the new tier serves. */
  deleteOldData?: boolean;
}

export interface ImageSpec {
  repository?: string;
  pullPolicy?: PullPolicy;
}

export interface IngressSpec {
  host: string;
  className?: string;
  tlsSecretName?: string;
}

export interface StorageSpec {
  size?: Quantity;
  storageClassName?: string;
  retainOnDelete?: boolean;
}

export interface AuthSpec {
  local?: { enabled?: boolean };
  oidc?: OidcSpec;
}

export interface OidcSpec {
  issuerURL: string;
  /** Defaulted: false. An http:// issuerURL is refused without it. */
  allowInsecureIssuer?: boolean;
  clientID: string;
  /** Required by a CEL rule rather than `required`, so that the refusal names it plainly. */
  clientSecretRef?: SecretKeyRef;
  groupsClaim?: string;
  emailVerifiedClaim?: string;
  scopes?: string[];
  adminGroups?: string[];
}

export interface SecretKeyRef {
  name: string;
  key?: string;
}

export interface SecretRef {
  name: string;
}

export interface ExternalSpec {
  secretRef: SecretRef;
}

export type ServicesSpec = { [name in HearthServiceName]?: ServiceSpec };

export interface ServiceSpec {
  replicas?: number;
  resources?: ResourceRequirements;
  autoscaling?: AutoscalingSpec;
}

export interface ResourceRequirements {
  limits?: Record<string, Quantity>;
  requests?: Record<string, Quantity>;
}

export interface AutoscalingSpec {
  minReplicas?: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage?: number;
}

export interface DatabaseSpec {
  /** The bundled PostgreSQL's image, with a tag or digest; the operator's pinned default when not set. */
  image?: string;
  instances?: number;
  storage?: { size?: Quantity };
  external?: ExternalSpec;
}

export interface NatsSpec {
  /** The bundled NATS server's image, with a tag or digest; the operator's pinned default when not set. */
  image?: string;
  replicas?: number;
  storage?: { size?: Quantity };
  external?: ExternalSpec;
}

export interface RedisSpec {
  /** The bundled Redis's image, with a tag or digest; the operator's pinned default when not set. */
  image?: string;
  mode?: RedisMode;
  external?: ExternalSpec;
}

export interface ObservabilitySpec {
  /** Defaulted: false. A ServiceMonitor (and a PodMonitor for targets without a Service). */
  serviceMonitor?: boolean;
  /** Defaulted: false. A PrometheusRule with deploy/monitoring/hearth-rules.yaml, restricted to this Hearth. */
  prometheusRule?: boolean;
  /** Defaulted: false. A ConfigMap with the Grafana dashboard (label grafana_dashboard: "1"). */
  dashboards?: boolean;
  /** Added to every object the switches above make, for a Prometheus that selects them by label. */
  labels?: Record<string, string>;
  /** An OTLP/HTTP collector endpoint; set as OTEL_EXPORTER_OTLP_ENDPOINT in every Hearth container. */
  otlpEndpoint?: string;
}

export interface WebhooksSpec {
  /** Networks or addresses a bot's webhook may be at besides public ones (HEARTH_WEBHOOK_ALLOWED_NETWORKS). */
  allowedNetworks?: string[];
}

export interface FeaturesSpec {
  search?: boolean;
  bots?: boolean;
  files?: boolean;
  /** Defaulted: true. Off sets HEARTH_PUSH=false. */
  webPush?: boolean;
}

/** The limits of file uploads (only with features.files). */
export interface FilesSpec {
  /** HEARTH_FILES_MAX_BYTES, in MiB; Hearth's default is 25. */
  maxSizeMiB?: number;
  /** HEARTH_FILES_TYPES: `image/*`, `application/pdf`, `*\/*`. */
  allowedTypes?: string[];
}

/** What the operator observed; written only through the status subresource. */
export interface HearthStatus {
  phase?: HearthPhase;
  tier?: HearthTier;
  version?: string;
  /**
   * The newest semantic version this Hearth has served: spec.version may not go below it, not
   * even by way of a tag that is no version (0.3.0 → nightly → 0.1.0).
   */
  newestVersion?: string;
  url?: string;
  observedGeneration?: number;
  conditions?: Condition[];
  migration?: MigrationStatus;
}

/** The last tier migration, as far as it got. */
export interface MigrationStatus {
  from: HearthTier;
  to: HearthTier;
  stage: MigrationStage;
  /** Records copied so far, and how many there are (from the copy Job's progress), when known. */
  copied?: number;
  total?: number;
  /** RFC 3339: when the migration began. */
  startedAt: string;
  /** The copy Job of the current attempt. */
  job?: string;
  /** The retry-migration annotation's value the current attempt was started for ('' for the first). */
  attempt?: string;
  /** Why it is waiting, or why it failed: a CamelCase reason and a message for a person. */
  reason?: string;
  message?: string;
}

/** The shape of metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  /** RFC 3339, e.g. `2026-01-02T15:04:05Z`. */
  lastTransitionTime: string;
  reason: string;
  message: string;
}
