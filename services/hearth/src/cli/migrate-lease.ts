import type { Store, WritePause } from '@hearth/core';

/**
 * The pause `hearth migrate` holds on its source while it copies: a pause with a lease, renewed
 * on a timer. A copy killed part way stops renewing it, and the source takes writes again by
 * itself once the lease lapses, with no one to resume it.
 */

export interface LeaseTiming {
  /** How long the pause holds without a renewal. */
  readonly leaseSeconds: number;
  /** How often it is renewed: a few renewals fit in a lease, so one slow round trip loses nothing. */
  readonly renewEveryMs: number;
}

export const DEFAULT_LEASE: LeaseTiming = { leaseSeconds: 60, renewEveryMs: 10_000 };

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export class WriteLease {
  readonly #gate: Store;
  readonly since: string;
  /** A pause with no end that was in force before (a finished migration's, an administrator's): a failure puts it back rather than open writes. */
  readonly #before: WritePause | null;
  readonly #timer: NodeJS.Timeout;
  #lost: LeaseLostError | null = null;

  private constructor(gate: Store, since: string, before: WritePause | null, timing: LeaseTiming) {
    this.#gate = gate;
    this.since = since;
    this.#before = before;
    this.#timer = setInterval(() => void this.#renew(timing.leaseSeconds), timing.renewEveryMs);
    // The copy's own work keeps the process alive; a lease alone must not.
    this.#timer.unref();
  }

  /** Pauses writes on `gate` with a lease; resolves once every write accepted before is committed. */
  static async take(gate: Store, reason: string, timing: LeaseTiming): Promise<WriteLease> {
    const current = await gate.writePause();
    const since = new Date().toISOString();
    await gate.pauseWrites({ since, reason }, { leaseSeconds: timing.leaseSeconds });
    return new WriteLease(gate, since, current?.leaseUntil === undefined ? current : null, timing);
  }

  /** Throws when a renewal found the pause gone (resumed, replaced, or lapsed): writes may have been taken since. */
  throwIfLost(): void {
    if (this.#lost !== null) throw this.#lost;
  }

  /** Ends the lease and keeps writes paused with no end: the copy is done, the source stays read-only. */
  async settle(): Promise<void> {
    clearInterval(this.#timer);
    this.throwIfLost();
    if (!(await this.#gate.holdWritePause(this.since, null))) throw lostError();
  }

  /**
   * Ends the lease, if the pause is still this one (another run's is left alone), and takes
   * writes again; or, if writes were paused with no end before, puts that pause back: a source
   * left read-only by a finished migration must not open because a rerun was refused.
   */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    if ((await this.#gate.writePause())?.since !== this.since) return;
    if (this.#before === null) await this.#gate.resumeWrites();
    else await this.#gate.pauseWrites(this.#before);
  }

  async #renew(leaseSeconds: number): Promise<void> {
    if (this.#lost !== null) return;
    // A renewal that fails (the database briefly away) is retried at the next tick; the lease
    // still runs. Only a pause found gone is lost: settle() checks again before the end.
    const held = await this.#gate.holdWritePause(this.since, leaseSeconds).catch(() => true);
    if (!held) this.#lost = lostError();
  }
}

function lostError(): LeaseLostError {
  return new LeaseLostError('the pause on the source was lifted, replaced or let lapse while copying, so writes may have been taken: run hearth migrate again');
}
