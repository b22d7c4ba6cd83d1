// The single tier's NATS: one server with JetStream on a volume, or an external one named by a Secret.
import type { V1EnvVar, V1ResourceRequirements } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { buildBackend, externalUrlKey, type BackendPort } from './backend.ts';
import { backendImage, type TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { commonLabels } from './labels.ts';
import { dataVolumeName, objectNames } from './names.ts';
import { claimTemplate, httpProbe, imageUsers, resourceRequirements, secretEnv, valueEnv } from './pod.ts';

export const natsPort: BackendPort = { name: 'client', port: 4222 };
export const natsMonitorPort: BackendPort = { name: 'monitor', port: 8222 };
export const defaultNatsStorageSize = '5Gi';

export const natsResources: V1ResourceRequirements = Object.freeze({
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '512Mi' },
});

const storeDir = '/data';

export function desiredNats(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  if (hearth.spec.nats?.external !== undefined) return [];
  const instance = hearth.metadata.name ?? '';
  const timing = { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
  return buildBackend(hearth, {
    backend: 'nats',
    image: backendImage(hearth, ctx, 'nats'),
    port: natsPort,
    probePorts: [natsMonitorPort],
    user: imageUsers.nats,
    container: {
      // A stable server name keeps JetStream's identity across restarts; the store is the volume.
      args: ['-js', '-sd', storeDir, '-m', String(natsMonitorPort.port), '-n', '$(POD_NAME)'],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
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
 * HEARTH_NATS_URL. The bundled server has no credentials: NetworkPolicy is its only guard, as
 * the services' NATS client takes no user or password from the URL yet.
 */
export function natsEnv(hearth: Hearth): V1EnvVar[] {
  const external = hearth.spec.nats?.external;
  if (external !== undefined) return [secretEnv('HEARTH_NATS_URL', external.secretRef.name, externalUrlKey)];
  return [valueEnv('HEARTH_NATS_URL', `nats://${objectNames(hearth.metadata.name ?? '').backends.nats}:${natsPort.port}`)];
}
