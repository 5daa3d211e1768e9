import type { Batch, Store } from '../../store/store.ts';
import { idKey } from '../../util/ids.ts';

/** Contexts whose flag is remembered; past this the memory starts over. */
const MAX_CONTEXTS = 65_536;

/**
 * A yes/no per context derived from stored records (a context has a root-hash note, has failed merges), asked often
 * (every heads heartbeat sent and received) and changed rarely: kept in memory until a commit touches the records it
 * is derived from. A read that such a commit overlapped is not kept, since it may have seen the store before it.
 */
export class ContextFlag {
  private readonly known = new Map<string, boolean>();
  /** Moves at every commit touching the records, so that a read overlapped by one is not kept. */
  private generation = 0;

  constructor(
    store: Store,
    /** The context whose records a written or deleted key belongs to; null for keys of other records. */
    touched: (op: Batch['ops'][number]) => Uint8Array | null,
    /** The flag as the store says now. */
    private readonly read: (ctx: Uint8Array) => Promise<boolean>,
  ) {
    store.onCommit((batch) => {
      for (const op of batch.ops) {
        const ctx = touched(op);
        if (!ctx) continue;
        this.known.delete(idKey(ctx));
        this.generation++;
      }
    });
  }

  async get(ctx: Uint8Array): Promise<boolean> {
    const k = idKey(ctx);
    const hit = this.known.get(k);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const value = await this.read(ctx);
    if (generation === this.generation) {
      if (this.known.size >= MAX_CONTEXTS) this.known.clear();
      this.known.set(k, value);
    }
    return value;
  }
}
