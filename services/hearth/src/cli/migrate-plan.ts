import type { ImportState, WritePause } from '@hearth/core';

/**
 * Where `hearth migrate` starts, from what its target holds (its import marker) and the pause on
 * its source. A pure decision, made before the source is touched, so that each case of running
 * it again is a table test.
 *
 * A verified copy is never cleared: once verified, the target may be the tier in use (the
 * operator switched to it). It is done while its source is still paused for good by that
 * migration, and refused if the source's writes were opened since (the copy may be stale, and
 * the target may hold new writes: a person must say which one to keep). A copy that was never
 * verified was never switched to, so it can be cleared and made again.
 */
export type CopyStart =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'done' }
  | { readonly kind: 'reset'; readonly why: string }
  | { readonly kind: 'refuse'; readonly why: string };

export interface SourceState {
  /** The source as the marker names it (migrate-stores.ts storeName). */
  readonly name: string;
  /** The pause on the source now, or null when it takes writes. */
  readonly pause: WritePause | null;
}

const EMPTY_IT = 'point HEARTH_DATABASE_URL (or HEARTH_DATA_DIR) at a new, empty database';

/** The reason a migration's pause on its source gives: it names the target, so a rerun knows its own. */
export function pauseReason(targetName: string): string {
  return `hearth migrate: copying to ${targetName}`;
}

export function decideCopyStart(target: ImportState, source: SourceState, targetName: string): CopyStart {
  const { marker } = target;
  if (marker === null) {
    return target.hasRecords ? { kind: 'refuse', why: `the target already holds data that hearth migrate did not copy: ${EMPTY_IT}` } : { kind: 'fresh' };
  }
  if (marker.copiedFrom === null) {
    return { kind: 'refuse', why: `the target holds an import of a file (hearth import), not a copy by hearth migrate: ${EMPTY_IT}` };
  }
  if (marker.verifiedAt !== null) return verifiedCopy(marker.copiedFrom, marker.verifiedAt, source, targetName);
  if (marker.copiedFrom !== source.name) return { kind: 'reset', why: `it holds an unverified copy of another store (${marker.copiedFrom})` };
  if (!marker.finished) return { kind: 'resume' };
  return { kind: 'reset', why: `it holds a copy of ${marker.copiedFrom} that was never verified` };
}

function verifiedCopy(copiedFrom: string, verifiedAt: string, source: SourceState, targetName: string): CopyStart {
  if (copiedFrom !== source.name) {
    return { kind: 'refuse', why: `the target holds a verified copy of another store (${copiedFrom}), and may be in use: ${EMPTY_IT}` };
  }
  const stillPaused = source.pause !== null && source.pause.leaseUntil === undefined && source.pause.reason === pauseReason(targetName);
  if (stillPaused) return { kind: 'done' };
  return {
    kind: 'refuse',
    why: `the target holds a copy of the source verified at ${verifiedAt}, but the source's writes were opened since: if the target is the tier in use, the migration is done; to copy again, ${EMPTY_IT}`,
  };
}
