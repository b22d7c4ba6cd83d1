// The finalizer: cleanup that owner references cannot do by themselves. Without a garbage
// collector (or before it gets there) the owned objects are deleted here; the volumes, the
// credentials that open them and CloudNativePG's Cluster (which owns its own volumes) go only when
// spec.storage.retainOnDelete is false at deletion. The finalizer goes last, once nothing owned is left.
import { KubeApiError, type KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { generatedAnnotation, instanceLabels, toSelector } from '../tiers/index.ts';
import { hearthName, hearthNamespace, isOwnedBy, type ReconcileContext } from './context.ts';
import type { ChangeLog } from './events.ts';
import { monitoringConfigMapKind, pathOf, prometheusOperatorKinds, prunableKinds, type KindName } from './kinds.ts';

export const cleanupFinalizer = 'hearth.dev/cleanup';

export function hasFinalizer(hearth: Hearth): boolean {
  return hearth.metadata.finalizers?.includes(cleanupFinalizer) ?? false;
}

/** Adds the finalizer when missing; returns the Hearth as the API server now holds it. */
export async function ensureFinalizer(ctx: ReconcileContext, hearth: Hearth): Promise<Hearth> {
  if (hasFinalizer(hearth)) return hearth;
  const finalizers = [...(hearth.metadata.finalizers ?? []), cleanupFinalizer];
  return setFinalizers(ctx, hearth, finalizers);
}

export async function removeFinalizer(ctx: ReconcileContext, hearth: Hearth): Promise<Hearth> {
  return setFinalizers(
    ctx,
    hearth,
    (hearth.metadata.finalizers ?? []).filter((name) => name !== cleanupFinalizer),
  );
}

async function setFinalizers(ctx: ReconcileContext, hearth: Hearth, finalizers: string[]): Promise<Hearth> {
  // A merge patch replaces the whole list: the resourceVersion makes it fail rather than drop another's finalizer.
  const patch = { metadata: { finalizers, resourceVersion: hearth.metadata.resourceVersion } };
  return (await ctx.client.mergePatch(pathOf('Hearth', hearthNamespace(hearth), hearthName(hearth)), patch)) as unknown as Hearth;
}

export interface CleanupResult {
  readonly deleted: readonly string[];
  /** The volume claims and credentials kept (spec.storage.retainOnDelete is true). */
  readonly kept: readonly string[];
  /** Objects still there (being deleted by someone else's finalizer, say): look again later. */
  readonly remaining: number;
}

/**
 * Deletes what the Hearth owns, asking the API server rather than the cache: nothing may be missed.
 * The volume claims and the generated credentials share one fate, decided by
 * spec.storage.retainOnDelete as it is now, at deletion: both kept, or both deleted.
 */
export async function cleanupOwned(ctx: ReconcileContext, hearth: Hearth, changes: ChangeLog): Promise<CleanupResult> {
  const retain = hearth.spec.storage?.retainOnDelete !== false;
  const kept = retain ? await ensureDataKept(ctx, hearth) : [];
  const deleted: string[] = [];
  let remaining = 0;
  for (const kind of cleanupKinds(retain)) {
    for (const object of await deletable(ctx, hearth, kind)) {
      const outcome = await deleteOwned({ ctx, hearth, changes }, kind, object);
      if (outcome === undefined) continue;
      deleted.push(outcome.deleted);
      if (outcome.remains) remaining += 1;
    }
  }
  return { deleted, kept, remaining };
}

/**
 * The kinds cleanup deletes: the tier's and the monitoring objects, a migration's copy Job (which
 * may hold the old store's write pause), spec.backup's CronJob (which could start a backup of a
 * Hearth being deleted), and the data's (Cluster, credentials, claims) unless retained.
 */
function cleanupKinds(retain: boolean): KindName[] {
  const monitoring: KindName[] = [monitoringConfigMapKind, ...prometheusOperatorKinds];
  return [...prunableKinds, 'Job', 'CronJob', ...monitoring, ...(retain ? [] : (['Cluster', 'Secret', 'PersistentVolumeClaim'] as const))];
}

/**
 * Deletes one object and notes it; undefined when there was nothing to delete. `remains`: it is
 * still there and not being deleted, so cleanup must look again.
 */
async function deleteOwned(
  { ctx, hearth, changes }: { ctx: ReconcileContext; hearth: Hearth; changes: ChangeLog },
  kind: KindName,
  object: KubeObject,
): Promise<{ deleted: string; remains: boolean } | undefined> {
  const name = object.metadata?.name ?? '';
  // Already being deleted: a PVC waits for kubernetes.io/pvc-protection, which is not ours to lift.
  if (object.metadata?.deletionTimestamp !== undefined) return undefined;
  const path = pathOf(kind, hearthNamespace(hearth), name);
  if (!(await ctx.client.delete(path))) return undefined;
  changes.note('Deleted', kind, name);
  const after = await ctx.client.get(path);
  return { deleted: `${kind} ${name}`, remains: after !== undefined && after.metadata?.deletionTimestamp === undefined };
}

async function listInstance(ctx: ReconcileContext, hearth: Hearth, kind: KindName): Promise<KubeObject[]> {
  try {
    return await ctx.client.list(pathOf(kind, hearthNamespace(hearth)), toSelector(instanceLabels(hearthName(hearth))));
  } catch (error) {
    // CloudNativePG or the Prometheus Operator not installed (or removed): there is none of its kind to delete or keep.
    const optional = kind === 'Cluster' || prometheusOperatorKinds.some((monitoringKind) => monitoringKind === kind);
    if (optional && error instanceof KubeApiError && error.status === 404) return [];
    throw error;
  }
}

/**
 * What cleanup deletes of a kind: what the Hearth owns; every claim and CloudNativePG Cluster of its
 * labels (claims from a volume claim template carry no owner reference, and the Cluster is never
 * owned); and of the Secrets, those the operator generated.
 */
async function deletable(ctx: ReconcileContext, hearth: Hearth, kind: KindName): Promise<KubeObject[]> {
  const live = await listInstance(ctx, hearth, kind);
  if (kind === 'PersistentVolumeClaim' || kind === 'Cluster') return live;
  if (kind === 'Secret') return live.filter((secret) => isGenerated(secret) || isOwnedBy(secret, hearth));
  return live.filter((object) => isOwnedBy(object, hearth));
}

function isGenerated(secret: KubeObject): boolean {
  return secret.metadata?.annotations?.[generatedAnnotation] !== undefined;
}

/**
 * Before the owned objects go, takes away every way the garbage collector would delete the data
 * with them: an owner reference to the Hearth on a generated Secret (an earlier release set one when
 * retainOnDelete was false at creation), a StatefulSet that would delete its claims, and the owner
 * reference such a StatefulSet's controller put on its claims. Returns what is kept.
 */
async function ensureDataKept(ctx: ReconcileContext, hearth: Hearth): Promise<string[]> {
  const namespace = hearthNamespace(hearth);
  for (const set of await listInstance(ctx, hearth, 'StatefulSet')) {
    const policy = (set as { spec?: { persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string } } }).spec?.persistentVolumeClaimRetentionPolicy;
    if (policy?.whenDeleted !== 'Delete' || !isOwnedBy(set, hearth)) continue;
    await ctx.client.mergePatch(pathOf('StatefulSet', namespace, set.metadata?.name ?? ''), {
      spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } },
    });
  }
  const byHearth = (owner: OwnerReference): boolean => owner.uid === hearth.metadata.uid;
  return [
    ...(await keepAll(ctx, hearth, {
      kind: 'PersistentVolumeClaim',
      objects: await listInstance(ctx, hearth, 'PersistentVolumeClaim'),
      isRemoved: (owner) => owner.kind === 'StatefulSet',
    })),
    ...(await keepAll(ctx, hearth, { kind: 'Secret', objects: (await listInstance(ctx, hearth, 'Secret')).filter(isGenerated), isRemoved: byHearth })),
    // Its volumes are its own (CloudNativePG owns them by the Cluster): kept while it is.
    ...(await keepAll(ctx, hearth, { kind: 'Cluster', objects: await listInstance(ctx, hearth, 'Cluster'), isRemoved: byHearth })),
  ];
}

/** Objects of one kind that cleanup keeps, and which of their owner references would have the garbage collector delete them. */
interface KeptObjects {
  readonly kind: KindName;
  readonly objects: readonly KubeObject[];
  readonly isRemoved: (owner: OwnerReference) => boolean;
}

/** Takes the owner references `isRemoved` picks off each object; returns them as `Kind name`. */
async function keepAll(ctx: ReconcileContext, hearth: Hearth, { kind, objects, isRemoved }: KeptObjects): Promise<string[]> {
  const kept: string[] = [];
  for (const object of objects) {
    const name = object.metadata?.name ?? '';
    await ensureNotOwned(ctx, pathOf(kind, hearthNamespace(hearth), name), object, isRemoved);
    kept.push(`${kind} ${name}`);
  }
  return kept;
}

type OwnerReference = NonNullable<NonNullable<KubeObject['metadata']>['ownerReferences']>[number];

async function ensureNotOwned(ctx: ReconcileContext, path: string, object: KubeObject, isRemoved: (owner: OwnerReference) => boolean): Promise<void> {
  const owners = object.metadata?.ownerReferences ?? [];
  if (!owners.some(isRemoved)) return;
  // The resourceVersion makes a concurrent change of the list fail the patch rather than be lost.
  await ctx.client.mergePatch(path, {
    metadata: { ownerReferences: owners.filter((owner) => !isRemoved(owner)), resourceVersion: object.metadata?.resourceVersion },
  });
}
