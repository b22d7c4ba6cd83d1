// Redis: one server with a generated password (the single tier), a master and a replica watched
// by three Sentinels (the clustered tier, redis-sentinel.ts), or an external one named by a
// Secret. It keeps nothing on disk: presence, typing and rate limits are short-lived by design
// (docs/operations.md), and the API has no size for a Redis volume.
import type { V1EnvVar, V1Probe, V1ResourceRequirements } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { buildBackend, externalUrlKey, type BackendPort } from './backend.ts';
import { backendImage, type TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { objectNames } from './names.ts';
import { emptyDirVolume, execProbe, imageUsers, resourceRequirements, secretEnv, valueEnv } from './pod.ts';
import { desiredRedisSentinel, isSentinelMode, sentinelUrl } from './redis-sentinel.ts';
import type { GeneratedSecret } from './secrets.ts';

export const redisPort: BackendPort = { name: 'redis', port: 6379 };
export const redisPasswordKey = 'password';

export const redisResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '256Mi' },
});

/** redis-cli's exit code does not tell an error reply (NOAUTH, LOADING) from PONG; the output does. */
export function redisPingProbe(port: number): V1Probe {
  return execProbe(['sh', '-c', `redis-cli -h 127.0.0.1 -p ${port} ping | grep -q PONG`], { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 });
}

export function desiredRedis(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  if (hearth.spec.redis?.external !== undefined) return [];
  if (isSentinelMode(hearth)) return desiredRedisSentinel(hearth, ctx);
  const credentials = objectNames(hearth.metadata.name ?? '').redisCredentials;
  return buildBackend(hearth, {
    backend: 'redis',
    name: objectNames(hearth.metadata.name ?? '').backends.redis,
    image: backendImage(hearth, ctx, 'redis'),
    port: redisPort,
    user: imageUsers.redis,
    container: {
      // No snapshots, no append-only file: nothing here outlives its TTL.
      args: ['--requirepass', '$(REDIS_PASSWORD)', '--save', '', '--appendonly', 'no'],
      env: [secretEnv('REDIS_PASSWORD', credentials, redisPasswordKey), secretEnv('REDISCLI_AUTH', credentials, redisPasswordKey)],
      resources: resourceRequirements(undefined, redisResources),
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      livenessProbe: { tcpSocket: { port: redisPort.name }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: redisPingProbe(redisPort.port),
    },
    volumes: [emptyDirVolume('data', '64Mi')],
  });
}

export function redisSecrets(hearth: Hearth): GeneratedSecret[] {
  if (hearth.spec.redis?.external !== undefined) return [];
  return [
    {
      name: objectNames(hearth.metadata.name ?? '').redisCredentials,
      component: 'redis',
      keys: [
        {
          key: redisPasswordKey,
          bytes: 24,
          encoding: 'hex',
          description: 'password of the bundled Redis (requirepass, and masterauth between master and replica)',
        },
      ],
    },
  ];
}

export function redisEnv(hearth: Hearth): V1EnvVar[] {
  const external = hearth.spec.redis?.external;
  if (external !== undefined) return [secretEnv('HEARTH_REDIS_URL', external.secretRef.name, externalUrlKey)];
  const names = objectNames(hearth.metadata.name ?? '');
  const url = isSentinelMode(hearth) ? sentinelUrl(hearth, '$(REDIS_PASSWORD)') : `redis://:$(REDIS_PASSWORD)@${names.backends.redis}:${redisPort.port}`;
  return [secretEnv('REDIS_PASSWORD', names.redisCredentials, redisPasswordKey), valueEnv('HEARTH_REDIS_URL', url)];
}
