// What every bundled backend of the single tier is made of: a StatefulSet of one pod, a Service,
// and a NetworkPolicy that lets only this Hearth's service pods reach its port.
import type { V1Container, V1PersistentVolumeClaim, V1Volume } from '@kubernetes/client-node';
import { hearthServiceNames, type Hearth } from '../api/index.ts';
import { objectMeta, type DesiredNetworkPolicy, type DesiredObject, type DesiredService, type DesiredStatefulSet } from './desired-object.ts';
import { appName, commonLabels, labelKeys, selectorLabels, type BackendName } from './labels.ts';
import { objectNames } from './names.ts';
import { claimRetentionPolicy, containerSecurityContext, podSecurityContext } from './pod.ts';

/** The key holding the connection URL in an external backend's Secret (spec.*.external.secretRef). */
export const externalUrlKey = 'url';

export interface BackendPort {
  readonly name: string;
  readonly port: number;
}

export interface BackendDefinition {
  readonly backend: BackendName;
  readonly image: string;
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
  return [buildBackendNetworkPolicy(hearth, definition), buildBackendService(hearth, definition), buildBackendStatefulSet(hearth, definition)];
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
    metadata: objectMeta(hearth, objectNames(hearth.metadata.name ?? '').backends[definition.backend], labelsOf(hearth, definition)),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(hearth.metadata.name ?? '', definition.backend),
      ports: [{ name, port, targetPort: name, protocol: 'TCP' }],
    },
  };
}

function buildBackendStatefulSet(hearth: Hearth, definition: BackendDefinition): DesiredStatefulSet {
  const instance = hearth.metadata.name ?? '';
  const name = objectNames(instance).backends[definition.backend];
  const ports = [definition.port, ...(definition.probePorts ?? [])].map((port) => ({ name: port.name, containerPort: port.port, protocol: 'TCP' }));
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
      replicas: 1,
      serviceName: name,
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
 * gateway, realtime and messaging pods of the same Hearth, on the client port only.
 */
function buildBackendNetworkPolicy(hearth: Hearth, definition: BackendDefinition): DesiredNetworkPolicy {
  const instance = hearth.metadata.name ?? '';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(hearth, objectNames(instance).backends[definition.backend], labelsOf(hearth, definition)),
    spec: {
      podSelector: { matchLabels: selectorLabels(instance, definition.backend) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchLabels: { [labelKeys.name]: appName, [labelKeys.instance]: instance },
                matchExpressions: [{ key: labelKeys.component, operator: 'In', values: [...hearthServiceNames] }],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: definition.port.port }],
        },
      ],
    },
  };
}
