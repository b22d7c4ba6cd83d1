// Server-side apply of the desired objects under one field manager. A desired object that the
// live one already matches is not sent at all, so a reconcile with nothing to change neither
// writes nor asks: the live object must carry the hash of what we last applied (so a field we
// stopped setting is noticed) and hold every field we set (so someone else's edit is noticed).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../controller/index.ts';
import type { DesiredObject } from '../tiers/index.ts';
import type { ApplyResult, ReconcileContext } from './context.ts';
import { pathOf, type OwnedKindName } from './kinds.ts';

export const appliedHashAnnotation = 'hearth.dev/applied-hash';

export interface AppliedObject {
  readonly kind: string;
  readonly name: string;
  readonly result: ApplyResult;
}

export async function ensureApplied(ctx: ReconcileContext, objects: readonly DesiredObject[]): Promise<AppliedObject[]> {
  const results: AppliedObject[] = [];
  // In the order the tiers give: what a later object refers to exists first.
  for (const object of objects) {
    const result = await ensureObjectApplied(ctx, object);
    ctx.onApply?.(object.kind, result);
    results.push({ kind: object.kind, name: object.metadata.name, result });
  }
  return results;
}

async function ensureObjectApplied(ctx: ReconcileContext, object: DesiredObject): Promise<ApplyResult> {
  const { name, namespace } = object.metadata;
  const stamped = withAppliedHash(object);
  const live = await liveObject(ctx, object.kind, namespace, name);
  if (live !== undefined && isUpToDate(stamped, live)) return 'unchanged';
  if (live !== undefined) ctx.log?.('applying', { kind: object.kind, namespace, name, differs: differenceOf(stamped, live) });
  await ctx.client.apply(pathOf(object.kind, namespace, name), stamped);
  return live === undefined ? 'created' : 'updated';
}

export async function liveObject(ctx: ReconcileContext, kind: OwnedKindName, namespace: string, name: string): Promise<KubeObject | undefined> {
  if (ctx.cached !== undefined) return ctx.cached(kind, namespace).find((object) => object.metadata?.name === name);
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
  return desired === live ? undefined : path;
}

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
