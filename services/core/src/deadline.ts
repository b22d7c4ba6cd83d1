/**
 * `work`, or the error `timedOut` makes if it has not settled within `ms`. The work itself goes
 * on (a promise cannot be cancelled); only the wait for it ends. The timer is cleared either way.
 */
export async function within<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  const timer = Promise.withResolvers<never>();
  const handle = setTimeout(() => timer.reject(timedOut()), ms);
  try {
    return await Promise.race([work, timer.promise]);
  } finally {
    clearTimeout(handle);
  }
}
