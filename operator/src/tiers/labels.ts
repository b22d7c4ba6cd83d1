// The labels on every object the operator makes (Kubernetes' recommended app.kubernetes.io set).
// Selectors use only the stable subset: a Deployment's or StatefulSet's selector is immutable, so
// nothing that changes over the Hearth's life (the version) may be in it.
import type { HearthServiceName } from '../api/index.ts';

export const labelKeys = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
} as const;

export const appName = 'hearth';
export const managedBy = 'hearth-operator';

export const backendNames = ['postgres', 'nats', 'redis'] as const;
export type BackendName = (typeof backendNames)[number];

/**
 * What a labelled object is part of: a `hearth --target` (`all` is the embedded tier's one
 * process), a bundled backend, the session key both tiers share, the monitoring objects
 * spec.observability asks for, a tier migration's copy Job, a backup's or a restore's pods, or the Job
 * that rotates PostgreSQL's password.
 */
export type Component = HearthTarget | BackendComponent | 'session' | 'monitoring' | 'migration' | 'backup' | 'restore' | 'rotation';

/** The components that run a `hearth --target` process, each serving GET /metrics on its HTTP port. */
export const hearthTargets = ['all', 'gateway', 'realtime', 'messaging'] as const satisfies readonly ('all' | HearthServiceName)[];
export type HearthTarget = (typeof hearthTargets)[number];

/** A bundled backend's pods: the backends, and the clustered tier's Redis Sentinels. */
export type BackendComponent = BackendName | 'sentinel';

export type Labels = Record<string, string>;
/** Labels that name an instance (a Hearth): the operator's caches are indexed by it. */
export type InstanceLabels = Labels & { readonly [labelKeys.instance]: string };

/** Selects the pods of one component of one Hearth; never changes, so fit for immutable selectors. */
export function selectorLabels(instance: string, component: Component): InstanceLabels {
  return { [labelKeys.name]: appName, [labelKeys.instance]: instance, [labelKeys.component]: component };
}

/**
 * The labels of an object. `version` is the release of what runs in it (Hearth's for Hearth pods,
 * the backend's for a backend), so a Hearth upgrade does not touch the backends' pods.
 */
export function commonLabels(instance: string, component: Component, version?: string): InstanceLabels {
  const labels: InstanceLabels = { ...selectorLabels(instance, component), [labelKeys.partOf]: appName, [labelKeys.managedBy]: managedBy };
  if (version !== undefined) {
    const value = labelValue(version);
    if (value !== '') labels[labelKeys.version] = value;
  }
  return labels;
}

/** Every object of one Hearth, of any component: what pruning lists by (with the owner reference). */
export function instanceLabels(instance: string): InstanceLabels {
  return { [labelKeys.name]: appName, [labelKeys.instance]: instance, [labelKeys.managedBy]: managedBy };
}

/** instanceLabels as a label selector string for a list or watch call. */
export function instanceSelector(instance: string): string {
  return toSelector(instanceLabels(instance));
}

export function toSelector(labels: Labels): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * A string made into a valid label value: at most 63 characters of [A-Za-z0-9-_.], starting and
 * ending alphanumeric. spec.version allows 128 characters and a leading `_`, which a label refuses.
 */
export function labelValue(raw: string): string {
  return raw
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}
