// Pruning: what this Hearth owns (its labels and an owner reference to it) and no longer wants.
// Both are required, so an object someone else labelled like ours is never deleted.
import type { KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from '../api/index.ts';
import { instanceLabels, type DesiredObject } from '../tiers/index.ts';
import { hearthName, hearthNamespace, isOwnedBy, liveObjects, type ReconcileContext } from './context.ts';
import { pathOf, prunableKinds, type OwnedKindName } from './kinds.ts';

export interface PrunedObject {
  readonly kind: OwnedKindName;
  readonly name: string;
}

/** What the Hearth owns of `kinds` (the tier's, by default) that `desired` does not name, deleted. */
export async function pruneUndesired(
  ctx: ReconcileContext,
  hearth: Hearth,
  desired: readonly DesiredObject[],
  kinds: readonly OwnedKindName[] = prunableKinds,
): Promise<PrunedObject[]> {
  const wanted = new Set(desired.map((object) => `${object.kind}/${object.metadata.name}`));
  const namespace = hearthNamespace(hearth);
  const pruned: PrunedObject[] = [];
  for (const kind of kinds) {
    for (const object of await ownedObjects(ctx, hearth, kind)) {
      const name = object.metadata?.name ?? '';
      if (wanted.has(`${kind}/${name}`) || object.metadata?.deletionTimestamp !== undefined) continue;
      if (await ctx.client.delete(pathOf(kind, namespace, name))) pruned.push({ kind, name });
    }
  }
  return pruned;
}

export async function ownedObjects(ctx: ReconcileContext, hearth: Hearth, kind: OwnedKindName): Promise<KubeObject[]> {
  const namespace = hearthNamespace(hearth);
  const live = await liveObjects(ctx, kind, namespace, instanceLabels(hearthName(hearth)));
  return live.filter((object) => isOwnedBy(object, hearth));
}
