// Status: derived from the live workloads by the tiers' pure deriveStatus, and written through the
// status subresource only when it differs from what the Hearth already says.
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Hearth, HearthStatus } from '../api/index.ts';
import { conditionTime, deriveStatus, isStatusEqual, type DesiredResult, type ObservedWorkloads } from '../tiers/index.ts';
import { hearthName, hearthNamespace, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';
import { ownedObjects } from './prune.ts';

export interface StatusOutcome {
  readonly status: HearthStatus;
  readonly written: boolean;
}

export async function ensureStatus(ctx: ReconcileContext, hearth: Hearth, desired: DesiredResult): Promise<StatusOutcome> {
  const workloads = desired.ok ? await observeWorkloads(ctx, hearth) : { statefulSets: [], deployments: [] };
  const status = deriveStatus(hearth, { desired, workloads, now: conditionTime(ctx.now()) });
  if (isStatusEqual(hearth.status, status)) return { status, written: false };
  // A merge patch of the whole status: the conditions list is replaced as one.
  await ctx.client.mergePatch(pathOf('Hearth', hearthNamespace(hearth), hearthName(hearth), 'status'), { status });
  return { status, written: true };
}

async function observeWorkloads(ctx: ReconcileContext, hearth: Hearth): Promise<ObservedWorkloads> {
  const statefulSets = (await ownedObjects(ctx, hearth, 'StatefulSet')) as unknown as V1StatefulSet[];
  const deployments = (await ownedObjects(ctx, hearth, 'Deployment')) as unknown as V1Deployment[];
  return { statefulSets, deployments };
}

export function isReady(status: HearthStatus | undefined): boolean {
  return status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}
