// The names of the objects of a Hearth, all derived from its name. The CRD caps the name at 40
// characters, which leaves room for the longest suffix here and a StatefulSet's pod suffix within
// a DNS label (63).
import type { V1OwnerReference } from '@kubernetes/client-node';
import { hearthApiVersion, hearthGroup, hearthKind, hearthServiceNames, type Hearth, type HearthServiceName } from '../api/index.ts';
import { backendNames, type BackendName } from './labels.ts';

export interface HearthObjectNames {
  /** The embedded tier's StatefulSet and its Service. */
  readonly embedded: string;
  /** The one Ingress, whichever tier serves (so a tier change moves it rather than adding one). */
  readonly ingress: string;
  /** Deployment, Service and HorizontalPodAutoscaler of each service of the server tiers. */
  readonly services: Readonly<Record<HearthServiceName, string>>;
  /** StatefulSet, Service and NetworkPolicy of each bundled backend. */
  readonly backends: Readonly<Record<BackendName, string>>;
  /** The clustered tier's headless Services, which give each pod of a backend its DNS name. */
  readonly natsRoutes: string;
  readonly redisPods: string;
  /** The clustered tier's Redis Sentinels: StatefulSet, headless Service and NetworkPolicy. */
  readonly sentinel: string;
  /** What CloudNativePG makes for the Cluster named backends.postgres: its app user's Secret and the primary's Service. */
  readonly postgresApp: string;
  readonly postgresPrimary: string;
  /** Generated Secrets. */
  readonly sessionKey: string;
  readonly postgresCredentials: string;
  readonly redisCredentials: string;
  readonly natsCredentials: string;
}

export function objectNames(hearthName: string): HearthObjectNames {
  const suffixed = <K extends string>(keys: readonly K[]): Record<K, string> =>
    Object.fromEntries(keys.map((key) => [key, `${hearthName}-${key}`])) as Record<K, string>;
  return {
    embedded: hearthName,
    ingress: hearthName,
    services: suffixed(hearthServiceNames),
    backends: suffixed(backendNames),
    natsRoutes: `${hearthName}-nats-routes`,
    redisPods: `${hearthName}-redis-pods`,
    sentinel: `${hearthName}-sentinel`,
    postgresApp: `${hearthName}-postgres-app`,
    postgresPrimary: `${hearthName}-postgres-rw`,
    sessionKey: `${hearthName}-session-key`,
    postgresCredentials: `${hearthName}-postgres-credentials`,
    redisCredentials: `${hearthName}-redis-credentials`,
    natsCredentials: `${hearthName}-nats-credentials`,
  };
}

/** The volume claim template of every StatefulSet with data. */
export const dataVolumeName = 'data';

/** The claim a StatefulSet's volume claim template makes for its pod `ordinal`. */
export function dataClaimName(statefulSetName: string, ordinal = 0): string {
  return `${dataVolumeName}-${statefulSetName}-${ordinal}`;
}

/** Makes `hearth` the controlling owner: objects go with it, and it cannot go before them in foreground deletion. */
export function ownerReference(hearth: Hearth): V1OwnerReference {
  const { name, uid } = hearth.metadata;
  if (name === undefined || uid === undefined) throw new Error('a Hearth read from the API server has metadata.name and metadata.uid');
  return { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthKind, name, uid, controller: true, blockOwnerDeletion: true };
}
