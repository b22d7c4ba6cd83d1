// What every bundled backend is made of: a StatefulSet, a Service, and a NetworkPolicy that lets
// only this Hearth's service pods reach its port. The single tier runs one pod of each; the
// clustered tier runs several, which also get a headless Service (a DNS name per pod, for routes
// and replication), room to talk to each other, anti-affinity and a PodDisruptionBudget.
import type { V1Affinity, V1Container, V1NetworkPolicyPeer, V1PersistentVolumeClaim, V1Volume } from '@kubernetes/client-node';
import { hearthServiceNames, type Hearth } from '../api/index.ts';
import {
  objectMeta,
  type DesiredNetworkPolicy,
  type DesiredObject,
  type DesiredPodDisruptionBudget,
  type DesiredService,
  type DesiredStatefulSet,
  type NetworkPolicyIngressRuleJson,
} from './desired-object.ts';
import { appName, commonLabels, labelKeys, selectorLabels, type BackendComponent, type Component } from './labels.ts';
import { claimRetentionPolicy, containerSecurityContext, podSecurityContext } from './pod.ts';

/** The key holding the connection URL in an external backend's Secret (spec.*.external.secretRef). */
export const externalUrlKey = 'url';

export interface BackendPort {
  readonly name: string;
  readonly port: number;
}

export interface BackendDefinition {
  readonly backend: BackendComponent;
  /** Of the StatefulSet, its client Service and its NetworkPolicy. */
  readonly name: string;
  readonly image: string;
  /** Pods of the StatefulSet; 1 when not given. */
  readonly replicas?: number;
  /**
   * A headless Service of this name (publishing pods before they are ready, so that a cluster can
   * form), which the StatefulSet names as its serviceName: pod i is `<name>-i.<podsService>`.
   */
  readonly podsService?: string;
  /** Whether clients reach it through a ClusterIP Service; false when they find the pods themselves (Sentinels). */
  readonly clientService?: boolean;
  /** Ports its pods use with each other (NATS routes, Redis replication), open to its own pods only. */
  readonly peerPorts?: readonly BackendPort[];
  /** Pods besides the Hearth services that may reach the client port (the Sentinels, for Redis). */
  readonly admit?: readonly Component[];
  /** The port clients use: the Service's and the NetworkPolicy's. */
  readonly port: BackendPort;
  readonly user: number;
  /** The container, less what every backend shares (name, image, ports, security context). */
  readonly container: Omit<V1Container, 'name' | 'image' | 'ports' | 'securityContext'>;
  /** Ports only the kubelet uses (probes); not in the Service nor open to other pods. */
  readonly probePorts?: readonly BackendPort[];
  readonly volumes?: readonly V1Volume[];
  readonly claims?: readonly V1PersistentVolumeClaim[];
}

/** NetworkPolicy first: the backend's pod must not exist for a moment without it. */
export function buildBackend(hearth: Hearth, definition: BackendDefinition): DesiredObject[] {
  const objects: DesiredObject[] = [buildBackendNetworkPolicy(hearth, definition)];
  if (definition.clientService !== false) objects.push(buildBackendService(hearth, definition));
  if (definition.podsService !== undefined) objects.push(buildPodsService(hearth, definition, definition.podsService));
  objects.push(buildBackendStatefulSet(hearth, definition));
  if ((definition.replicas ?? 1) > 1) objects.push(buildDisruptionBudget(hearth, definition.name, definition.backend, labelsOf(hearth, definition)));
  return objects;
}

/**
 * At most one pod of a component away at a time for a voluntary disruption (a node drain): a NATS
 * cluster of 3 keeps its quorum, Redis keeps a master or a replica to promote, a service keeps serving.
 */
export function buildDisruptionBudget(hearth: Hearth, name: string, component: Component, labels: Record<string, string>): DesiredPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(hearth, name, labels),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(hearth.metadata.name ?? '', component) } },
  };
}

/** `postgres:16` → `16`; the version label of a backend's objects. */
export function imageTag(image: string): string | undefined {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : undefined;
}

function labelsOf(hearth: Hearth, definition: BackendDefinition): Record<string, string> {
  return commonLabels(hearth.metadata.name ?? '', definition.backend, imageTag(definition.image));
}

function buildBackendService(hearth: Hearth, definition: BackendDefinition): DesiredService {
  const { name, port } = definition.port;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(hearth, definition.name, labelsOf(hearth, definition)),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(hearth.metadata.name ?? '', definition.backend),
      ports: [{ name, port, targetPort: name, protocol: 'TCP' }],
    },
  };
}

function buildPodsService(hearth: Hearth, definition: BackendDefinition, name: string): DesiredService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(hearth, name, labelsOf(hearth, definition)),
    spec: {
      clusterIP: 'None',
      // A cluster forms from pods that are not ready yet: NATS is ready only once it has routes.
      publishNotReadyAddresses: true,
      selector: selectorLabels(hearth.metadata.name ?? '', definition.backend),
      ports: uniquePorts([definition.port, ...(definition.peerPorts ?? [])]).map((port) => ({
        name: port.name,
        port: port.port,
        targetPort: port.name,
        protocol: 'TCP',
      })),
    },
  };
}

function uniquePorts(ports: readonly BackendPort[]): BackendPort[] {
  return ports.filter((port, index) => ports.findIndex((other) => other.port === port.port) === index);
}

/** Rather on different nodes: preferred, not required, so that a small cluster still schedules them all. */
function spreadAcrossNodes(instance: string, component: Component): V1Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels(instance, component) } } },
      ],
    },
  };
}

function buildBackendStatefulSet(hearth: Hearth, definition: BackendDefinition): DesiredStatefulSet {
  const instance = hearth.metadata.name ?? '';
  const name = definition.name;
  const replicas = definition.replicas ?? 1;
  const ports = uniquePorts([definition.port, ...(definition.peerPorts ?? []), ...(definition.probePorts ?? [])]).map((port) => ({
    name: port.name,
    containerPort: port.port,
    protocol: 'TCP',
  }));
  const container: V1Container = {
    ...definition.container,
    name: definition.backend,
    image: definition.image,
    ports,
    securityContext: containerSecurityContext(),
  };
  const set: DesiredStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(hearth, name, labelsOf(hearth, definition)),
    spec: {
      replicas,
      serviceName: definition.podsService ?? name,
      selector: { matchLabels: selectorLabels(instance, definition.backend) },
      template: {
        metadata: { labels: labelsOf(hearth, definition) },
        spec: {
          containers: [container],
          volumes: [...(definition.volumes ?? [])],
          securityContext: podSecurityContext(definition.user),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          ...(replicas > 1 ? { affinity: spreadAcrossNodes(instance, definition.backend) } : {}),
        },
      },
      persistentVolumeClaimRetentionPolicy: claimRetentionPolicy(hearth),
      updateStrategy: { type: 'RollingUpdate' },
    },
  };
  if (definition.claims !== undefined && set.spec !== undefined) set.spec.volumeClaimTemplates = [...definition.claims];
  return set;
}

/**
 * Selecting the backend's pods makes every other ingress to them denied; this admits the
 * gateway, realtime and messaging pods of the same Hearth (and any component the definition
 * admits) on the client port, and the backend's own pods on its peer ports.
 */
function buildBackendNetworkPolicy(hearth: Hearth, definition: BackendDefinition): DesiredNetworkPolicy {
  const instance = hearth.metadata.name ?? '';
  const ofHearth = (components: readonly Component[]): V1NetworkPolicyPeer => ({
    podSelector: {
      matchLabels: { [labelKeys.name]: appName, [labelKeys.instance]: instance },
      matchExpressions: [{ key: labelKeys.component, operator: 'In', values: [...components] }],
    },
  });
  const ingress: NetworkPolicyIngressRuleJson[] = [
    { from: [ofHearth([...hearthServiceNames, ...(definition.admit ?? [])])], ports: [{ protocol: 'TCP', port: definition.port.port }] },
  ];
  const peerPorts = definition.peerPorts ?? [];
  if (peerPorts.length > 0) ingress.push({ from: [ofHearth([definition.backend])], ports: peerPorts.map((port) => ({ protocol: 'TCP', port: port.port })) });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(hearth, definition.name, labelsOf(hearth, definition)),
    spec: { podSelector: { matchLabels: selectorLabels(instance, definition.backend) }, policyTypes: ['Ingress'], ingress },
  };
}
