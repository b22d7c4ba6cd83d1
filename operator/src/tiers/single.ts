// The single tier: gateway, realtime and messaging as Deployments over one PostgreSQL, one NATS
// with JetStream and one Redis (each bundled, or external through a Secret).
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import { hearthServiceNames, tierDefaults, type Hearth, type HearthServiceName, type TierDefaults } from '../api/index.ts';
import { hearthVersion, type TierContext } from './context.ts';
import { objectMeta, type DesiredDeployment, type DesiredHorizontalPodAutoscaler, type DesiredObject, type DesiredService } from './desired-object.ts';
import {
  authEnv,
  baseHearthEnv,
  buildHearthContainer,
  buildHearthPodSpec,
  hearthPortName,
  hearthServicePort,
  sessionKeySecret,
  sessionSecretEnv,
} from './hearth-container.ts';
import { buildIngress, publicUrl } from './ingress.ts';
import { commonLabels, selectorLabels } from './labels.ts';
import { objectNames } from './names.ts';
import { desiredNats, natsEnv } from './nats.ts';
import { resourceRequirements } from './pod.ts';
import { desiredPostgres, postgresEnv, postgresSecrets } from './postgres.ts';
import { desiredRedis, redisEnv, redisSecrets } from './redis.ts';
import type { GeneratedSecret } from './secrets.ts';

export const serviceResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
});

/** The services people connect to; messaging is reached only over the bus. */
const servedByHttp: readonly HearthServiceName[] = ['gateway', 'realtime'];

/** The realtime paths (WebSocket, SSE) go to realtime, everything else to the gateway. */
export const realtimePath = '/api/realtime/';

export function singleUrl(hearth: Hearth): string {
  return publicUrl(hearth, objectNames(hearth.metadata.name ?? '').services.gateway);
}

/** Backends first, then the services that connect to them, then the way in. */
export function desiredSingle(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  return [...desiredPostgres(hearth, ctx), ...desiredNats(hearth, ctx), ...desiredRedis(hearth, ctx), ...desiredServices(hearth, ctx, tierDefaults.single)];
}

export function singleSecrets(hearth: Hearth): GeneratedSecret[] {
  return [sessionKeySecret(hearth), ...postgresSecrets(hearth), ...redisSecrets(hearth)];
}

/** The environment of one service: what every target reads, then the three backends' URLs. */
export function serviceEnv(hearth: Hearth, service: HearthServiceName): V1EnvVar[] {
  const env = baseHearthEnv(hearth, singleUrl(hearth));
  if (servedByHttp.includes(service)) env.push(sessionSecretEnv(hearth));
  if (service === 'gateway') env.push(...authEnv(hearth));
  return [...env, ...postgresEnv(hearth), ...natsEnv(hearth), ...redisEnv(hearth)];
}

function desiredServices(hearth: Hearth, ctx: TierContext, defaults: TierDefaults): DesiredObject[] {
  const names = objectNames(hearth.metadata.name ?? '');
  const objects: DesiredObject[] = [];
  for (const service of hearthServiceNames) {
    objects.push(buildServiceDeployment(hearth, ctx, service, defaults));
    if (servedByHttp.includes(service)) objects.push(buildServiceService(hearth, ctx, service));
    const autoscaler = buildAutoscaler(hearth, ctx, service);
    if (autoscaler !== undefined) objects.push(autoscaler);
  }
  const routes = [
    { path: realtimePath, service: names.services.realtime },
    { path: '/', service: names.services.gateway },
  ];
  const ingress = buildIngress(hearth, commonLabels(hearth.metadata.name ?? '', 'gateway', hearthVersion(hearth, ctx)), routes);
  if (ingress !== undefined) objects.push(ingress);
  return objects;
}

function buildServiceDeployment(hearth: Hearth, ctx: TierContext, service: HearthServiceName, defaults: TierDefaults): DesiredDeployment {
  const instance = hearth.metadata.name ?? '';
  const spec = hearth.spec.services?.[service];
  const labels = commonLabels(instance, service, hearthVersion(hearth, ctx));
  const selector = selectorLabels(instance, service);
  const container = buildHearthContainer(hearth, ctx, {
    target: service,
    env: serviceEnv(hearth, service),
    resources: resourceRequirements(spec?.resources, serviceResources),
  });
  const deployment: DesiredDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(hearth, objectNames(instance).services[service], labels),
    spec: {
      selector: { matchLabels: selector },
      // Never fewer ready pods than asked for: a realtime pod going away moves its clients.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          ...buildHearthPodSpec(container),
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
          ],
        },
      },
    },
  };
  // With an autoscaler the count is its to set: applying one here would undo its every decision.
  if (spec?.autoscaling === undefined && deployment.spec !== undefined) deployment.spec.replicas = spec?.replicas ?? defaults.serviceReplicas;
  return deployment;
}

function buildServiceService(hearth: Hearth, ctx: TierContext, service: HearthServiceName): DesiredService {
  const instance = hearth.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(hearth, objectNames(instance).services[service], commonLabels(instance, service, hearthVersion(hearth, ctx))),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(instance, service),
      ports: [{ name: hearthPortName, port: hearthServicePort, targetPort: hearthPortName, protocol: 'TCP' }],
    },
  };
}

function buildAutoscaler(hearth: Hearth, ctx: TierContext, service: HearthServiceName): DesiredHorizontalPodAutoscaler | undefined {
  const autoscaling = hearth.spec.services?.[service]?.autoscaling;
  if (autoscaling === undefined) return undefined;
  const instance = hearth.metadata.name ?? '';
  const name = objectNames(instance).services[service];
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(hearth, name, commonLabels(instance, service, hearthVersion(hearth, ctx))),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: autoscaling.minReplicas ?? 1,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage ?? 80 } },
        },
      ],
    },
  };
}
