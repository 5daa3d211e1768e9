/**
 * The merge rule for state writes, and the owner of the LWW stamps (records.ts, tag `stamp`). Each written key
 * keeps the stamp (hlc, author, entry id) of the write that holds it; an incoming write wins only with a
 * greater stamp. Winning writes of an app artifact are replayed through the app's `__calimero_sync_next` (so
 * the app keeps its own root); plain write-sets are applied by the host.
 */
import type { Batch, Store } from '../../store/store.ts';
import { idKey } from '../../util/ids.ts';
import type { Outcome } from '../../runtime/index.ts';
import { hostRoot, type ContextMeta, type Contexts } from '../contexts.ts';
import type { Execution } from '../execution.ts';
import { encodeSdkArtifact, parseSdkArtifact, type Delta, type Ops } from './codec.ts';
import { stampKey } from './records.ts';

/** The state part of a context's meta that applying writes changes. */
export type StateDigest = Pick<ContextMeta, 'rootHash' | 'stateSum' | 'sizeInBytes'>;

/** LWW stamp: hlc (u64 BE) ‖ author ‖ entry id; byte order = (hlc, author, id) order. */
export function stampOf(d: Delta): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(d.hlc);
  return Buffer.concat([b, d.author, d.id]);
}

/** The ops an entry carries for a call's outcome: the app's artifact when it made one, else its writes. */
export function opsOf(outcome: Outcome): Ops {
  if (outcome.artifact.length > 0) return { kind: 'artifact', artifact: outcome.artifact };
  return { kind: 'writes', writes: [...outcome.writes.values()].map((w) => ({ key: w.key, value: w.value ?? null })) };
}

export class Merge {
  constructor(
    private readonly store: Store,
    private readonly execution: Execution,
    private readonly contexts: Contexts,
    /** Told of every replay of an upstream artifact and what it wrote (repair.ts notes local-only structure). */
    private readonly onReplay?: (batch: Batch, ctx: Uint8Array, entry: Uint8Array, artifact: Uint8Array, outcome: Outcome) => Promise<void>,
  ) {}

  /** Stamps the keys an entry made here writes (it is the latest write of each). */
  stampLocal(batch: Batch, ctx: Uint8Array, d: Delta, keys: Iterable<{ key: Uint8Array }>): void {
    const stamp = stampOf(d);
    for (const w of keys) batch.put('config', stampKey(ctx, w.key), stamp);
  }

  /**
   * Replaces a context's merge stamps with `stamps` (state key → stamp), as a repair from a peer's snapshot
   * does (snapshot.ts): the stamps follow the state they describe.
   */
  async replaceStamps(batch: Batch, ctx: Uint8Array, stamps: Array<{ key: Uint8Array; value: Uint8Array }>): Promise<void> {
    for await (const { key } of this.store.iterate('config', { prefix: stampKey(ctx, new Uint8Array(0)) })) batch.delete('config', key);
    for (const s of stamps) batch.put('config', stampKey(ctx, s.key), s.value);
  }

  /** Merges an entry's ops into the context's state (staged in `batch`); returns the new digest. */
  async apply(batch: Batch, ctx: Uint8Array, appId: Uint8Array, cur: StateDigest, d: Delta, ops: Ops): Promise<StateDigest> {
    const entries = ops.kind === 'writes' ? ops.writes : parseSdkArtifact(ops.artifact);
    if (entries === null) {
      // An artifact we cannot read (upstream's borsh actions): the app merges it itself, in arrival order.
      const artifact = (ops as { artifact: Uint8Array }).artifact;
      const outcome = await this.syncNext(appId, ctx, d.author, artifact);
      if (outcome) await this.onReplay?.(batch, ctx, d.id, artifact, outcome);
      return this.commitOutcome(batch, ctx, cur, outcome);
    }
    const stamp = stampOf(d);
    const verdict = new Map<string, boolean>();
    for (const e of entries) {
      const k = idKey(e.key);
      if (verdict.has(k)) continue;
      const old = await this.store.get('config', stampKey(ctx, e.key));
      const wins = !old || Buffer.compare(stamp, old) > 0;
      verdict.set(k, wins);
      if (wins) batch.put('config', stampKey(ctx, e.key), stamp);
    }
    const winners = entries.filter((e) => verdict.get(idKey(e.key)));
    // An empty artifact (e.g. an `init` that only creates the app's root) is still replayed: the app needs it.
    if (winners.length === 0 && (ops.kind === 'writes' || entries.length > 0)) return cur;
    if (ops.kind === 'artifact') {
      const outcome = await this.syncNext(appId, ctx, d.author, encodeSdkArtifact(winners), true);
      if (outcome) return this.commitOutcome(batch, ctx, cur, outcome);
    }
    const last = new Map<string, { key: Uint8Array; value: Uint8Array | null }>();
    for (const w of winners) last.set(idKey(w.key), w);
    const staged = await this.execution.stageWrites(batch, ctx, cur.stateSum, cur.sizeInBytes, last.values());
    return { rootHash: hostRoot(ctx, BigInt('0x' + staged.sum)), stateSum: staged.sum, sizeInBytes: staged.size };
  }

  private async commitOutcome(batch: Batch, ctx: Uint8Array, cur: StateDigest, outcome: Outcome | null): Promise<StateDigest> {
    if (!outcome) return cur;
    const staged = await this.execution.stageWrites(batch, ctx, cur.stateSum, cur.sizeInBytes, outcome.writes.values());
    return { rootHash: outcome.rootHash ?? hostRoot(ctx, BigInt('0x' + staged.sum)), stateSum: staged.sum, sizeInBytes: staged.size };
  }

  /**
   * Runs `__calimero_sync_next`; null when the app does not export it (and `optional`). It runs as this node's
   * own identity in the context, as upstream's node replays deltas (the delta's author is only a fallback for a
   * node without one): what the app sees as its executor is the node applying the delta.
   */
  private async syncNext(appId: Uint8Array, ctx: Uint8Array, author: Uint8Array, artifact: Uint8Array, optional = false): Promise<Outcome | null> {
    const [self] = await this.contexts.identities(ctx, true);
    const outcome = await this.execution.callApp(appId, ctx, self ?? author, '__calimero_sync_next', artifact);
    if (!outcome) throw new Error('application not installed');
    if (outcome.error) {
      if (optional && outcome.error.type === 'MethodNotFound') return null;
      throw new Error(`__calimero_sync_next failed: ${outcome.error.message}`);
    }
    return outcome;
  }
}
