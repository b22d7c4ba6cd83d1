// Status: derived from the live workloads by the tiers' pure deriveStatus, and written through the
// status subresource only when it differs from what the Hearth already says.
import type { V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Hearth, HearthStatus } from '../api/index.ts';
import {
  conditionTime,
  deriveStatus,
  instanceLabels,
  isSpecObserved,
  isStatusEqual,
  pausedStatus,
  toSelector,
  type Observed,
  type ObservedPod,
  type ObservedPostgresCluster,
  type ObservedWorkloads,
  type WorkloadRef,
} from '../tiers/index.ts';
import { hearthName, hearthNamespace, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';
import { ownedObjects } from './prune.ts';

export interface StatusOutcome {
  readonly status: HearthStatus;
  readonly written: boolean;
}

/** What a reconcile found besides the workloads: what it built, and what held it back. */
export type Findings = Pick<Observed, 'desired' | 'problem' | 'storage' | 'monitoring' | 'migration'>;

export async function ensureStatus(ctx: ReconcileContext, hearth: Hearth, findings: Findings): Promise<StatusOutcome> {
  const workloads = findings.desired.ok ? await observeWorkloads(ctx, hearth, findings.desired.workloads) : { statefulSets: [], deployments: [] };
  return writeStatus(ctx, hearth, deriveStatus(hearth, { ...findings, workloads, now: conditionTime(ctx.now()) }));
}

/** A paused Hearth's status: as it was, with the Paused condition. */
export function ensurePausedStatus(ctx: ReconcileContext, hearth: Hearth): Promise<StatusOutcome> {
  return writeStatus(ctx, hearth, pausedStatus(hearth, conditionTime(ctx.now())));
}

async function writeStatus(ctx: ReconcileContext, hearth: Hearth, status: HearthStatus): Promise<StatusOutcome> {
  if (isStatusEqual(hearth.status, status)) return { status, written: false };
  await ctx.client.mergePatch(pathOf('Hearth', hearthNamespace(hearth), hearthName(hearth), 'status'), { status: statusMergePatch(hearth.status, status) });
  return { status, written: true };
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json | undefined };

/**
 * The JSON merge patch (RFC 7386) that turns `current` into `next`. A merge patch keeps whatever it
 * does not name, so a field `next` no longer has is named with null; lists (the conditions) are
 * replaced whole, objects merged key by key.
 */
export function statusMergePatch(current: HearthStatus | undefined, next: HearthStatus): Record<string, Json> {
  return mergePatchOf(current as Record<string, Json | undefined> | undefined, next as Record<string, Json | undefined>);
}

function isObject(value: Json | undefined): value is { readonly [key: string]: Json | undefined } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergePatchOf(
  current: { readonly [key: string]: Json | undefined } | undefined,
  next: { readonly [key: string]: Json | undefined },
): Record<string, Json> {
  const patch: Record<string, Json> = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const before = current?.[key];
    patch[key] = isObject(value) && isObject(before) ? mergePatchOf(before, value) : value;
  }
  for (const key of removedKeys(current, next)) patch[key] = null;
  return patch;
}

/** The keys `current` has a value for and `next` has not: a merge patch keeps a key it does not name null. */
function removedKeys(current: { readonly [key: string]: Json | undefined } | undefined, next: { readonly [key: string]: Json | undefined }): string[] {
  return Object.entries(current ?? {})
    .filter(([key, value]) => value !== undefined && next[key] === undefined)
    .map(([key]) => key);
}

export async function observeWorkloads(ctx: ReconcileContext, hearth: Hearth, refs: readonly WorkloadRef[]): Promise<ObservedWorkloads> {
  const statefulSets = (await ownedObjects(ctx, hearth, 'StatefulSet')) as unknown as V1StatefulSet[];
  const deployments = (await ownedObjects(ctx, hearth, 'Deployment')) as unknown as V1Deployment[];
  // Not watched (the CRD may not be there) nor owned (it holds the data): read by name.
  const postgresClusters: ObservedPostgresCluster[] = [];
  for (const ref of refs.filter((workload) => workload.kind === 'Cluster')) {
    const cluster = await ctx.client.get(pathOf('Cluster', hearthNamespace(hearth), ref.name));
    if (cluster !== undefined) postgresClusters.push(cluster as ObservedPostgresCluster);
  }
  // Pods name what is not ready in an unavailable workload's detail, which needs its spec observed
  // (workloadState): so a Hearth whose pods are all Ready, or whose workloads were only just
  // written (a new Hearth's first reconcile), costs no pod list.
  const short = [...statefulSets, ...deployments].some(
    (workload) => isSpecObserved(workload) && (workload.status?.readyReplicas ?? 0) < (workload.spec?.replicas ?? 1),
  );
  const pods = short ? await observePods(ctx, hearth) : [];
  return { statefulSets, deployments, postgresClusters, pods };
}

/** The Hearth's pods (by its instance labels; they are owned by its workloads, not by it). */
async function observePods(ctx: ReconcileContext, hearth: Hearth): Promise<ObservedPod[]> {
  const pods = (await ctx.client.list(pathOf('Pod', hearthNamespace(hearth)), toSelector(instanceLabels(hearthName(hearth))))) as unknown as V1Pod[];
  return pods.map((pod) => ({
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    ready: pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
  }));
}

export function isReady(status: HearthStatus | undefined): boolean {
  return status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

export function isPaused(status: HearthStatus | undefined): boolean {
  return status?.conditions?.some((condition) => condition.type === 'Paused' && condition.status === 'True') ?? false;
}
