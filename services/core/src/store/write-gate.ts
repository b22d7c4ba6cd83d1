import { HearthError } from '../errors.ts';
import type { Conn } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import type { TransactionOptions, WritePause } from './store.ts';

/**
 * Writes can be paused (a tier migration copies the store meanwhile): while they are, a
 * command's transaction is refused with `migrating` (503, retry later), and reads go on.
 *
 * The pause is one row, `write_gate`. A gated transaction reads it first; in PostgreSQL it
 * takes a share lock on it (FOR SHARE) that it holds until it ends, and pausing updates the
 * row, which waits for those locks. So once pauseWrites returns, no command that read the
 * gate open is still to commit, and a snapshot taken then holds every acknowledged write. A
 * command that comes while the pause is being written waits for it and then sees it (READ
 * COMMITTED re-reads a row a lock waited for). SQLite runs one transaction at a time.
 */

/**
 * The option of a transaction whose writes a pause must hold back: commands, sessions made or
 * ended, audit entries. Bookkeeping on reads (a session's or a token's last use) is not gated,
 * so reading goes on while writes are paused; what it writes then is not copied, and harmless.
 */
export const GATED: TransactionOptions = { gated: true };

/** How long a client is told to wait before trying a write again. */
export const PAUSED_RETRY_AFTER_S = 10;

export function gateCheckSql(dialect: Dialect): string {
  return `SELECT paused_since, reason FROM write_gate WHERE singleton = 1${dialect.name === 'postgres' ? ' FOR SHARE' : ''}`;
}

interface GateRow {
  readonly paused_since: string | null;
  readonly reason: string | null;
}

/** The pause the gate row says, or null when writes are open. */
export function pauseOf(row: GateRow | undefined): WritePause | null {
  if (row?.paused_since === null || row?.paused_since === undefined) return null;
  return { since: row.paused_since, reason: row.reason ?? '' };
}

/** Throws `migrating` when the gate row says writes are paused. */
export function refuseIfPaused(row: GateRow | undefined): void {
  const pause = pauseOf(row);
  if (pause === null) return;
  throw new HearthError('migrating', `writes are paused since ${pause.since}: ${pause.reason}`, { retryAfter: PAUSED_RETRY_AFTER_S });
}

export async function readPause(sql: Conn): Promise<WritePause | null> {
  return pauseOf(await sql.row<GateRow>('SELECT paused_since, reason FROM write_gate WHERE singleton = 1'));
}

/** Sets or clears the pause; in PostgreSQL, waits for the gated transactions that read the gate open. */
export async function writePause(sql: Conn, pause: WritePause | null): Promise<void> {
  await sql.run('UPDATE write_gate SET paused_since = ?, reason = ? WHERE singleton = 1', pause?.since ?? null, pause?.reason ?? null);
}
