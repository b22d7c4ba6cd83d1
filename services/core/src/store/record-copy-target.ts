import type { Conn } from './sql-conn.ts';
import { RECORD_TABLES } from './record-stream.ts';

/**
 * What a store holds as the target of a copy (hearth migrate), read and changed through the
 * import's marker row, `record_import`: whether it has records, whether an import made them,
 * which source that import was a copy of, and whether the copy was verified.
 */

export interface ImportMarker {
  /** The source the import was copied from (ImportOptions.copiedFrom); null for `hearth import` of a file. */
  readonly copiedFrom: string | null;
  readonly finished: boolean;
  /** When the copy was verified against its source (ISO time), or null. */
  readonly verifiedAt: string | null;
}

export interface ImportState {
  /** Whether any record table has a row. */
  readonly hasRecords: boolean;
  /** The import that loaded this store, finished or not; null when none did. */
  readonly marker: ImportMarker | null;
}

interface MarkerRow {
  readonly copied_from: string | null;
  readonly finished_at: string | null;
  readonly verified_at: string | null;
}

export async function readImportState(sql: Conn): Promise<ImportState> {
  const row = await sql.row<MarkerRow>('SELECT copied_from, finished_at, verified_at FROM record_import WHERE singleton = 1');
  const marker = row === undefined ? null : { copiedFrom: row.copied_from, finished: row.finished_at !== null, verifiedAt: row.verified_at };
  return { hasRecords: await hasRecords(sql), marker };
}

async function hasRecords(sql: Conn): Promise<boolean> {
  for (const table of RECORD_TABLES) {
    if ((await sql.row(`SELECT 1 AS found FROM ${table.name} LIMIT 1`)) !== undefined) return true;
  }
  return false;
}

/** Marks a finished import as verified at `at`; false when there is no finished import to mark. */
export async function markImportVerified(sql: Conn, at: string): Promise<boolean> {
  return (await sql.run('UPDATE record_import SET verified_at = ? WHERE singleton = 1 AND finished_at IS NOT NULL', at)) === 1;
}

/** Deletes every record and the import's marker: the store is as a new one, for a copy to start again. */
export async function clearRecords(sql: Conn): Promise<void> {
  // Children before the rows they refer to: RECORD_TABLES lists parents first.
  for (const table of [...RECORD_TABLES].reverse()) await sql.run(`DELETE FROM ${table.name}`);
  await sql.run('DELETE FROM record_import');
}
