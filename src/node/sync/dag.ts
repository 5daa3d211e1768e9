/** The DAG entries of contexts (the `delta` column, contextId ‖ entry id → encoded entry) and the sync clock. */
import type { Batch, Store } from '../../store/store.ts';
import { contextKey, type Contexts } from '../contexts.ts';
import { decodeDelta } from './codec.ts';
import { Hlc } from './hlc.ts';

/** Applied entry ids remembered in memory (a positive cache of `has`); cleared whole past this. */
const KNOWN_MAX = 200_000;

export class Dag {
  /**
   * Stored keys (context ‖ id, hex) of entries applied since start. Kept in step with the store by watching every
   * commit (added once a put is written, dropped before a delete is), so a hit is always right; a miss asks the
   * store. Each applied entry is asked for several times (on receipt, as a parent, when applied): this saves
   * those reads.
   */
  private readonly known = new Set<string>();

  constructor(private readonly store: Store) {
    store.onCommitting((batch) => {
      for (const op of batch.ops) if (op.col === 'delta' && op.value === null) this.known.delete(op.key.toString('hex'));
      return () => undefined;
    });
    store.onCommit((batch) => {
      for (const op of batch.ops) if (op.col === 'delta' && op.value !== null) this.remember(op.key.toString('hex'));
    });
  }

  private remember(k: string): void {
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    this.known.add(k);
  }

  /** Whether the entry is applied here (its body may be absent: known by id after a snapshot). */
  async has(ctx: Uint8Array, id: Uint8Array): Promise<boolean> {
    const key = contextKey(ctx, id);
    return this.known.has(Buffer.from(key).toString('hex')) || this.store.has('delta', key);
  }

  /** The encoded entry, or null when unknown or known only by id. */
  async raw(ctx: Uint8Array, id: Uint8Array): Promise<Uint8Array | null> {
    const raw = await this.store.get('delta', contextKey(ctx, id));
    return raw && raw.length > 0 ? new Uint8Array(raw) : null;
  }

  /** Stages an applied entry (an empty `raw` records it by id only). */
  stage(batch: Batch, ctx: Uint8Array, id: Uint8Array, raw: Uint8Array): void {
    batch.put('delta', contextKey(ctx, id), raw);
  }

  /** Every entry of a context, with the context id taken off the key. */
  async *rows(ctx: Uint8Array): AsyncGenerator<{ id: Uint8Array; raw: Uint8Array }> {
    for await (const { key, value } of this.store.iterate('delta', { prefix: ctx })) yield { id: key.subarray(32), raw: value };
  }
}

/**
 * The node's hybrid logical clock for new entries. It starts above every head this node has, so entries made
 * after a restart still sort after the ones before.
 */
export class SyncClock {
  private readonly hlc = new Hlc();
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly contexts: Contexts,
    private readonly dag: Dag,
  ) {}

  ready(): Promise<void> {
    this.loaded ??= (async () => {
      for (const { id, meta } of await this.contexts.list()) {
        for (const h of meta.dagHeads) {
          const raw = await this.dag.raw(id, h);
          if (raw) this.hlc.observe(decodeDelta(raw).hlc);
        }
      }
    })();
    return this.loaded;
  }

  /** A fresh timestamp (call `ready()` first). */
  now(): bigint {
    return this.hlc.now();
  }

  observe(t: bigint): void {
    this.hlc.observe(t);
  }
}
