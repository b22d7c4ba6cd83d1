// NATS with JetStream. The single tier runs one server on a volume; the clustered tier a cluster of
// spec.nats.replicas (3 or 5) routed to each other, each with its JetStream store on its own
// volume, the event stream replicated on min(3, replicas) of them; or an external NATS named by a
// Secret. A bundled NATS has no anonymous access: clients (and a cluster's routes) each give a
// generated password.
import { quantityValue } from '../api/quantity.ts';
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import { tierDefaults, type Hearth } from '../api/index.ts';
import { buildBackend, externalUrlKey, type BackendPort } from './backend.ts';
import { backendImage, type TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { commonLabels } from './labels.ts';
import { dataVolumeName, objectNames } from './names.ts';
import { claimTemplate, httpProbe, imageUsers, resourceRequirements, secretEnv, valueEnv } from './pod.ts';
import type { GeneratedSecret } from './secrets.ts';

export const natsPort: BackendPort = { name: 'client', port: 4222 };
export const natsMonitorPort: BackendPort = { name: 'monitor', port: 8222 };
export const natsRoutePort: BackendPort = { name: 'routes', port: 6222 };
export const defaultNatsStorageSize = '5Gi';
/** The user the Hearth services connect as, and the one routes give each other. */
export const natsClientUser = 'hearth';
export const natsRouteUser = 'route';
export const natsPasswordKey = 'password';
export const natsRoutePasswordKey = 'routePassword';

export const natsResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '512Mi' },
});

const storeDir = '/data';

/** The cluster's size, or undefined when this Hearth runs one server (the single tier) or none. */
export function natsClusterSize(hearth: Hearth): number | undefined {
  if (hearth.spec.tier !== 'clustered' || hearth.spec.nats?.external !== undefined) return undefined;
  return hearth.spec.nats?.replicas ?? tierDefaults.clustered.natsReplicas;
}

/** JetStream copies of the event stream: one per server up to 3 (R3 survives the loss of any one). */
export function natsStreamReplicas(hearth: Hearth): number {
  return Math.min(3, natsClusterSize(hearth) ?? 1);
}

export function desiredNats(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  if (hearth.spec.nats?.external !== undefined) return [];
  const instance = hearth.metadata.name ?? '';
  const names = objectNames(instance);
  const size = natsClusterSize(hearth);
  const timing = { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
  // A stable server name keeps JetStream's identity across restarts; the store is the volume.
  const args = ['-js', '-sd', storeDir, '-m', String(natsMonitorPort.port), '-n', '$(POD_NAME)', '--user', natsClientUser, '--pass', '$(NATS_PASSWORD)'];
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    secretEnv('NATS_PASSWORD', names.natsCredentials, natsPasswordKey),
  ];
  if (size !== undefined) {
    const routeAuth = `${natsRouteUser}:$(NATS_ROUTE_PASSWORD)@`;
    const routes = Array.from({ length: size }, (_, i) => `nats://${routeAuth}${names.backends.nats}-${i}.${names.natsRoutes}:${natsRoutePort.port}`);
    env.push(secretEnv('NATS_ROUTE_PASSWORD', names.natsCredentials, natsRoutePasswordKey));
    // The user in the cluster's listen URL is the one a route must give; each route URL gives it.
    args.push('--cluster_name', instance, '--cluster', `nats://${routeAuth}0.0.0.0:${natsRoutePort.port}`, '--routes', routes.join(','));
  }
  return buildBackend(hearth, {
    backend: 'nats',
    name: names.backends.nats,
    image: backendImage(hearth, ctx, 'nats'),
    port: natsPort,
    probePorts: [natsMonitorPort],
    user: imageUsers.nats,
    ...(size === undefined ? {} : { replicas: size, podsService: names.natsRoutes, peerPorts: [natsRoutePort] }),
    container: {
      args,
      env,
      resources: resourceRequirements(undefined, natsResources),
      volumeMounts: [{ name: dataVolumeName, mountPath: storeDir }],
      startupProbe: httpProbe('/healthz?js-enabled-only=true', natsMonitorPort.name, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 }),
      livenessProbe: httpProbe('/healthz?js-enabled-only=true', natsMonitorPort.name, timing),
      readinessProbe: httpProbe('/healthz?js-server-only=true', natsMonitorPort.name, { ...timing, periodSeconds: 5 }),
    },
    claims: [
      claimTemplate(
        dataVolumeName,
        hearth.spec.nats?.storage?.size ?? defaultNatsStorageSize,
        hearth.spec.storage?.storageClassName,
        commonLabels(instance, 'nats'),
      ),
    ],
  });
}

/**
 * The event stream's cap: three quarters of a NATS server's volume, so that the stream cannot fill
 * it (JetStream's own files and a resize's margin need the rest). Full, it drops its oldest events.
 */
export function natsStreamMaxBytes(hearth: Hearth): number {
  const volume = quantityValue(hearth.spec.nats?.storage?.size ?? defaultNatsStorageSize) ?? 0;
  return Math.floor(volume * STREAM_SHARE_OF_VOLUME);
}

const STREAM_SHARE_OF_VOLUME = 0.75;

/** Both keys in either server tier: a generated Secret never changes, and the route password is there for a cluster. */
export function natsSecrets(hearth: Hearth): GeneratedSecret[] {
  if (hearth.spec.nats?.external !== undefined) return [];
  return [
    {
      name: objectNames(hearth.metadata.name ?? '').natsCredentials,
      component: 'nats',
      keys: [
        { key: natsPasswordKey, bytes: 24, encoding: 'hex', description: `password of the NATS user ${natsClientUser}, which the Hearth services connect as` },
        { key: natsRoutePasswordKey, bytes: 24, encoding: 'hex', description: `password the NATS servers' routes give each other (user ${natsRouteUser})` },
      ],
    },
  ];
}

/**
 * HEARTH_NATS_URL, with the generated password (and, for a cluster, the stream's replicas). The
 * client Service reaches any server of a cluster, and the client learns the others from it.
 */
export function natsEnv(hearth: Hearth): V1EnvVar[] {
  const external = hearth.spec.nats?.external;
  if (external !== undefined) return [secretEnv('HEARTH_NATS_URL', external.secretRef.name, externalUrlKey)];
  const names = objectNames(hearth.metadata.name ?? '');
  const env = [
    secretEnv('NATS_PASSWORD', names.natsCredentials, natsPasswordKey),
    valueEnv('HEARTH_NATS_URL', `nats://${natsClientUser}:$(NATS_PASSWORD)@${names.backends.nats}:${natsPort.port}`),
  ];
  if (natsClusterSize(hearth) !== undefined) env.push(valueEnv('HEARTH_NATS_STREAM_REPLICAS', String(natsStreamReplicas(hearth))));
  env.push(valueEnv('HEARTH_NATS_STREAM_MAX_BYTES', String(natsStreamMaxBytes(hearth))));
  return env;
}
