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
  let running: Promise<void> | null = null;
  let again = false;

  async function loop(): Promise<void> {
    do {
      again = false;
      while (!options.stopped() && (await round()));
    } while (again && !options.stopped());
  }

  function drain(): Promise<void> {
    if (running !== null) {
      again = true;
      return running;
    }
    running = loop()
      .catch((error: unknown) => options.logger.warn({ err: error }, `${options.what} failed; will retry`))
      .finally(() => {
        running = null;
      });
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
