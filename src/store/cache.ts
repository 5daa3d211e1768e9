/** A column's name (store.ts's `Column`; plain strings here so this module needs nothing of store.ts). */
type Column = string;
type Bytes = Uint8Array;
/** What a commit writes: store.ts's `Batch`. */
interface Writes {
  readonly ops: ReadonlyArray<{ col: Column; key: Bytes; value: Buffer | null }>;
}

/**
 * Columns whose records every call reads (a context's meta, the executor's identity, the context's application):
 * kept from their first read until they are written, so a hot call path does not pay a RocksDB read for them.
 */
const READ_THROUGH: ReadonlySet<Column> = new Set<Column>(['meta', 'identity', 'application']);
const READ_THROUGH_MAX = 20_000;
/**
 * Application state: values a commit just wrote are kept (never filled by reads), so the next mutation of the
 * same keys (a counter, an index record) stages its old values and reads them without a RocksDB round trip.
 * Small values only, within a byte budget.
 */
const WRITE_THROUGH: ReadonlySet<Column> = new Set<Column>(['state']);
const WRITE_THROUGH_VALUE_MAX = 4096;
const WRITE_THROUGH_BYTES = 8 * 1024 * 1024;

const keyOf = (col: Column, key: Bytes) => `${col}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;

/**
 * The store's record cache (`null` = known absent). Callers get the cached Buffer itself: store values are never
 * modified in place, and batch values are the batch's own copies. Coherence: every write goes through a batch;
 * {@link writing} drops its keys before the write and settles them after (what was written, when no other write of
 * the key is in flight), and a read that a write began or settled across is not kept ({@link generation}).
 */
export class RecordCache {
  private readonly entries = new Map<string, Buffer | null>();
  private readonly stateEntries = new Map<string, Buffer | null>();
  private stateBytes = 0;
  /** Keys with a write in flight (how many). */
  private readonly inFlight = new Map<string, number>();
  private gen = 0;

  /** Whether reads of `col` may be answered here. */
  covers(col: Column): boolean {
    return READ_THROUGH.has(col) || WRITE_THROUGH.has(col);
  }

  /** A cached value (null: known absent), or undefined when not cached. */
  lookup(col: Column, key: Bytes): Buffer | null | undefined {
    const k = keyOf(col, key);
    const map = READ_THROUGH.has(col) ? this.entries : this.stateEntries;
    const hit = map.get(k);
    if (hit !== undefined) {
      map.delete(k); // most recently used last
      map.set(k, hit);
    }
    return hit;
  }

  /** Moves whenever a write begins or settles: a read started at another generation is not kept. */
  get generation(): number {
    return this.gen;
  }

  /** Keeps a value read from RocksDB at `gen` (read-through columns only). */
  fill(col: Column, key: Bytes, gen: number, value: Buffer | null): void {
    if (!READ_THROUGH.has(col) || gen !== this.gen) return;
    const k = keyOf(col, key);
    if (!this.inFlight.has(k)) this.keep(col, k, value);
  }

  /** Drops what a batch writes before the write; the function returned settles it (`written`: the write succeeded). */
  writing(batch: Writes): (written: boolean) => void {
    const keys = new Map<string, { col: Column; value: Buffer | null }>();
    for (const op of batch.ops) if (this.covers(op.col)) keys.set(keyOf(op.col, op.key), { col: op.col, value: op.value });
    if (keys.size === 0) return () => undefined;
    this.gen++;
    for (const [k, { col }] of keys) {
      this.drop(col, k);
      this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    }
    return (written) => {
      this.gen++;
      for (const [k, { col, value }] of keys) {
        const n = this.inFlight.get(k)! - 1;
        if (n === 0) this.inFlight.delete(k);
        else this.inFlight.set(k, n);
        if (written && n === 0) this.keep(col, k, value);
        else this.drop(col, k);
      }
    };
  }

  private keep(col: Column, k: string, value: Buffer | null): void {
    if (READ_THROUGH.has(col)) {
      this.entries.delete(k);
      this.entries.set(k, value);
      if (this.entries.size > READ_THROUGH_MAX) this.entries.delete(this.entries.keys().next().value!);
      return;
    }
    this.drop(col, k);
    if (value && value.length > WRITE_THROUGH_VALUE_MAX) return;
    this.stateEntries.set(k, value);
    this.stateBytes += k.length + (value?.length ?? 0);
    for (const [old, v] of this.stateEntries) {
      if (this.stateBytes <= WRITE_THROUGH_BYTES) break;
      this.stateEntries.delete(old);
      this.stateBytes -= old.length + (v?.length ?? 0);
    }
  }

  private drop(col: Column, k: string): void {
    if (READ_THROUGH.has(col)) {
      this.entries.delete(k);
      return;
    }
    const v = this.stateEntries.get(k);
    if (v === undefined) return;
    this.stateEntries.delete(k);
    this.stateBytes -= k.length + (v?.length ?? 0);
  }
}
