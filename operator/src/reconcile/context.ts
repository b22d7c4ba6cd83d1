// What every reconcile step works with: the API client, the operator's defaults, and the
// informers' caches (which spare a GET per object when nothing changed).
import type { KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { labelKeys, toSelector, type InstanceLabels, type RandomBytes, type ServedMonitoringKinds, type TierContext } from '../tiers/index.ts';
import type { EventRecorder } from './events.ts';
import { pathOf, type OwnedKindName } from './kinds.ts';
import type { KubeClient } from './kube-client.ts';
import type { MonitoringFiles } from './monitoring-files.ts';

export type ApplyResult = 'created' | 'updated' | 'unchanged';

/**
 * What the operator made of one kind, as its informer holds it: looked up by name, or by the
 * instance label (an index: with thousands of Hearths in a namespace, filtering the namespace's
 * objects at every step grew with the square of the Hearths).
 */
export interface CachedKind {
  /** The objects in `namespace` labelled `app.kubernetes.io/instance=<instance>`. */
  ofInstance(namespace: string, instance: string): readonly KubeObject[];
  get(namespace: string, name: string): KubeObject | undefined;
}

export interface ReconcileContext {
  readonly client: KubeClient;
  readonly tierContext: TierContext;
  readonly random: RandomBytes;
  readonly now: () => Date;
  readonly events: EventRecorder;
  /** The Hearth as last seen (the primary informer's cache), or undefined when it is gone. */
  readonly getHearth: (key: string) => Hearth | undefined;
  /**
   * The informers' cache of `kind`, or undefined for a kind not watched; without it every step
   * asks the API server. A stale cache only costs a redundant, harmless server-side apply.
   */
  readonly cached?: (kind: OwnedKindName) => CachedKind | undefined;
  /** Whether the cluster serves CloudNativePG's Cluster now (discovery.ts); false when not given. */
  readonly hasCloudNativePG?: () => Promise<boolean>;
  /**
   * Which Prometheus Operator kinds the cluster serves now (discovery.ts createMonitoringDiscovery);
   * when not given, a discovery of this client remembered for defaultMonitoringDiscoveryMs.
   */
  readonly servedMonitoringKinds?: () => Promise<ServedMonitoringKinds>;
  /** The rules and dashboard spec.observability installs; deploy/monitoring/ when not given. */
  readonly monitoringFiles?: MonitoringFiles;
  /** While the Hearth is not Ready, look again this often (ms) even if nothing is heard. */
  readonly notReadyRequeueMs: number;
  readonly onApply?: (kind: string, result: ApplyResult) => void;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Objects of `kind` in `namespace` with these labels (the instance label among them), from the cache or the API server. */
export async function liveObjects(ctx: ReconcileContext, kind: OwnedKindName, namespace: string, labels: InstanceLabels): Promise<KubeObject[]> {
  const cached = ctx.cached?.(kind)?.ofInstance(namespace, labels[labelKeys.instance]);
  if (cached !== undefined) return cached.filter((object) => hasLabels(object, labels));
  return ctx.client.list(pathOf(kind, namespace), toSelector(labels));
}

export function hasLabels(object: KubeObject, labels: Record<string, string>): boolean {
  const actual = object.metadata?.labels ?? {};
  return Object.entries(labels).every(([key, value]) => actual[key] === value);
}

export function isOwnedBy(object: KubeObject, hearth: Hearth): boolean {
  return (object.metadata?.ownerReferences ?? []).some((owner) => owner.uid === hearth.metadata.uid);
}

export function hearthNamespace(hearth: Hearth): string {
  return hearth.metadata.namespace ?? '';
}

export function hearthName(hearth: Hearth): string {
  return hearth.metadata.name ?? '';
}
