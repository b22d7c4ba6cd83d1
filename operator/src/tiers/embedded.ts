// The embedded tier: one `hearth --target=all` process with its SQLite database on a volume.
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { hearthVersion, type TierContext } from './context.ts';
import { objectMeta, type DesiredObject, type DesiredService, type DesiredStatefulSet } from './desired-object.ts';
import {
  authEnv,
  filesEnv,
  baseHearthEnv,
  buildHearthContainer,
  buildHearthPodSpec,
  hearthDataDir,
  hearthPortName,
  hearthServicePort,
  sessionKeySecret,
  sessionSecretEnv,
} from './hearth-container.ts';
import { buildIngress, publicUrl } from './ingress.ts';
import { commonLabels, selectorLabels } from './labels.ts';
import { dataVolumeName, objectNames } from './names.ts';
import { claimRetentionPolicy, claimTemplate, resourceRequirements, valueEnv } from './pod.ts';
import type { GeneratedSecret } from './secrets.ts';

export const embeddedResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { memory: '1Gi' },
});

export const defaultStorageSize = '10Gi';

export function embeddedUrl(hearth: Hearth): string {
  return publicUrl(hearth, objectNames(name(hearth)).embedded);
}

/** Service, StatefulSet and (with spec.ingress) Ingress, in the order they are applied. */
export function desiredEmbedded(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  const names = objectNames(name(hearth));
  const ingress = buildIngress(hearth, commonLabels(name(hearth), 'all', hearthVersion(hearth, ctx)), [{ path: '/', service: names.embedded }]);
  const objects: DesiredObject[] = [buildEmbeddedService(hearth, ctx), buildEmbeddedStatefulSet(hearth, ctx)];
  if (ingress !== undefined) objects.push(ingress);
  return objects;
}

export function embeddedSecrets(hearth: Hearth): GeneratedSecret[] {
  return [sessionKeySecret(hearth)];
}

function name(hearth: Hearth): string {
  return hearth.metadata.name ?? '';
}

function buildEmbeddedService(hearth: Hearth, ctx: TierContext): DesiredService {
  const labels = commonLabels(name(hearth), 'all', hearthVersion(hearth, ctx));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(hearth, objectNames(name(hearth)).embedded, labels),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(name(hearth), 'all'),
      ports: [{ name: hearthPortName, port: hearthServicePort, targetPort: hearthPortName, protocol: 'TCP' }],
    },
  };
}

function buildEmbeddedStatefulSet(hearth: Hearth, ctx: TierContext): DesiredStatefulSet {
  const instance = name(hearth);
  const labels = commonLabels(instance, 'all', hearthVersion(hearth, ctx));
  const env = [
    ...baseHearthEnv(hearth, embeddedUrl(hearth), ctx),
    valueEnv('HEARTH_DATA_DIR', hearthDataDir),
    sessionSecretEnv(hearth),
    ...authEnv(hearth),
    ...filesEnv(hearth, 'directory'),
  ];
  const container = buildHearthContainer(hearth, ctx, {
    target: 'all',
    env,
    resources: resourceRequirements(undefined, embeddedResources),
    volumeMounts: [{ name: dataVolumeName, mountPath: hearthDataDir }],
  });
  const storage = hearth.spec.storage;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(hearth, objectNames(instance).embedded, labels),
    spec: {
      // One writer of the SQLite file: a StatefulSet stops the old pod before starting the new one.
      replicas: 1,
      serviceName: objectNames(instance).embedded,
      selector: { matchLabels: selectorLabels(instance, 'all') },
      template: { metadata: { labels }, spec: buildHearthPodSpec(container) },
      volumeClaimTemplates: [claimTemplate(dataVolumeName, storage?.size ?? defaultStorageSize, storage?.storageClassName, commonLabels(instance, 'all'))],
      persistentVolumeClaimRetentionPolicy: claimRetentionPolicy(hearth),
      updateStrategy: { type: 'RollingUpdate' },
    },
  };
}
