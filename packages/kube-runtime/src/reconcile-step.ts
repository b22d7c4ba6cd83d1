import type { ReconcileResult } from './work-queue.ts';

/**
 * A reconcile as an ordered chain of steps, after CloudNativePG's reconcile(): each step is
 * idempotent and says whether the chain goes on. A step that must wait (for a pod, a cleanup, an
 * operator not yet installed) returns a requeue and the chain stops there, so no later step runs
 * on a world the earlier one has not finished making. A step that has said all there is to say
 * (paused, nothing to build) returns done. A thrown error stops the chain too, and the work
 * queue retries it with back-off.
 */

export interface Continue {
  readonly type: 'continue';
}
export interface Requeue {
  readonly type: 'requeue';
  /** Run the reconcile again after this long. */
  readonly afterMs: number;
  /** Why it waits, for logs and tests. */
  readonly reason: string;
}
export interface Done {
  readonly type: 'done';
}
export type StepResult = Continue | Requeue | Done;

export type ReconcileStep<State> = (state: State) => Promise<StepResult>;

export const proceed: Continue = Object.freeze({ type: 'continue' });
export const done: Done = Object.freeze({ type: 'done' });

export function requeue(afterMs: number, reason: string): Requeue {
  return { type: 'requeue', afterMs, reason };
}

/**
 * Runs `steps` in order on one shared state until one returns requeue or done; a chain that gets
 * to its end is done. With `signal`, an abort (a shutdown past its deadline) stops the chain
 * between steps, by throwing the signal's reason.
 */
export async function runSteps<State>(state: State, steps: readonly ReconcileStep<State>[], signal?: AbortSignal): Promise<Requeue | Done> {
  for (const step of steps) {
    signal?.throwIfAborted();
    const result = await step(state);
    if (result.type !== 'continue') return result;
  }
  return done;
}

/** What the work queue makes of a chain's end: a requeue after its delay, else nothing more to do. */
export function toReconcileResult(result: Requeue | Done): ReconcileResult {
  return result.type === 'requeue' ? { requeueAfterMs: result.afterMs } : undefined;
}
