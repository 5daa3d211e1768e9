/**
 * Root hashes across peers: noting the documented inherent differences, detecting real divergence, repairing it.
 *
 * Every heads heartbeat carries a node's (heads, root, noisy). `RootRepair` keeps the last one of each peer per
 * context and, on each, asks the rule in divergence.ts. A real divergence (same heads, different roots, nobody
 * noisy, and this node on the losing side) is repaired by replacing this node's state of the context with the
 * peer's (`Snapshots.repair`: a consistent cut, checked against its digest, only while both sides still have
 * the heads the verdict was about). Each repair and each failed attempt is counted (`stats`, /metrics
 * `merod_sync_repairs_total`) and logged; `RepairGuard` bounds them.
 *
 * `noisy`: a replay here left structure the origin does not hold (src/calimero/roots.ts). Recorded once per
 * context, in the `generic` column (this module is the only writer):
 *   "sync/roots/" ‖ context id[32] → JSON {kind, entity (hex), entry (base58), at (ms)}
 * Outside the `config` column on purpose: snapshots copy `config` to joiners, and this note is about this
 * node's copy only. A repair clears it (the state is then the peer's).
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { concat, decodeId, encodeId, idKey } from '../../util/ids.ts';
import { replayNoise } from '../../calimero/index.ts';
import type { Contexts } from '../contexts.ts';
import type { Failures } from './failures.ts';
import type { Merge } from './merge.ts';
import type { Snapshots } from './snapshot.ts';
import { headsKey, judge, RepairGuard, type RootReport } from './divergence.ts';
import { ContextFlag } from './context-flag.ts';

const SCOPE = new TextEncoder().encode('sync/roots/');

function noteKey(ctx: Uint8Array): Uint8Array {
  return concat(SCOPE, ctx);
}

export interface RootRepairDeps {
  store: Store;
  contexts: Contexts;
  logger: Logger;
  snapshots: Snapshots;
  merge: Merge;
  failures: Failures;
}

/** Root reports kept per context (one per peer). */
const MAX_REPORTS = 64;

export class RootRepair {
  /** Counters for /metrics: repairs made, attempts that failed, differences judged inherent, heads that moved on. */
  readonly stats = { repaired: 0, failed: 0, inherent: 0, moved: 0 };
  private readonly reports = new Map<string, Map<string, RootReport>>();
  /** Whether the context has a note (see the module comment). */
  private readonly noted: ContextFlag;
  private readonly guard = new RepairGuard();
  /** Per context, the heads at which an inherent difference was logged last. */
  private readonly told = new Map<string, string>();
  private readonly running = new Set<string>();

  constructor(private readonly d: RootRepairDeps) {
    this.noted = new ContextFlag(
      d.store,
      (op) => (op.col === 'generic' && op.key.length === SCOPE.length + 32 && Buffer.from(SCOPE).equals(op.key.subarray(0, SCOPE.length)) ? op.key.subarray(SCOPE.length) : null),
      async (ctx) => (await d.store.get('generic', noteKey(ctx))) !== null,
    );
  }

  /** Drops the note and what was heard of a context this node no longer has, so that a re-join starts clean. */
  async forget(ctx: Uint8Array): Promise<void> {
    const k = idKey(ctx);
    this.reports.delete(k);
    this.told.delete(k);
    await this.d.store.commit(new Batch().delete('generic', noteKey(ctx)));
  }

  /** Whether this node's state of `ctx` holds local-only structure from a replay (see the module comment). */
  noisy(ctx: Uint8Array): Promise<boolean> {
    return this.noted.get(ctx);
  }

  /**
   * Whether this node's root of `ctx` is no measure of its data for the divergence rule (announced as `noisy` in its
   * heads heartbeats): local-only structure from a replay, or entries applied without their state changes (failed
   * merges). A state known to be incomplete must never win a vote nor be copied: a peer that repaired from it lost
   * the writes this node could not merge, its author's included (seen in test/sync-status.test.ts, where the author
   * of the refused write repaired from the node that refused it, and that node, once it had merged the write after
   * an application update, repaired back from the author: the write was gone from both).
   */
  async uncertain(ctx: Uint8Array): Promise<boolean> {
    return (await this.noisy(ctx)) || (await this.d.failures.any(ctx));
  }

  /**
   * After a replay of an upstream artifact through `__calimero_sync_next` (merge.ts): notes, in `batch`, the
   * first local-only structure it left in this context.
   */
  async noteReplay(batch: Batch, ctx: Uint8Array, entry: Uint8Array, artifact: Uint8Array, writes: Iterable<{ key: Uint8Array; value: Uint8Array | null }>): Promise<void> {
    if (await this.noisy(ctx)) return;
    const noise = replayNoise(artifact, writes);
    if (!noise) return;
    batch.put('generic', noteKey(ctx), JSON.stringify({ kind: noise.kind, entity: Buffer.from(noise.entity).toString('hex'), entry: encodeId(entry), at: Date.now() }));
    this.d.logger.info({ context: encodeId(ctx), entry: encodeId(entry), kind: noise.kind }, "this node's root hash will differ from its peers' (inherent in calimero-storage, see docs/network.md)");
  }

  /**
   * Replaces this node's state of `ctx` with `peer`'s while both have `heads` (Snapshots.repair); with it go the
   * peer's merge stamps, and this node's note and failed merges, which no longer describe its state.
   */
  private repairFrom(ctx: Uint8Array, peer: string, heads: Uint8Array[]): Promise<{ before: Uint8Array; after: Uint8Array } | null> {
    const { snapshots, merge, failures } = this.d;
    return snapshots.repair(ctx, peer, heads, async (batch, stamps) => {
      batch.delete('generic', noteKey(ctx));
      await merge.replaceStamps(batch, ctx, stamps);
      for (const f of await failures.list(ctx)) failures.clear(batch, ctx, decodeId(f.id));
    });
  }

  /** A peer's heads heartbeat: records it, judges, repairs when this node lost the vote. */
  async observe(ctx: Uint8Array, peer: string, heads: Uint8Array[], root: Uint8Array, noisy: boolean): Promise<void> {
    const ck = idKey(ctx);
    const now = Date.now();
    const meta = await this.d.contexts.meta(ctx);
    if (!meta) return;
    const byPeer = this.reports.get(ck) ?? new Map<string, RootReport>();
    this.reports.set(ck, byPeer);
    // The newest report per peer, at most MAX_REPORTS peers per context (the longest silent goes): gossip from any
    // number of peer ids cannot grow this without bound.
    byPeer.delete(peer);
    if (byPeer.size >= MAX_REPORTS) byPeer.delete(byPeer.keys().next().value!);
    byPeer.set(peer, { peer, heads: headsKey(heads), root: idKey(root), noisy, at: now });
    const local = { heads: headsKey(meta.dagHeads), root: idKey(meta.rootHash), noisy: await this.uncertain(ctx) };
    const verdict = judge(local, byPeer.values(), now);
    const context = encodeId(ctx);
    if (verdict.kind === 'inherent') {
      if (this.told.get(ck) === local.heads) return;
      this.told.set(ck, local.heads);
      this.stats.inherent++;
      this.d.logger.info({ context, peers: verdict.peers, noisy: local.noisy }, 'root hashes differ at equal heads for a documented reason (local-only structure from calimero-storage, or failed merges); not repaired');
      return;
    }
    if (verdict.kind !== 'repair' || this.running.has(ck) || !this.guard.allows(ck, local.heads, now)) return;
    const from = verdict.from.includes(peer) ? peer : verdict.from[0]!;
    this.running.add(ck);
    try {
      const r = await this.repairFrom(ctx, from, meta.dagHeads);
      this.guard.finished(ck, local.heads);
      if (!r) {
        this.stats.moved++;
        return;
      }
      this.stats.repaired++;
      byPeer.clear();
      this.d.logger.warn({ context, peer: from, before: encodeId(r.before), after: encodeId(r.after), heads: meta.dagHeads.length }, 'repaired a diverged context: equal heads, different root; replaced its state with the peer\'s');
    } catch (err) {
      this.guard.failed(ck, local.heads, Date.now());
      this.stats.failed++;
      this.d.logger.warn({ context, peer: from, err: (err as Error).message }, 'repairing a diverged context failed');
    } finally {
      this.running.delete(ck);
    }
  }
}
