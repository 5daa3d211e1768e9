/**
 * Received entries waiting on disk: the overflow of the in-memory receive buffer (pending.ts). A catch-up
 * walks a peer's DAG back from its heads to what this node has; when the gap is larger than the buffer, the
 * rest of the walk lands here, and entries the buffer evicts land here too instead of being lost. They are
 * applied from here in (hlc, id) order, which is a topological order (parents have lower HLCs), so one pass
 * applies everything whose ancestors are known.
 *
 * Records in the `generic` column (scope ‖ context id ‖ kind ‖ …):
 *   o ‖ hlc (u64 BE) ‖ entry id → peer (utf-8) ‖ 0x00 ‖ encoded entry   (the order of application)
 *   i ‖ entry id                → hlc (u64 BE)                         (whether an entry is spooled)
 * Memory stays bounded by one page of records; the disk holds at most `maxPerContext` entries per context.
 */
import { Batch, type Store } from '../../store/store.ts';
import { concat, idKey } from '../../util/ids.ts';
import { KeyedMutex } from '../../util/mutex.ts';
import { decodeDelta, Reader, type Delta } from './codec.ts';
import type { DrainOps, PendingEntry } from './pending.ts';

const SCOPE = new TextEncoder().encode('sync/spool/');
const ORDER = 0x6f; // 'o'
const INDEX = 0x69; // 'i'
/** Records read per page while draining. */
const PAGE = 256;

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}
function orderKey(ctx: Uint8Array, hlc: bigint, id: Uint8Array): Uint8Array {
  return concat(SCOPE, ctx, Uint8Array.of(ORDER), u64(hlc), id);
}
function indexKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(SCOPE, ctx, Uint8Array.of(INDEX), id);
}

/** The parent ids of an encoded entry (version, context id, then the parents), read without any check. */
function parentsOf(raw: Uint8Array): Uint8Array[] {
  try {
    const r = new Reader(raw);
    r.u8();
    r.fixed(32);
    return r.ids(1024);
  } catch {
    return [];
  }
}

export interface SpoolLimits {
  /** Entries kept on disk per context; past it, new ones are refused (fetched again by a later sync). */
  maxPerContext: number;
}

export const DEFAULT_SPOOL_LIMITS: SpoolLimits = { maxPerContext: Number(process.env.MEROD_SYNC_SPOOL_MAX) || 10_000_000 };

export class Spool {
  /** Entries spooled per context (counted since start; the store is the truth). */
  private readonly counts = new Map<string, number>();
  /**
   * Writers of one context's records run one at a time: each reads the count, commits, and writes the count back,
   * so two at once (a catch-up walk and an eviction spill both land here) would lose one's change.
   */
  private readonly writers = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly limits: SpoolLimits = DEFAULT_SPOOL_LIMITS,
  ) {}

  /** Stores an entry to apply later; false when the context's spool is full. */
  add(e: PendingEntry): Promise<boolean> {
    const ctx = e.delta.contextId;
    const ck = idKey(ctx);
    return this.writers.run(ck, async () => {
      if (await this.has(ctx, e.delta.id)) return true;
      const n = await this.size(ctx);
      if (n >= this.limits.maxPerContext) return false;
      const batch = new Batch()
        .put('generic', orderKey(ctx, e.delta.hlc, e.delta.id), Buffer.concat([Buffer.from(e.peer ?? ''), Buffer.of(0), e.raw]))
        .put('generic', indexKey(ctx, e.delta.id), u64(e.delta.hlc));
      await this.store.commit(batch, { sync: false });
      this.counts.set(ck, n + 1);
      return true;
    });
  }

  async has(ctx: Uint8Array, id: Uint8Array): Promise<boolean> {
    return (await this.size(ctx)) > 0 && (await this.store.has('generic', indexKey(ctx, id)));
  }

  /** Entries of `ctx` spooled, counted once from the store and then kept up to date. */
  private async size(ctx: Uint8Array): Promise<number> {
    const ck = idKey(ctx);
    let n = this.counts.get(ck);
    if (n === undefined) this.counts.set(ck, (n = await this.countOf(ctx)));
    return n;
  }

  /** Entries of `ctx` spooled (read from the store). */
  async countOf(ctx: Uint8Array): Promise<number> {
    let n = 0;
    for await (const _ of this.store.iterate('generic', { prefix: concat(SCOPE, ctx, Uint8Array.of(INDEX)) })) n++;
    return n;
  }

  private remove(ctx: Uint8Array, hlc: bigint, id: Uint8Array): Promise<void> {
    const ck = idKey(ctx);
    return this.writers.run(ck, async () => {
      // Counted down only for a record that was there (a forget may have dropped it meanwhile).
      if (!(await this.store.has('generic', indexKey(ctx, id)))) return;
      const n = await this.size(ctx);
      await this.store.commit(new Batch().delete('generic', orderKey(ctx, hlc, id)).delete('generic', indexKey(ctx, id)), { sync: false });
      this.counts.set(ck, Math.max(0, n - 1));
    });
  }

  /**
   * Applies the spooled entries of `ctx` whose parents are applied, in (hlc, id) order, page by page; an
   * applied or refused entry leaves the spool, one still missing a parent stays. Returns how many applied.
   */
  async drain(ctx: Uint8Array, ...[isApplied, apply, onRefused]: DrainOps): Promise<number> {
    const prefix = concat(SCOPE, ctx, Uint8Array.of(ORDER));
    let applied = 0;
    if ((await this.size(ctx)) === 0) return 0;
    let after: Uint8Array | undefined;
    for (;;) {
      const page: Array<{ key: Uint8Array; value: Uint8Array }> = [];
      for await (const r of this.store.iterate('generic', { prefix, gte: after, limit: PAGE + 1 })) {
        if (after && Buffer.compare(r.key, after) === 0) continue;
        page.push(r);
        if (page.length >= PAGE) break;
      }
      if (page.length === 0) return applied;
      for (const { key, value } of page) {
        const sep = value.indexOf(0);
        const raw = value.subarray(sep + 1);
        const id = key.subarray(key.length - 32);
        const hlc = Buffer.from(key.subarray(key.length - 40, key.length - 32)).readBigUInt64BE();
        if (await isApplied(id)) {
          await this.remove(ctx, hlc, id);
          continue;
        }
        // Readiness from the parents alone (read without checking the signature); the entry is decoded, and so
        // checked again, only when it is applied.
        let ready = true;
        for (const p of parentsOf(raw)) if (!(await isApplied(p))) ready = false;
        if (!ready) continue;
        let d: Delta;
        try {
          d = decodeDelta(raw);
        } catch {
          await this.remove(ctx, hlc, id);
          continue;
        }
        const e: PendingEntry = { delta: d, raw: new Uint8Array(raw), peer: Buffer.from(value.subarray(0, sep)).toString('utf8') || null, at: Date.now() };
        const outcome = await apply(e);
        await this.remove(ctx, d.hlc, d.id);
        if (outcome.ok) applied++;
        else onRefused(e, outcome);
      }
      after = page[page.length - 1]!.key;
    }
  }

  /** Drops a context's spool (it was left or deleted). */
  forget(ctx: Uint8Array): Promise<void> {
    const ck = idKey(ctx);
    return this.writers.run(ck, async () => {
      await this.store.commit(await this.store.deletePrefix('generic', concat(SCOPE, ctx)), { sync: false });
      this.counts.delete(ck);
    });
  }
}
