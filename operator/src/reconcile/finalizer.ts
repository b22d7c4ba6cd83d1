// The finalizer: cleanup that owner references cannot do by themselves. Without a garbage
// collector (or before it gets there) the owned objects are deleted here; the volumes go only
// when spec.storage.retainOnDelete is false. The finalizer goes last, once nothing owned is left.
import type { Hearth } from '../api/index.ts';
import { instanceLabels } from '../tiers/index.ts';
import { hearthName, hearthNamespace, isOwnedBy, type ReconcileContext } from './context.ts';
import { pathOf, prunableKinds, type KindName } from './kinds.ts';

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
  return setFinalizers(ctx, hearth, (hearth.metadata.finalizers ?? []).filter((name) => name !== cleanupFinalizer));
}

async function setFinalizers(ctx: ReconcileContext, hearth: Hearth, finalizers: string[]): Promise<Hearth> {
  // A merge patch replaces the whole list: the resourceVersion makes it fail rather than drop another's finalizer.
  const patch = { metadata: { finalizers, resourceVersion: hearth.metadata.resourceVersion } };
  return (await ctx.client.mergePatch(pathOf('Hearth', hearthNamespace(hearth), hearthName(hearth)), patch)) as unknown as Hearth;
}

export interface CleanupResult {
  readonly deleted: string[];
  /** Objects still there (being deleted by someone else's finalizer, say): look again later. */
  readonly remaining: number;
}

/** Deletes what the Hearth owns, asking the API server rather than the cache: nothing may be missed. */
export async function cleanupOwned(ctx: ReconcileContext, hearth: Hearth): Promise<CleanupResult> {
  const namespace = hearthNamespace(hearth);
  const selector = Object.entries(instanceLabels(hearthName(hearth)))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const deleted: string[] = [];
  let remaining = 0;
  const retain = hearth.spec.storage?.retainOnDelete !== false;
  const targets: KindName[] = [...prunableKinds, 'Secret', ...(retain ? [] : (['PersistentVolumeClaim'] as const))];
  for (const kind of targets) {
    const live = await ctx.client.list(pathOf(kind, namespace), selector);
    // PVCs from a volume claim template carry no owner reference: the labels say whose they are.
    const owned = live.filter((object) => kind === 'PersistentVolumeClaim' || isOwnedBy(object, hearth));
    for (const object of owned) {
      const name = object.metadata?.name ?? '';
      // Already being deleted: a PVC waits for kubernetes.io/pvc-protection, which is not ours to lift.
      if (object.metadata?.deletionTimestamp !== undefined) continue;
      if (await ctx.client.delete(pathOf(kind, namespace, name))) deleted.push(`${kind}/${name}`);
      else continue;
      const after = await ctx.client.get(pathOf(kind, namespace, name));
      if (after !== undefined && after.metadata?.deletionTimestamp === undefined) remaining += 1;
    }
  }
  return { deleted, remaining };
}
