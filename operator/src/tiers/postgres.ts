// PostgreSQL: one server on a volume (the single tier), CloudNativePG's Cluster (the clustered
// tier, cloudnative-pg.ts), or an external one named by a Secret.
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { buildBackend, externalUrlKey, type BackendPort } from './backend.ts';
import { backendImage, type TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { commonLabels } from './labels.ts';
import { dataVolumeName, objectNames } from './names.ts';
import { claimTemplate, emptyDirVolume, execProbe, imageUsers, resourceRequirements, secretEnv, tmpMount, tmpVolume, valueEnv } from './pod.ts';
import { buildPostgresCluster, cloudNativePGEnv } from './cloudnative-pg.ts';
import type { GeneratedSecret } from './secrets.ts';

export const postgresPort: BackendPort = { name: 'postgres', port: 5432 };
export const postgresUser = 'hearth';
export const postgresDatabase = 'hearth';
export const postgresPasswordKey = 'password';
export const defaultPostgresStorageSize = '10Gi';

export const postgresResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { memory: '1Gi' },
});

const dataDir = '/var/lib/postgresql/data';

/** The clustered tier's PostgreSQL is CloudNativePG's (cloudnative-pg.ts), unless external. */
function isDelegated(hearth: Hearth): boolean {
  return hearth.spec.tier === 'clustered' && hearth.spec.database?.external === undefined;
}

export function desiredPostgres(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  if (hearth.spec.database?.external !== undefined) return [];
  if (isDelegated(hearth)) return [buildPostgresCluster(hearth, ctx)];
  const instance = hearth.metadata.name ?? '';
  const ready = execProbe(['pg_isready', '--host=127.0.0.1', `--port=${postgresPort.port}`, `--username=${postgresUser}`, `--dbname=${postgresDatabase}`], {
    periodSeconds: 5,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  return buildBackend(hearth, {
    backend: 'postgres',
    name: objectNames(hearth.metadata.name ?? '').backends.postgres,
    image: backendImage(hearth, ctx, 'postgres'),
    port: postgresPort,
    // A tier migration's copy Job reads from it (single → clustered) or writes to it (embedded → single);
    // the pods of backups and restores (backup/) read and write the store too; the rotation Job
    // changes its password (postgres-password-job.ts).
    admit: ['migration', 'backup', 'restore', 'rotation'],
    user: imageUsers.postgres,
    container: {
      env: [
        valueEnv('POSTGRES_USER', postgresUser),
        valueEnv('POSTGRES_DB', postgresDatabase),
        secretEnv('POSTGRES_PASSWORD', objectNames(instance).postgresCredentials, postgresPasswordKey),
        // A subdirectory: initdb refuses a mount point's root, which may hold lost+found.
        valueEnv('PGDATA', `${dataDir}/pgdata`),
      ],
      resources: resourceRequirements(undefined, postgresResources),
      volumeMounts: [{ name: dataVolumeName, mountPath: dataDir }, { name: 'run', mountPath: '/var/run/postgresql' }, tmpMount],
      // The first start runs initdb behind a socket-only server, which pg_isready on TCP does not see.
      startupProbe: { ...ready, periodSeconds: 5, failureThreshold: 60 },
      livenessProbe: { ...ready, periodSeconds: 10, failureThreshold: 6 },
      readinessProbe: ready,
    },
    volumes: [emptyDirVolume('run', '16Mi'), tmpVolume],
    claims: [
      claimTemplate(
        dataVolumeName,
        hearth.spec.database?.storage?.size ?? defaultPostgresStorageSize,
        hearth.spec.storage?.storageClassName,
        commonLabels(instance, 'postgres'),
      ),
    ],
  });
}

export function postgresSecrets(hearth: Hearth): GeneratedSecret[] {
  if (hearth.spec.database?.external !== undefined || isDelegated(hearth)) return [];
  return [
    {
      name: objectNames(hearth.metadata.name ?? '').postgresCredentials,
      component: 'postgres',
      opensVolumesOf: 'postgres',
      keys: [{ key: postgresPasswordKey, bytes: 24, encoding: 'hex', description: `password of the PostgreSQL user ${postgresUser}` }],
    },
  ];
}

/** HEARTH_DATABASE_URL: from the external Secret, or assembled around the generated password. */
export function postgresEnv(hearth: Hearth): V1EnvVar[] {
  const external = hearth.spec.database?.external;
  if (external !== undefined) return [secretEnv('HEARTH_DATABASE_URL', external.secretRef.name, externalUrlKey)];
  if (isDelegated(hearth)) return cloudNativePGEnv(hearth);
  const names = objectNames(hearth.metadata.name ?? '');
  return [
    // Defined before the URL: Kubernetes expands $(VAR) only from variables listed earlier.
    secretEnv('DATABASE_PASSWORD', names.postgresCredentials, postgresPasswordKey),
    valueEnv('HEARTH_DATABASE_URL', `postgres://${postgresUser}:$(DATABASE_PASSWORD)@${names.backends.postgres}:${postgresPort.port}/${postgresDatabase}`),
  ];
}
