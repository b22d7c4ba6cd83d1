import type { Subscription } from './bus.ts';

/**
 * Calls every listener with each item. Items are queued while a delivery runs, so a
 * listener that publishes again cannot make later listeners see items out of order.
 */
export class Fanout<T> {
  readonly #listeners = new Set<{ readonly listener: (item: T) => void }>();
  readonly #queue: T[] = [];
  readonly #onError: (error: unknown) => void;
  #delivering = false;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  subscribe(listener: (item: T) => void): Subscription {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = { listener };
    this.#listeners.add(entry);
    return {
      unsubscribe: () => {
        this.#listeners.delete(entry);
      },
    };
  }

  publish(item: T): void {
    this.#queue.push(item);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (this.#queue.length > 0) this.#deliver(this.#queue.shift() as T);
    } finally {
      this.#delivering = false;
    }
  }

  clear(): void {
    this.#listeners.clear();
    this.#queue.length = 0;
  }

  #deliver(item: T): void {
    for (const { listener } of this.#listeners) {
      try {
        listener(item);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
