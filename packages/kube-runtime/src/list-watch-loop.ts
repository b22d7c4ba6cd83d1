/**
 * The informer's list-then-watch loop as decisions: after each attempt, whether to LIST again,
 * and how long to back off. A healthy watch (it lasted, or it delivered something) resets every
 * count; a failure, or a watch that ended at once, backs off a little more each time; 410 Gone
 * means LIST again, and Gone twice in a row (a LIST answered 410, or a watch right after a
 * LIST did) slows the LIST down too.
 */

export interface LoopState {
  readonly needList: boolean;
  /** Failures in a row since the last healthy watch or successful LIST. */
  readonly failures: number;
  /** 410s in a row since the last healthy watch. */
  readonly goneStreak: number;
}

export const initialLoopState: LoopState = { needList: true, failures: 0, goneStreak: 0 };

export type AttemptOutcome = 'healthy' | 'ended-at-once' | 'gone' | 'failed';

/** The back-off attempt number to wait for before a LIST, if any. */
export function listDelayAttempt(state: LoopState): number | undefined {
  return state.goneStreak > 1 ? state.goneStreak - 1 : undefined;
}

/** A LIST went through: watch from it, with the failures forgotten. */
export function afterList(state: LoopState): LoopState {
  return { ...state, needList: false, failures: 0 };
}

/** The state after an attempt, and the back-off attempt number to wait for before the next, if any. */
export function afterAttempt(state: LoopState, outcome: AttemptOutcome): { readonly state: LoopState; readonly backOff: number | undefined } {
  switch (outcome) {
    case 'healthy':
      return { state: { needList: false, failures: 0, goneStreak: 0 }, backOff: undefined };
    case 'gone':
      return { state: { ...state, needList: true, goneStreak: state.goneStreak + 1 }, backOff: undefined };
    case 'ended-at-once':
    case 'failed': {
      const failures = state.failures + 1;
      return { state: { ...state, failures }, backOff: failures };
    }
  }
}
