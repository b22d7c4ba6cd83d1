/**
 * Lines handed from a writer (the source's export, which pushes) to a reader (the target's
 * import, which iterates), in one process and without a file between them. The writer waits
 * while `highWater` lines are queued, so memory stays bounded whichever side is slower; a
 * reader that stops (its import failed) makes the writer's next push throw, so the export ends too.
 */
export class LinePipe implements AsyncIterable<string> {
  readonly #highWater: number;
  #queue: string[] = [];
  #ended = false;
  #failure: { readonly error: unknown } | null = null;
  #stopped: { readonly error: unknown } | null = null;
  /** The reader waiting for a line, or the writer waiting for room. */
  #wakeReader: (() => void) | null = null;
  #wakeWriter: (() => void) | null = null;

  constructor(highWater = 10_000) {
    this.#highWater = highWater;
  }

  /** Queues a line; resolves at once unless the queue is full. Throws once the reader has stopped. */
  push(line: string): Promise<void> | void {
    if (this.#stopped !== null) throw this.#stopped.error;
    this.#queue.push(line);
    this.#wake('reader');
    if (this.#queue.length < this.#highWater) return;
    return new Promise<void>((resolve) => (this.#wakeWriter = resolve)).then(() => {
      if (this.#stopped !== null) throw this.#stopped.error;
    });
  }

  /** No more lines: the reader ends once it has read those queued. */
  end(): void {
    this.#ended = true;
    this.#wake('reader');
  }

  /** The writer failed: the reader throws `error` instead of ending, so a cut-off stream is never taken for a whole one. */
  fail(error: unknown): void {
    this.#failure = { error };
    this.#wake('reader');
  }

  /** The reader stopped: the writer's pending and next pushes throw `error`. */
  stop(error: unknown): void {
    this.#stopped = { error };
    this.#queue = [];
    this.#wake('writer');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.#failure !== null) throw this.#failure.error;
      const line = this.#queue.shift();
      if (line !== undefined) {
        if (this.#queue.length < this.#highWater / 2) this.#wake('writer');
        yield line;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      }
    }
  }

  #wake(side: 'reader' | 'writer'): void {
    const wake = side === 'reader' ? this.#wakeReader : this.#wakeWriter;
    if (side === 'reader') this.#wakeReader = null;
    else this.#wakeWriter = null;
    wake?.();
  }
}
