// Server-side apply of the desired objects under one field manager. A desired object that the
// live one already matches is not sent at all, so a reconcile with nothing to change neither
// writes nor asks: the live object must carry the hash of what we last applied (so a field we
// stopped setting is noticed) and hold every field we set (so someone else's edit is noticed).
import { createHash } from 'node:crypto';
import { KubeApiError, type KubeObject } from '@hearth/kube-runtime';
import type { DesiredObject } from '../tiers/index.ts';
import type { ApplyResult, ReconcileContext } from './context.ts';
import type { ChangeLog } from './events.ts';
import { pathOf, type OwnedKindName } from './kinds.ts';
import { ObjectWriteError } from './problems.ts';
import { compareQuantities, isQuantity } from '../api/quantity.ts';

export const appliedHashAnnotation = 'hearth.dev/applied-hash';

export interface AppliedObject {
  readonly kind: string;
  readonly name: string;
  readonly result: ApplyResult;
}

/**
 * Applies each object that differs, a kind at a time in the order the tiers give (what a later
 * kind refers to exists first: policies before the pods they guard, Services before the Ingress),
 * the objects of one kind together: a Hearth's reconcile waits for one round trip per kind, not
 * one per object. Each object created or updated is noted in `changes`, in the tiers' order, even
 * when another of its kind failed; the first failure is thrown once its kind has settled.
 */
export async function ensureApplied(ctx: ReconcileContext, objects: readonly DesiredObject[], changes?: ChangeLog): Promise<AppliedObject[]> {
  const results: AppliedObject[] = [];
  for (const wave of byKind(objects)) {
    const settled = await Promise.allSettled(wave.map((object) => ensureObjectApplied(ctx, object)));
    for (const [index, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') continue;
      const object = wave[index]!;
      ctx.onApply?.(object.kind, outcome.value);
      if (outcome.value !== 'unchanged') changes?.note(outcome.value === 'created' ? 'Created' : 'Updated', object.kind, object.metadata.name);
      results.push({ kind: object.kind, name: object.metadata.name, result: outcome.value });
    }
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
  return results;
}

/** Runs of consecutive objects of one kind, in their order. */
export function byKind(objects: readonly DesiredObject[]): DesiredObject[][] {
  const waves: DesiredObject[][] = [];
  for (const object of objects) {
    const last = waves.at(-1);
    if (last?.[0]?.kind === object.kind) last.push(object);
    else waves.push([object]);
  }
  return waves;
}

async function ensureObjectApplied(ctx: ReconcileContext, object: DesiredObject): Promise<ApplyResult> {
  const { name, namespace } = object.metadata;
  const stamped = withAppliedHash(object);
  const live = await liveObject(ctx, object.kind, namespace, name);
  if (live !== undefined && isUpToDate(stamped, live)) return 'unchanged';
  if (live !== undefined) ctx.log?.('applying', { kind: object.kind, namespace, name, differs: differenceOf(stamped, live) });
  try {
    await applyTakingListsBack(ctx, stamped, live !== undefined);
  } catch (error) {
    if (error instanceof KubeApiError) throw new ObjectWriteError(object.kind, name, error);
    throw error;
  }
  return live === undefined ? 'created' : 'updated';
}

/**
 * Server-side apply merges list entries by key, so an entry someone else added stays, being theirs:
 * an env var set by hand (`kubectl set env`), or a Service port `http` moved to 8081 by a hand
 * edit, which leaves their 8081 and our 80 under one name and every apply refused (422, duplicate
 * name). Forcing does not help, since their entry has another key. So when an apply is refused
 * with a 422, or leaves the object still unlike ours (which would re-apply it on every reconcile),
 * the lists are taken back whole, by a merge patch of our spec (a merge patch replaces lists). If
 * the spec itself is what the API server refuses, the merge patch is refused too and changes
 * nothing; the first error is thrown.
 */
async function applyTakingListsBack(ctx: ReconcileContext, stamped: DesiredObject, exists: boolean): Promise<void> {
  const path = pathOf(stamped.kind, stamped.metadata.namespace, stamped.metadata.name);
  const takeListsBack = async (why: string): Promise<void> => {
    await ctx.client.mergePatch(path, { spec: (stamped as { spec: unknown }).spec });
    ctx.log?.('took lists back', { kind: stamped.kind, namespace: stamped.metadata.namespace, name: stamped.metadata.name, why });
  };
  let applied: KubeObject;
  try {
    applied = await ctx.client.apply(path, stamped);
  } catch (error) {
    if (!exists || !(error instanceof KubeApiError) || error.status !== 422 || !('spec' in stamped)) throw error;
    await takeListsBack(error.message).catch(() => {
      throw error;
    });
    await ctx.client.apply(path, stamped);
    return;
  }
  // Only the spec's lists can be taken back so; a difference elsewhere is left for the next reconcile to see.
  const left = firstDifference(stamped, applied);
  if (left?.startsWith('.spec') === true) await takeListsBack(`entries of others left at ${left}`);
}

export async function liveObject(ctx: ReconcileContext, kind: OwnedKindName, namespace: string, name: string): Promise<KubeObject | undefined> {
  const cached = ctx.cached?.(kind);
  if (cached !== undefined) return cached.get(namespace, name);
  return ctx.client.get(pathOf(kind, namespace, name));
}

function appliedHashOf(live: unknown): string | undefined {
  return (live as KubeObject | undefined)?.metadata?.annotations?.[appliedHashAnnotation];
}

function differenceOf(stamped: DesiredObject, live: KubeObject): string {
  const hash = stamped.metadata.annotations?.[appliedHashAnnotation];
  if (appliedHashOf(live) !== hash) return `metadata.annotations.${appliedHashAnnotation}`;
  return firstDifference(stamped, live) ?? '';
}

export function appliedHash(object: unknown): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 20);
}

export function withAppliedHash<T extends DesiredObject>(object: T): T {
  const annotations = { ...object.metadata.annotations, [appliedHashAnnotation]: appliedHash(object) };
  return { ...object, metadata: { ...object.metadata, annotations } };
}

/** The live object was applied from this very desired object and nobody changed a field of it since. */
export function isUpToDate(stamped: DesiredObject, live: unknown): boolean {
  const hash = stamped.metadata.annotations?.[appliedHashAnnotation];
  if (appliedHashOf(live) !== hash) return false;
  return isSubset(stamped, live);
}

/**
 * Every field of `desired` is in `live` with the same value; lists must match item by item. The
 * API server only adds to what was applied (defaults, status), so extra fields in `live` are fine.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  return firstDifference(desired, live) === undefined;
}

/** The path of the first field of `desired` that `live` does not hold as is, or undefined. */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  // The API server drops an empty list or object (omitempty): `volumes: []` is stored as nothing.
  if (live === undefined && isEmpty(desired)) return undefined;
  if (Array.isArray(desired)) return listDifference(desired, live, path);
  if (typeof desired === 'object' && desired !== null) return recordDifference(desired, live, path);
  if (desired === live || isSameQuantity(desired, live, path)) return undefined;
  return path;
}

/** The API server stores quantities canonically (0.5 → 500m, 1024Mi → 1Gi): the same amount is no difference. */
function isSameQuantity(desired: unknown, live: unknown, path: string): boolean {
  return quantityPath.test(path) && isQuantity(desired) && isQuantity(live) && compareQuantities(desired, live) === 0;
}

/** A container's or a claim's resource amount: `….resources.requests.cpu`, `….limits.memory`. */
const quantityPath = /\.(requests|limits)\.[^.[\]]+$/;

function listDifference(desired: readonly unknown[], live: unknown, path: string): string | undefined {
  if (!Array.isArray(live) || live.length !== desired.length) return path;
  for (const [index, item] of desired.entries()) {
    const difference = firstDifference(item, live[index], `${path}[${index}]`);
    if (difference !== undefined) return difference;
  }
  return undefined;
}

function recordDifference(desired: object, live: unknown, path: string): string | undefined {
  if (typeof live !== 'object' || live === null || Array.isArray(live)) return path;
  const record = live as Record<string, unknown>;
  for (const [key, value] of Object.entries(desired)) {
    const difference = value === undefined ? undefined : firstDifference(value, record[key], `${path}.${key}`);
    if (difference !== undefined) return difference;
  }
  return undefined;
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.values(value).every((item) => item === undefined);
}
