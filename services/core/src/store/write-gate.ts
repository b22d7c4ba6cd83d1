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
 * gate open is still to commit, and a snapshot taken then holds every acknowledged write.
 * PostgreSQL grants a share lock on a row past a waiting updater, so under a stream of
 * overlapping commands the update alone could wait for ever; the pause first locks the table
 * (EXCLUSIVE: plain reads go on), and table locks are queued, so a command that comes while the
 * pause waits queues behind it and then sees it (READ COMMITTED re-reads a row a lock waited
 * for). SQLite runs one transaction at a time.
 *
 * A pause may have a lease (hearth migrate's): it lapses by itself at lease_expires_at unless
 * renewed, so a copy killed mid-way does not leave writes refused for good. The gate reads the
 * expiry in the same query, against the database's own clock, so a lapsed lease costs nothing.
 */

/**
 * The option of a transaction whose writes a pause must hold back: commands, sessions made or
 * ended, audit entries. Bookkeeping on reads (a session's or a token's last use) is not gated,
 * so reading goes on while writes are paused; what it writes then is not copied, and harmless.
 */
export const GATED: TransactionOptions = { gated: true };

/** How long a client is told to wait before trying a write again. */
export const PAUSED_RETRY_AFTER_S = 10;

/** The database's clock, as each dialect keeps a lease's expiry: the gate and the lease read one clock. */
function nowSql(dialect: Dialect): string {
  return dialect.name === 'postgres' ? 'statement_timestamp()' : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
}

/** The expiry of a lease of `?` seconds from now, in the database's clock. */
function leaseEndSql(dialect: Dialect): string {
  return dialect.name === 'postgres' ? 'statement_timestamp() + make_interval(secs => ?)' : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ? || ' seconds')";
}

/**
 * The gate row, with whether its lease has lapsed: computed in the same query, so the gate still
 * costs one round trip (PostgreSQL's GATED_BEGIN), and the row is locked whether the pause holds
 * or has lapsed, so a pause that renews it still waits for every transaction that read it.
 */
function gateRowSql(dialect: Dialect): string {
  return `SELECT paused_since, reason, lease_expires_at, (lease_expires_at IS NOT NULL AND lease_expires_at <= ${nowSql(dialect)}) AS lapsed FROM write_gate WHERE singleton = 1`;
}

export function gateCheckSql(dialect: Dialect): string {
  return `${gateRowSql(dialect)}${dialect.name === 'postgres' ? ' FOR SHARE' : ''}`;
}

interface GateRow {
  readonly paused_since: string | null;
  readonly reason: string | null;
  readonly lease_expires_at: string | null;
  /** PostgreSQL's boolean, SQLite's 0/1. */
  readonly lapsed: boolean | number | null;
}

/** The pause the gate row says, or null when writes are open: never paused, resumed, or a lease that lapsed. */
export function pauseOf(row: GateRow | undefined): WritePause | null {
  if (row?.paused_since === null || row?.paused_since === undefined) return null;
  if (row.lapsed === true || row.lapsed === 1) return null;
  const pause = { since: row.paused_since, reason: row.reason ?? '' };
  return row.lease_expires_at === null ? pause : { ...pause, leaseUntil: row.lease_expires_at };
}

/** Throws `migrating` when the gate row says writes are paused. */
export function refuseIfPaused(row: GateRow | undefined): void {
  const pause = pauseOf(row);
  if (pause === null) return;
  throw new HearthError('migrating', `writes are paused since ${pause.since}: ${pause.reason}`, { retryAfter: PAUSED_RETRY_AFTER_S });
}

export async function readPause(sql: Conn): Promise<WritePause | null> {
  return pauseOf(await sql.row<GateRow>(gateRowSql(sql.dialect)));
}

/** Queues the pause's change behind the commands that read the gate, and the commands that come later behind it. */
async function lockGate(sql: Conn): Promise<void> {
  if (sql.dialect.name === 'postgres') await sql.run('LOCK TABLE write_gate IN EXCLUSIVE MODE');
}

/**
 * Sets or clears the pause; in PostgreSQL, waits for the gated transactions that read the gate
 * open. With `leaseSeconds` the pause lapses by itself unless holdPause renews it.
 */
export async function writePause(sql: Conn, pause: WritePause | null, leaseSeconds?: number): Promise<void> {
  await lockGate(sql);
  const since = pause?.since ?? null;
  const reason = pause?.reason ?? null;
  if (leaseSeconds === undefined) {
    await sql.run('UPDATE write_gate SET paused_since = ?, reason = ?, lease_expires_at = NULL WHERE singleton = 1', since, reason);
    return;
  }
  await sql.run(
    `UPDATE write_gate SET paused_since = ?, reason = ?, lease_expires_at = ${leaseEndSql(sql.dialect)} WHERE singleton = 1`,
    since,
    reason,
    leaseSeconds,
  );
}

/**
 * Renews the lease of the pause made at `since` (`leaseSeconds`), or makes it a pause with no
 * end (null). False when that pause no longer holds: resumed, replaced, or its lease lapsed, in
 * which case writes may have been taken meanwhile and the pause is left as it is.
 */
export async function holdPause(sql: Conn, since: string, leaseSeconds: number | null): Promise<boolean> {
  const end = leaseSeconds === null ? 'NULL' : leaseEndSql(sql.dialect);
  const params = leaseSeconds === null ? [since] : [leaseSeconds, since];
  await lockGate(sql);
  const changed = await sql.run(
    `UPDATE write_gate SET lease_expires_at = ${end}
     WHERE singleton = 1 AND paused_since = ? AND lease_expires_at IS NOT NULL AND lease_expires_at > ${nowSql(sql.dialect)}`,
    ...params,
  );
  return changed === 1;
}
