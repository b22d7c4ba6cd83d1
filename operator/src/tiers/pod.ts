// Pieces every pod of every tier is made of: the restricted Pod Security Standard, resources,
// environment, probes, scratch volumes and volume claims.
import type {
  V1Capabilities,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1PodSecurityContext,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1StatefulSetPersistentVolumeClaimRetentionPolicy,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Hearth, Quantity, ResourceRequirements } from '../api/index.ts';
import type { Labels } from './labels.ts';

/**
 * The user each image runs as. Set explicitly because `runAsNonRoot` alone refuses an image whose
 * USER is a name rather than a number, and the official postgres and redis images start as root.
 * Hearth's is the USER of the Dockerfile, which the operator's chart runs as too.
 */
export const imageUsers = { hearth: 65532, postgres: 999, redis: 999, nats: 1000 } as const;

/** The pod half of the `restricted` Pod Security Standard, plus a group that owns the volumes. */
export function podSecurityContext(user: number): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    fsGroup: user,
    // Re-owning a large volume on every start is slow; only do it when its root is not ours yet.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(): V1SecurityContext {
  const capabilities: V1Capabilities = { drop: ['ALL'] };
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities };
}

export function quantity(value: Quantity): string {
  return typeof value === 'number' ? String(value) : value;
}

function quantities(amounts: Record<string, Quantity>): Record<string, string> {
  return Object.fromEntries(Object.entries(amounts).map(([name, amount]) => [name, quantity(amount)]));
}

/**
 * The user's resources when given (as in a Pod spec, taken whole), else `defaults`. Defaults set
 * no CPU limit: throttling a chat server's event loop hurts more than it protects.
 */
export function resourceRequirements(spec: ResourceRequirements | undefined, defaults: V1ResourceRequirements): V1ResourceRequirements {
  if (spec === undefined || (spec.limits === undefined && spec.requests === undefined)) return defaults;
  const resources: V1ResourceRequirements = {};
  if (spec.limits !== undefined) resources.limits = quantities(spec.limits);
  if (spec.requests !== undefined) resources.requests = quantities(spec.requests);
  return resources;
}

export function valueEnv(name: string, value: string): V1EnvVar {
  return { name, value };
}

export function secretEnv(name: string, secretName: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

export function httpProbe(path: string, port: string, timing: ProbeTiming): V1Probe {
  return { httpGet: { path, port, scheme: 'HTTP' }, ...timing };
}

export function execProbe(command: string[], timing: ProbeTiming): V1Probe {
  return { exec: { command }, ...timing };
}

/** A writable scratch directory on a read-only root file system. */
export function emptyDirVolume(name: string, sizeLimit: string): V1Volume {
  return { name, emptyDir: { sizeLimit } };
}

export const tmpVolume: V1Volume = emptyDirVolume('tmp', '256Mi');
export const tmpMount: V1VolumeMount = { name: 'tmp', mountPath: '/tmp' };

/**
 * A StatefulSet's volume claim template. The API server refuses any change to the templates of an
 * existing StatefulSet, so their labels leave out the version and nothing in them may depend on a
 * field that changes (a new spec.storage.size needs the claim itself expanded, not the template).
 */
export function claimTemplate(name: string, size: Quantity, storageClassName: string | undefined, labels: Labels): V1PersistentVolumeClaim {
  const claim: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: quantity(size) } } },
  };
  if (storageClassName !== undefined && claim.spec !== undefined) claim.spec.storageClassName = storageClassName;
  return claim;
}

/** The claims outlive the StatefulSet unless spec.storage.retainOnDelete is false (DESIGN §1). */
export function claimRetentionPolicy(hearth: Hearth): V1StatefulSetPersistentVolumeClaimRetentionPolicy {
  return { whenDeleted: hearth.spec.storage?.retainOnDelete === false ? 'Delete' : 'Retain', whenScaled: 'Retain' };
}
