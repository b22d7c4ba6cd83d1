import type { ImportState } from '@hearth/core';

/**
 * Where `hearth migrate` starts, from what its target holds (its import marker) and, for a copy
 * verified before, whether the target still matches the source. A pure decision, so that each
 * case of running it again is a table test.
 *
 * A verified copy that no longer matches is refused, not reset: once verified, the target may be
 * the tier in use (the operator switched to it), and its new writes must not be wiped. A copy
 * that was never verified was never switched to, so it can be cleared and made again.
 */
export type CopyStart =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'done' }
  | { readonly kind: 'reset'; readonly why: string }
  | { readonly kind: 'refuse'; readonly why: string };

const EMPTY_IT = 'point HEARTH_DATABASE_URL (or HEARTH_DATA_DIR) at a new, empty database';

/**
 * `sameAsSource` matters only for a verified copy (needsComparison): whether its records are the
 * source's now. A refusal that depends on nothing else is known before the source is paused.
 */
export function decideCopyStart(target: ImportState, sameAsSource: boolean): CopyStart {
  const { marker } = target;
  if (marker === null) {
    return target.hasRecords ? { kind: 'refuse', why: `the target already holds data that hearth migrate did not copy: ${EMPTY_IT}` } : { kind: 'fresh' };
  }
  if (marker.copiedFrom === null) {
    return { kind: 'refuse', why: `the target holds an import of a file (hearth import), not a copy by hearth migrate: ${EMPTY_IT}` };
  }
  if (!marker.finished) return { kind: 'resume' };
  if (marker.verifiedAt === null) return { kind: 'reset', why: `it holds a copy of ${marker.copiedFrom} that was never verified` };
  if (sameAsSource) return { kind: 'done' };
  return {
    kind: 'refuse',
    why: `the target holds a copy of ${marker.copiedFrom} verified at ${marker.verifiedAt} that differs from the source now: one of them took writes since (if the target is the tier in use, the migration is done); to copy again, ${EMPTY_IT}`,
  };
}

/** Whether deciding needs the target compared with the source (a copy verified before). */
export function needsComparison(target: ImportState): boolean {
  return target.marker !== null && target.marker.copiedFrom !== null && target.marker.finished && target.marker.verifiedAt !== null;
}
