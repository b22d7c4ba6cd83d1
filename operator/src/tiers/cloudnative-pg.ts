// The clustered tier's PostgreSQL, delegated to CloudNativePG: a `Cluster` of
// spec.database.instances (a primary and standbys, at least 2), with synchronous replication, whose
// `<cluster>-rw` Service follows the primary through a failover and whose `<cluster>-app` Secret
// holds the app user's password. CloudNativePG makes the Cluster own its volume claims, so the
// Cluster is never owned by the Hearth: the garbage collector would otherwise delete the data with
// it. The finalizer deletes it or keeps it, as spec.storage.retainOnDelete says.
import type { V1EnvVar } from '@kubernetes/client-node';
import { tierDefaults, type Hearth } from '../api/index.ts';
import { unownedMeta, type DesiredPostgresCluster } from './desired-object.ts';
import { backendImage, type TierContext } from './context.ts';
import { commonLabels } from './labels.ts';
import { objectNames } from './names.ts';
import { quantity, secretEnv, valueEnv } from './pod.ts';
import { defaultPostgresStorageSize, postgresDatabase, postgresPort, postgresUser } from './postgres.ts';

/** The API group CloudNativePG serves its Cluster in; the operator looks for it before building one. */
export const cloudNativePGGroupVersion = 'postgresql.cnpg.io/v1';
/** The key of the password in CloudNativePG's `<cluster>-app` Secret. */
export const cloudNativePGPasswordKey = 'password';

export function postgresInstances(hearth: Hearth): number {
  return hearth.spec.database?.instances ?? tierDefaults.clustered.databaseInstances;
}

/**
 * One standby must have the commit before the primary acknowledges it, so a failover loses nothing
 * acknowledged. With 3 or more instances that is required (one standby may be down); with 2 it is
 * preferred, or the loss of the only standby would stop every write.
 */
export function buildPostgresCluster(hearth: Hearth, ctx: TierContext): DesiredPostgresCluster {
  const instance = hearth.metadata.name ?? '';
  const instances = postgresInstances(hearth);
  const storageClass = hearth.spec.storage?.storageClassName;
  // Always named: left out, CloudNativePG would run its own default, which moves with its releases.
  const image = backendImage(hearth, ctx, 'cloudNativePG');
  return {
    apiVersion: cloudNativePGGroupVersion,
    kind: 'Cluster',
    metadata: unownedMeta(hearth, objectNames(instance).backends.postgres, commonLabels(instance, 'postgres')),
    spec: {
      instances,
      imageName: image,
      storage: { size: quantity(hearth.spec.database?.storage?.size ?? defaultPostgresStorageSize), ...(storageClass === undefined ? {} : { storageClass }) },
      bootstrap: { initdb: { database: postgresDatabase, owner: postgresUser } },
      postgresql: { synchronous: { method: 'any', number: 1, dataDurability: instances >= 3 ? 'required' : 'preferred' } },
      affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'preferred', topologyKey: 'kubernetes.io/hostname' },
    },
  };
}

/** HEARTH_DATABASE_URL through the primary's Service, with the password CloudNativePG generated. */
export function cloudNativePGEnv(hearth: Hearth): V1EnvVar[] {
  const names = objectNames(hearth.metadata.name ?? '');
  return [
    secretEnv('DATABASE_PASSWORD', names.postgresApp, cloudNativePGPasswordKey),
    valueEnv('HEARTH_DATABASE_URL', `postgres://${postgresUser}:$(DATABASE_PASSWORD)@${names.postgresPrimary}:${postgresPort.port}/${postgresDatabase}`),
  ];
}
