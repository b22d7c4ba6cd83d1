// A StatefulSet's volume claim templates cannot change once it exists: applying a new size there
// would be refused on every reconcile. So the applied StatefulSet keeps the sizes (and storage
// class) it was created with, and a larger spec.storage.size is carried out where Kubernetes
// allows it: on the claims themselves (volume expansion, if their storage class permits it).
import type { V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import { KubeApiError, type KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import type { DesiredObject, DesiredStatefulSet, StorageRefusal } from '../tiers/index.ts';
import { compareQuantities } from '../api/quantity.ts';
import type { ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';

/** One claim template whose wanted size or storage class differs from the one it was created with. */
export interface ClaimChange {
  readonly statefulSet: string;
  readonly namespace: string;
  readonly template: string;
  readonly replicas: number;
  readonly liveSize: string;
  readonly wantedSize: string;
  readonly liveClass: string | undefined;
  readonly wantedClass: string | undefined;
}

const sizeOf = (claim: V1PersistentVolumeClaim | undefined): string | undefined => {
  const storage = claim?.spec?.resources?.requests?.['storage'] as string | number | undefined;
  return storage === undefined ? undefined : String(storage);
};

/**
 * The desired StatefulSet with the claim templates' sizes and storage classes as the live one has
 * them, and what the spec wants changed in them. Pure: the decision, with no I/O.
 */
export function keepLiveClaimTemplates(desired: DesiredStatefulSet, live: KubeObject | undefined): { object: DesiredStatefulSet; changes: ClaimChange[] } {
  // Objects travel as JSON (timestamps are strings), so only the spec is read as client-node's type.
  const liveSpec = (live as { spec?: V1StatefulSet['spec'] } | undefined)?.spec;
  const templates = desired.spec?.volumeClaimTemplates;
  if (liveSpec === undefined || templates === undefined || desired.spec === undefined) return { object: desired, changes: [] };
  const changes: ClaimChange[] = [];
  const kept = templates.map((template) => {
    const current = liveSpec.volumeClaimTemplates?.find((candidate) => candidate.metadata?.name === template.metadata?.name);
    const change = claimChange(desired, liveSpec.replicas ?? 1, template, current);
    if (change !== undefined) changes.push(change);
    return current === undefined ? template : withSizeAndClass(template, sizeOf(current), current.spec?.storageClassName);
  });
  return { object: { ...desired, spec: { ...desired.spec, volumeClaimTemplates: kept } }, changes };
}

function claimChange(
  set: DesiredStatefulSet,
  replicas: number,
  wanted: V1PersistentVolumeClaim,
  current: V1PersistentVolumeClaim | undefined,
): ClaimChange | undefined {
  const liveSize = sizeOf(current);
  const wantedSize = sizeOf(wanted);
  if (current === undefined || liveSize === undefined || wantedSize === undefined) return undefined;
  const liveClass = current.spec?.storageClassName;
  const wantedClass = wanted.spec?.storageClassName;
  if (compareQuantities(liveSize, wantedSize) === 0 && liveClass === wantedClass) return undefined;
  const { name: statefulSet, namespace } = set.metadata;
  return { statefulSet, namespace, template: wanted.metadata?.name ?? '', replicas, liveSize, wantedSize, liveClass, wantedClass };
}

function withSizeAndClass(template: V1PersistentVolumeClaim, size: string | undefined, storageClassName: string | undefined): V1PersistentVolumeClaim {
  const spec = {
    ...template.spec,
    resources: { ...template.spec?.resources, requests: { ...template.spec?.resources?.requests, ...(size === undefined ? {} : { storage: size }) } },
  };
  if (storageClassName === undefined) delete spec.storageClassName;
  else spec.storageClassName = storageClassName;
  return { ...template, spec };
}

/** Every desired object, StatefulSets with their live claim templates kept; and the changes wanted. */
export async function withLiveClaimTemplates(
  objects: readonly DesiredObject[],
  live: (object: DesiredStatefulSet) => Promise<KubeObject | undefined>,
): Promise<{ objects: DesiredObject[]; changes: ClaimChange[] }> {
  const result: DesiredObject[] = [];
  const changes: ClaimChange[] = [];
  for (const object of objects) {
    if (object.kind !== 'StatefulSet') {
      result.push(object);
      continue;
    }
    const kept = keepLiveClaimTemplates(object, await live(object));
    result.push(kept.object);
    changes.push(...kept.changes);
  }
  return { objects: result, changes };
}

export type StorageRefusalReason = 'CannotShrink' | 'StorageClassFixed' | 'ExpansionRefused' | 'ClaimNotBound';

export type ClaimOutcome =
  | { readonly claim: string; readonly result: 'resized'; readonly message: string }
  | { readonly claim: string; readonly result: 'refused'; readonly reason: StorageRefusalReason; readonly message: string };

/**
 * Carries out the changes on the claims the StatefulSet made (`<template>-<set>-<ordinal>`): a
 * larger size is requested on each bound claim that is smaller; anything else (a smaller size,
 * another storage class) cannot be done to a volume in place and is reported. Never throws for a
 * refusal: the rest of the reconcile goes on, and the StorageUnchanged condition says what to do.
 * Only a resize makes an Event here: refusals are reported once, when the condition changes.
 */
export async function ensureClaimChanges(ctx: ReconcileContext, hearth: Hearth, changes: readonly ClaimChange[]): Promise<ClaimOutcome[]> {
  const outcomes: ClaimOutcome[] = [];
  for (const change of changes) {
    const claimNames = Array.from({ length: change.replicas }, (_, ordinal) => `${change.template}-${change.statefulSet}-${ordinal}`);
    if (change.liveClass !== change.wantedClass) {
      const message = `volumes of ${change.statefulSet} keep storage class ${change.liveClass ?? '(default)'}: a volume cannot move to ${change.wantedClass ?? '(default)'} in place; copy the data to a new Hearth instead`;
      outcomes.push({ claim: claimNames.join(', '), result: 'refused', reason: 'StorageClassFixed', message });
    }
    for (const name of claimNames) {
      const outcome = await ensureClaimSize(ctx, change, name);
      if (outcome === undefined) continue;
      outcomes.push(outcome);
      if (outcome.result === 'resized') await ctx.events.record(hearth, 'Normal', 'Resized', outcome.message);
    }
  }
  return outcomes;
}

async function ensureClaimSize(ctx: ReconcileContext, change: ClaimChange, name: string): Promise<ClaimOutcome | undefined> {
  const claim = (await ctx.client.get(pathOf('PersistentVolumeClaim', change.namespace, name))) as V1PersistentVolumeClaim | undefined;
  const size = sizeOf(claim) ?? change.liveSize;
  const decision = claimSizeDecision(claim, change, name, size);
  return decision === 'expand' ? expandClaim(ctx, change, name, size) : decision;
}

/** What a claim's size calls for: nothing, a refusal that says why, or asking the volume to expand. Pure. */
function claimSizeDecision(claim: V1PersistentVolumeClaim | undefined, change: ClaimChange, name: string, size: string): ClaimOutcome | 'expand' | undefined {
  const order = compareQuantities(size, change.wantedSize);
  if (order === 0 || order === undefined) return undefined;
  if (order > 0) {
    // Without a claim yet, the StatefulSet will make it from its template, which keeps its size.
    const message =
      claim === undefined
        ? `PersistentVolumeClaim ${name} will be made at ${size}: the claim template of ${change.statefulSet} cannot change, so spec.storage.size ${change.wantedSize} (smaller) is not applied`
        : `PersistentVolumeClaim ${name} stays at ${size}: volumes cannot shrink, so spec.storage.size ${change.wantedSize} is not applied to it`;
    return { claim: name, result: 'refused', reason: 'CannotShrink', message };
  }
  // A claim that does not exist yet is made at the template's size and asked to grow on a later reconcile.
  if (claim === undefined) return undefined;
  if (claim.status?.phase !== 'Bound') {
    const message = `PersistentVolumeClaim ${name} is not bound to a volume yet: it is asked for ${change.wantedSize} once it is`;
    return { claim: name, result: 'refused', reason: 'ClaimNotBound', message };
  }
  return 'expand';
}

/** Asks for the wanted size; a refusal of the API server (not a 5xx) is the storage class's, and said so. */
async function expandClaim(ctx: ReconcileContext, change: ClaimChange, name: string, size: string): Promise<ClaimOutcome> {
  try {
    await ctx.client.mergePatch(pathOf('PersistentVolumeClaim', change.namespace, name), { spec: { resources: { requests: { storage: change.wantedSize } } } });
    return {
      claim: name,
      result: 'resized',
      message: `Requested ${change.wantedSize} for PersistentVolumeClaim ${name} (was ${size}); its storage class expands the volume`,
    };
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.status >= 500) throw error;
    const message = `PersistentVolumeClaim ${name} stays at ${size}: the API server refused ${change.wantedSize} (${error.message}); its storage class must allow volume expansion`;
    return { claim: name, result: 'refused', reason: 'ExpansionRefused', message };
  }
}

/** What the StorageUnchanged condition says of these outcomes: undefined when nothing was refused. */
export function storageRefusalOf(outcomes: readonly ClaimOutcome[]): StorageRefusal | undefined {
  const refused = outcomes.filter((outcome) => outcome.result === 'refused');
  const first = refused[0];
  if (first === undefined) return undefined;
  return { reason: first.reason, message: refused.map((outcome) => outcome.message).join('; ') };
}
