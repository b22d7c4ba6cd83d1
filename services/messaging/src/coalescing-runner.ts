import type { Logger } from '@hearth/core';

/**
 * Runs rounds of background work one at a time (the outbox relay, the webhook deliverer):
 * started by a kick or every `intervalMs`; a kick while a run is going asks for one more run
 * after it instead of a second one beside it. A run repeats `round` while it answers true
 * (there is more to do at once) and `stopped` is false. A failed run is logged; the next kick
 * or tick tries again.
 */
export interface CoalescingRunner {
  kick(): void;
  /** Runs (or joins the run going on); resolves when it ends. */
  drain(): Promise<void>;
  /** No more ticks; resolves once the run going on, if any, has ended. */
  stop(): Promise<void>;
}

export function createCoalescingRunner(
  round: () => Promise<boolean>,
  options: { readonly intervalMs: number; readonly logger: Logger; readonly what: string; readonly stopped: () => boolean },
): CoalescingRunner {
  let active = false;
  let running: Promise<void> = Promise.resolve();
  let again = false;

  // `active` is cleared in the same synchronous step as the last look at `again`, so a kick can
  // never land on a run that has already decided to end (it would wait for the next tick).
  async function run(): Promise<void> {
    try {
      do {
        again = false;
        while (!options.stopped() && (await round()));
      } while (again && !options.stopped());
    } catch (error) {
      options.logger.warn({ err: error }, `${options.what} failed; will retry`);
    } finally {
      active = false;
    }
  }

  function drain(): Promise<void> {
    if (active) {
      again = true;
      return running;
    }
    active = true;
    running = run();
    return running;
  }

  const timer = setInterval(() => void drain(), options.intervalMs);
  timer.unref();

  return {
    kick: () => void drain(),
    drain,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
