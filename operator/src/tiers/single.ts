// The single tier: gateway, realtime and messaging as Deployments over one PostgreSQL, one NATS
// with JetStream and one Redis (each bundled, or external through a Secret). The clustered tier
// (clustered.ts) builds its services here too, highly available.
import type { V1EnvVar, V1ResourceRequirements, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { hearthServiceNames, tierDefaults, type AutoscalingSpec, type Hearth, type HearthServiceName, type TierDefaults } from '../api/index.ts';
import { hearthVersion, type TierContext } from './context.ts';
import { buildDisruptionBudget } from './backend.ts';
import { objectMeta, type DesiredDeployment, type DesiredHorizontalPodAutoscaler, type DesiredObject, type DesiredService } from './desired-object.ts';
import {
  authEnv,
  filesEnv,
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
import { desiredNats, natsEnv, natsSecrets } from './nats.ts';
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

/** How a server tier runs its services. */
export interface ServiceShape {
  readonly defaults: TierDefaults;
  /**
   * Several pods of each, kept apart and kept up: an autoscaler for every service (its floor is
   * the replicas asked for), a PodDisruptionBudget, and pods spread across zones as well as nodes.
   */
  readonly highlyAvailable: boolean;
}

export const singleShape: ServiceShape = { defaults: tierDefaults.single, highlyAvailable: false };

/** Backends first, then the services that connect to them, then the way in. */
export function desiredSingle(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  return desiredServerTier(hearth, ctx, singleShape);
}

/** The backends build what the Hearth's tier needs of them: one server each, or a cluster each. */
export function desiredServerTier(hearth: Hearth, ctx: TierContext, shape: ServiceShape): DesiredObject[] {
  return [...desiredPostgres(hearth, ctx), ...desiredNats(hearth, ctx), ...desiredRedis(hearth, ctx), ...desiredServices(hearth, ctx, shape)];
}

export function singleSecrets(hearth: Hearth): GeneratedSecret[] {
  return [sessionKeySecret(hearth), ...postgresSecrets(hearth), ...natsSecrets(hearth), ...redisSecrets(hearth)];
}

/** The environment of one service: what every target reads, then the three backends' URLs. */
export function serviceEnv(hearth: Hearth, ctx: TierContext, service: HearthServiceName): V1EnvVar[] {
  const env = baseHearthEnv(hearth, singleUrl(hearth), ctx);
  if (servedByHttp.includes(service)) env.push(sessionSecretEnv(hearth));
  if (service === 'gateway') env.push(...authEnv(hearth));
  if (service === 'gateway' || service === 'messaging') env.push(...filesEnv(hearth, 'postgres'));
  return [...env, ...postgresEnv(hearth), ...natsEnv(hearth), ...redisEnv(hearth)];
}

/** One service of a server tier being built: what each of its objects is built from. */
interface ServiceBuild {
  readonly hearth: Hearth;
  readonly ctx: TierContext;
  readonly service: HearthServiceName;
  readonly shape: ServiceShape;
}

function desiredServices(hearth: Hearth, ctx: TierContext, shape: ServiceShape): DesiredObject[] {
  const instance = hearth.metadata.name ?? '';
  const names = objectNames(instance);
  const objects = hearthServiceNames.flatMap((service) => serviceObjects({ hearth, ctx, service, shape }));
  const routes = [
    { path: realtimePath, service: names.services.realtime },
    { path: '/', service: names.services.gateway },
  ];
  const ingress = buildIngress(hearth, commonLabels(hearth.metadata.name ?? '', 'gateway', hearthVersion(hearth, ctx)), routes);
  if (ingress !== undefined) objects.push(ingress);
  return objects;
}

/** A service's Deployment, then its Service (if served over HTTP), autoscaler and disruption budget, as it has them. */
function serviceObjects(build: ServiceBuild): DesiredObject[] {
  const { hearth, ctx, service, shape } = build;
  const instance = hearth.metadata.name ?? '';
  const autoscaling = autoscalingOf(build);
  const objects: DesiredObject[] = [buildServiceDeployment(build, autoscaling !== undefined)];
  if (servedByHttp.includes(service)) objects.push(buildServiceService(build));
  if (autoscaling !== undefined) objects.push(buildAutoscaler(build, autoscaling));
  if (shape.highlyAvailable) {
    objects.push(buildDisruptionBudget(hearth, objectNames(instance).services[service], service, commonLabels(instance, service, hearthVersion(hearth, ctx))));
  }
  return objects;
}

/** Spread over nodes, and in the clustered tier over zones too: a zone going down leaves the others serving. */
function spreadConstraints(selector: Record<string, string>, shape: ServiceShape): V1TopologySpreadConstraint[] {
  const keys = shape.highlyAvailable ? ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'] : ['kubernetes.io/hostname'];
  return keys.map((topologyKey) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } }));
}

function buildServiceDeployment({ hearth, ctx, service, shape }: ServiceBuild, autoscaled: boolean): DesiredDeployment {
  const instance = hearth.metadata.name ?? '';
  const spec = hearth.spec.services?.[service];
  const labels = commonLabels(instance, service, hearthVersion(hearth, ctx));
  const selector = selectorLabels(instance, service);
  const container = buildHearthContainer(hearth, ctx, {
    target: service,
    env: serviceEnv(hearth, ctx, service),
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
          topologySpreadConstraints: spreadConstraints(selector, shape),
        },
      },
    },
  };
  // With an autoscaler the count is its to set: applying one here would undo its every decision.
  if (!autoscaled && deployment.spec !== undefined) deployment.spec.replicas = spec?.replicas ?? shape.defaults.serviceReplicas;
  return deployment;
}

function buildServiceService({ hearth, ctx, service }: ServiceBuild): DesiredService {
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

/** The CPU utilisation an autoscaler aims at when the spec names none. */
const defaultCpuTarget = 80;

/**
 * The autoscaling the spec asks for; in the clustered tier every service has some: from the
 * replicas asked for (the floor) up to three times as many, on CPU.
 */
function autoscalingOf({ hearth, service, shape }: ServiceBuild): Required<AutoscalingSpec> | undefined {
  const spec = hearth.spec.services?.[service];
  const floor = spec?.replicas ?? shape.defaults.serviceReplicas;
  if (spec?.autoscaling !== undefined) return askedAutoscaling(spec.autoscaling, floor);
  if (!shape.highlyAvailable) return undefined;
  return { minReplicas: floor, maxReplicas: floor * clusteredAutoscaleFactor, targetCPUUtilizationPercentage: defaultCpuTarget };
}

/** Autoscaling the spec asks for: a bound it leaves out is 1 below, three times the floor above. */
function askedAutoscaling(asked: AutoscalingSpec, floor: number): Required<AutoscalingSpec> {
  return {
    minReplicas: asked.minReplicas ?? 1,
    maxReplicas: asked.maxReplicas ?? floor * clusteredAutoscaleFactor,
    targetCPUUtilizationPercentage: asked.targetCPUUtilizationPercentage ?? defaultCpuTarget,
  };
}

export const clusteredAutoscaleFactor = 3;

function buildAutoscaler({ hearth, ctx, service }: ServiceBuild, autoscaling: Required<AutoscalingSpec>): DesiredHorizontalPodAutoscaler {
  const instance = hearth.metadata.name ?? '';
  const name = objectNames(instance).services[service];
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(hearth, name, commonLabels(instance, service, hearthVersion(hearth, ctx))),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage } } },
      ],
    },
  };
}
