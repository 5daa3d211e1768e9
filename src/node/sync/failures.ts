/**
 * Entries applied with a failed state merge (records.ts, tag `failed`). Such an entry is in the DAG like any
 * other (its descendants apply; its membership effects hold) but its state changes are not: the app's
 * `__calimero_sync_next` trapped, or the application was missing. The record keeps why, so the sync status
 * shows it, and the entry's merge is retried when the cause may have gone (restart, application change,
 * a requested re-sync); a retry that succeeds removes the record.
 */
import type { Batch, Store } from '../../store/store.ts';
import { concat, encodeId } from '../../util/ids.ts';
import { ContextFlag } from './context-flag.ts';
import type { Delta } from './codec.ts';
import { TAG } from './records.ts';

export interface FailureRecord {
  /** The entry id, base58. */
  id: string;
  /** The entry's author, base58. */
  author: string;
  /** The entry's HLC, decimal. */
  hlc: string;
  /** Why its merge failed (the last attempt's reason). */
  reason: string;
  /** When it first failed, and when it was last tried (ms since the epoch). */
  firstFailedAt: number;
  lastTriedAt: number;
  attempts: number;
}

export function failedKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.failed), id);
}

/** Applied before `b` when retrying: lower HLC first, then lower id (the order they were applied in). */
export function retryOrder(a: FailureRecord, b: FailureRecord): number {
  const x = BigInt(a.hlc);
  const y = BigInt(b.hlc);
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class Failures {
  /** Whether a context has an entry whose merge failed (asked at every heads heartbeat). */
  private readonly failing: ContextFlag;

  constructor(private readonly store: Store) {
    this.failing = new ContextFlag(
      store,
      (op) => (op.col === 'config' && op.key.length > 33 && op.key[32] === TAG.failed ? op.key.subarray(0, 32) : null),
      async (ctx) => {
        let found = false;
        for await (const _ of store.iterate('config', { prefix: concat(ctx, Uint8Array.of(TAG.failed)), limit: 1 })) found = true;
        return found;
      },
    );
  }

  /** Whether the context has an entry whose merge failed. */
  any(ctx: Uint8Array): Promise<boolean> {
    return this.failing.get(ctx);
  }

  /** Records (or updates, keeping its first time and counting the attempt) a failed merge of `d`. */
  async stage(batch: Batch, d: Delta, reason: string, now = Date.now()): Promise<FailureRecord> {
    const old = await this.get(d.contextId, d.id);
    const rec: FailureRecord = {
      id: encodeId(d.id),
      author: encodeId(d.author),
      hlc: d.hlc.toString(),
      reason,
      firstFailedAt: old?.firstFailedAt ?? now,
      lastTriedAt: now,
      attempts: (old?.attempts ?? 0) + 1,
    };
    batch.put('config', failedKey(d.contextId, d.id), JSON.stringify(rec));
    return rec;
  }

  /** Removes the record of an entry whose merge has now succeeded. */
  clear(batch: Batch, ctx: Uint8Array, id: Uint8Array): void {
    batch.delete('config', failedKey(ctx, id));
  }

  async get(ctx: Uint8Array, id: Uint8Array): Promise<FailureRecord | null> {
    return this.store.getJson<FailureRecord>('config', failedKey(ctx, id));
  }

  /** A context's failed entries, in retry order. */
  async list(ctx: Uint8Array): Promise<FailureRecord[]> {
    const out: FailureRecord[] = [];
    for await (const { value } of this.store.iterate('config', { prefix: concat(ctx, Uint8Array.of(TAG.failed)) })) {
      out.push(JSON.parse(value.toString('utf8')) as FailureRecord);
    }
    return out.sort(retryOrder);
  }
}
