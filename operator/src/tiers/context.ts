// What the operator brings to every build: its defaults for the Hearth image and version and the
// images of the bundled backends (overridable for a mirror or an air-gapped registry).
import {
  defaultBackendImages,
  defaultHearthImage,
  defaultHearthVersion,
  maxReplicasCeiling,
  type BackendImages,
  type Hearth,
  type PullPolicy,
} from '../api/index.ts';

export { defaultBackendImages, type BackendImages };

export interface TierContext {
  /** Image repository when spec.image.repository is not set. */
  readonly image: string;
  /** Hearth release when spec.version is not set (the API server defaults it, so rarely used). */
  readonly version: string;
  readonly backendImages: BackendImages;
  /**
   * The most pods a Hearth may ask for in one workload (HEARTH_OPERATOR_MAX_REPLICAS). The CRD caps
   * every count at maxReplicasCeiling; a platform team may allow fewer.
   */
  readonly maxReplicas: number;
  /** Whether the cluster serves CloudNativePG's Cluster (postgresql.cnpg.io/v1): the clustered tier's PostgreSQL. */
  readonly cloudNativePG: boolean;
}

/** The image of a bundled backend: the Hearth's own choice (spec.<backend>.image), else the operator's. */
export function backendImage(hearth: Hearth, ctx: TierContext, backend: keyof BackendImages): string {
  const spec = { postgres: hearth.spec.database, nats: hearth.spec.nats, redis: hearth.spec.redis, cloudNativePG: hearth.spec.database }[backend];
  return spec?.image ?? ctx.backendImages[backend];
}

export const defaultTierContext: TierContext = Object.freeze({
  image: defaultHearthImage,
  version: defaultHearthVersion,
  backendImages: defaultBackendImages,
  maxReplicas: maxReplicasCeiling,
  cloudNativePG: false,
});

export function hearthVersion(hearth: Hearth, ctx: TierContext): string {
  return hearth.spec.version ?? ctx.version;
}

/** `<repository>:<version>`: the tag is always spec.version, so changing it rolls every Hearth pod. */
export function hearthImage(hearth: Hearth, ctx: TierContext): string {
  return `${hearth.spec.image?.repository ?? ctx.image}:${hearthVersion(hearth, ctx)}`;
}

export function imagePullPolicy(hearth: Hearth): PullPolicy {
  return hearth.spec.image?.pullPolicy ?? 'IfNotPresent';
}
