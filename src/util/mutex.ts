/** A FIFO lock per key: `run(key, fn)` runs fn after every earlier fn for the same key has settled. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Whether a fn for `key` is running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev.catch(() => undefined);
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
