/**
 * A queue between one producer and one consumer with backpressure, for handing a stream that arrives through
 * callbacks (e.g. the frames of a peer's answer) to code that reads an async iterable (e.g. the blob store).
 *
 * `push` resolves once the consumer has taken the item, so the producer never runs more than one item ahead.
 * `end` finishes the iteration after the queued items; `fail` makes it throw after them. When the consumer stops
 * early (it breaks out of its loop or throws), pending and later pushes reject, so the producer stops too.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly queue: Array<{ value: T; taken: () => void; dropped: (err: Error) => void }> = [];
  private wake: (() => void) | null = null;
  private closed: { error: unknown } | null = null;
  private stopped: Error | null = null;

  push(value: T): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (this.closed) return Promise.reject(new Error('push after the channel was closed'));
    return new Promise<void>((taken, dropped) => {
      this.queue.push({ value, taken, dropped });
      this.signal();
    });
  }

  /** No more items: the consumer's loop ends once it has taken the queued ones. */
  end(): void {
    this.closed ??= { error: null };
    this.signal();
  }

  /** The producer failed: the consumer's loop throws `error` once it has taken the queued items. */
  fail(error: unknown): void {
    this.closed ??= { error: error ?? new Error('channel failed') };
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      for (;;) {
        const item = this.queue.shift();
        if (item) {
          item.taken();
          yield item.value;
          continue;
        }
        if (this.closed) {
          if (this.closed.error) throw this.closed.error;
          return;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      this.stopped = new Error('the consumer stopped reading');
      for (const item of this.queue.splice(0)) item.dropped(this.stopped);
    }
  }
}
