// The clustered tier's Redis: a master and a replica, watched by three Sentinels that promote the
// replica when the master goes. The services ask the Sentinels for the master (a
// redis-sentinel:// URL, which ioredis follows through a failover).
//
// Each pod finds its part when it starts: a Redis pod asks the Sentinels for the master and
// replicates from it (the first pod is master only when no Sentinel knows one yet, so a restarted
// old master comes back as a replica); a Sentinel asks the other Sentinels. Every pod announces its
// stable DNS name, never its pod IP, which changes on restart.
import type { Hearth } from '../api/index.ts';
import { tierDefaults } from '../api/index.ts';
import { buildBackend, type BackendPort } from './backend.ts';
import { backendImage, type TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { objectNames } from './names.ts';
import { emptyDirVolume, execProbe, imageUsers, resourceRequirements, secretEnv, valueEnv } from './pod.ts';
import { redisPasswordKey, redisPingProbe, redisPort, redisResources } from './redis.ts';

export const sentinelPort: BackendPort = { name: 'sentinel', port: 26379 };
/** The name the Sentinels know the master by; the last part of the services' redis-sentinel:// URL. */
export const sentinelMasterName = 'hearth';
/** A master, and a replica to promote. */
export const redisServers = 2;
/** Three, so that two agree (the quorum) with any one of them gone. */
export const sentinelCount = 3;
export const sentinelQuorum = 2;

export function isSentinelMode(hearth: Hearth): boolean {
  if (hearth.spec.tier !== 'clustered' || hearth.spec.redis?.external !== undefined) return false;
  return (hearth.spec.redis?.mode ?? tierDefaults.clustered.redisMode) === 'sentinel';
}

/** redis-sentinel://:<password>@<each Sentinel>/hearth, as the services' HEARTH_REDIS_URL reads it. */
export function sentinelUrl(hearth: Hearth, password: string): string {
  return `redis-sentinel://:${password}@${sentinelHosts(hearth)
    .map((host) => `${host}:${sentinelPort.port}`)
    .join(',')}/${sentinelMasterName}`;
}

function sentinelHosts(hearth: Hearth): string[] {
  const names = objectNames(hearth.metadata.name ?? '');
  return Array.from({ length: sentinelCount }, (_, i) => `${names.sentinel}-${i}.${names.sentinel}`);
}

/** Asks each Sentinel in $SENTINELS for the master's name; prints it, or nothing if none knows. Sentinels take no password. */
// Functions, not constants: redis.ts and this module import each other.
const askSentinels = (): string => `ask() {
  for s in $SENTINELS; do
    m=$(env -u REDISCLI_AUTH redis-cli -h "$s" -p ${sentinelPort.port} sentinel get-master-addr-by-name ${sentinelMasterName} 2>/dev/null | head -n 1) || true
    if [ -n "$m" ]; then echo "$m"; return; fi
  done
}`;

const redisStart = (): string => `set -eu
${askSentinels()}
master=$(ask)
if [ -z "$master" ]; then master="$FIRST_MASTER"; fi
set -- --port ${redisPort.port} --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD" --replica-announce-ip "$ME" --save '' --appendonly no
if [ "$master" != "$ME" ]; then set -- "$@" --replicaof "$master" ${redisPort.port}; fi
exec redis-server "$@"`;

const sentinelStart = (): string => `set -eu
${askSentinels()}
master=$(ask)
if [ -z "$master" ]; then master="$FIRST_MASTER"; fi
cat > /sentinel/sentinel.conf <<CONF
port ${sentinelPort.port}
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $ME
sentinel monitor ${sentinelMasterName} $master ${redisPort.port} ${sentinelQuorum}
sentinel auth-pass ${sentinelMasterName} $REDIS_PASSWORD
sentinel down-after-milliseconds ${sentinelMasterName} 5000
sentinel failover-timeout ${sentinelMasterName} 30000
sentinel parallel-syncs ${sentinelMasterName} 1
CONF
exec redis-server /sentinel/sentinel.conf --sentinel`;

export function desiredRedisSentinel(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  const names = objectNames(hearth.metadata.name ?? '');
  const image = backendImage(hearth, ctx, 'redis');
  const env = (podsService: string): ReturnType<typeof valueEnv>[] => [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    valueEnv('ME', `$(POD_NAME).${podsService}`),
    valueEnv('FIRST_MASTER', `${names.backends.redis}-0.${names.redisPods}`),
    valueEnv('SENTINELS', sentinelHosts(hearth).join(' ')),
    secretEnv('REDIS_PASSWORD', names.redisCredentials, redisPasswordKey),
    secretEnv('REDISCLI_AUTH', names.redisCredentials, redisPasswordKey),
  ];
  const redis = buildBackend(hearth, {
    backend: 'redis',
    name: names.backends.redis,
    image,
    port: redisPort,
    user: imageUsers.redis,
    replicas: redisServers,
    // The services find the master through the Sentinels, never through a Service of their own.
    clientService: false,
    podsService: names.redisPods,
    peerPorts: [redisPort],
    admit: ['sentinel'],
    container: {
      command: ['sh', '-c', redisStart()],
      env: env(names.redisPods),
      resources: resourceRequirements(undefined, redisResources),
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      livenessProbe: { tcpSocket: { port: redisPort.name }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: redisPingProbe(redisPort.port),
    },
    volumes: [emptyDirVolume('data', '64Mi')],
  });
  const sentinels = buildBackend(hearth, {
    backend: 'sentinel',
    name: names.sentinel,
    image,
    port: sentinelPort,
    user: imageUsers.redis,
    replicas: sentinelCount,
    clientService: false,
    podsService: names.sentinel,
    peerPorts: [sentinelPort],
    container: {
      command: ['sh', '-c', sentinelStart()],
      // A Sentinel's ping needs no password; REDISCLI_AUTH would make redis-cli send one it refuses.
      env: env(names.sentinel).filter((variable) => variable.name !== 'REDISCLI_AUTH'),
      resources: resourceRequirements(undefined, { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '64Mi' } }),
      // Sentinel rewrites its configuration file as the cluster changes: it lives in a writable scratch volume.
      volumeMounts: [{ name: 'sentinel', mountPath: '/sentinel' }],
      livenessProbe: { tcpSocket: { port: sentinelPort.name }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: execProbe(['sh', '-c', `redis-cli -h 127.0.0.1 -p ${sentinelPort.port} ping | grep -q PONG`], {
        periodSeconds: 5,
        timeoutSeconds: 3,
        failureThreshold: 3,
      }),
    },
    volumes: [emptyDirVolume('sentinel', '1Mi')],
  });
  return [...redis, ...sentinels];
}
