/**
 * What a context's sync looks like from this node, for the admin API's sync status, the dashboard and /metrics:
 * its heads, the entries whose merge failed (failures.ts), the last entry applied from a peer, the entries
 * waiting for parents (pending.ts), and its peers — reachable now, remembered, when each last answered a heads
 * exchange, and since when the context is isolated (peers.ts).
 *
 * `SyncStatusBoard` wires the peer book (known peers, their redial, isolation) to the node's contexts and
 * memberships, and keeps the figures that live only in memory (the last entry applied per context). The
 * coordinator (manager.ts) tells it what happened; it reads everything else from the owning objects.
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import { encodeId, idKey } from '../../util/ids.ts';
import type { Network } from '../../network/index.ts';
import type { Contexts } from '../contexts.ts';
import type { Failures, FailureRecord } from './failures.ts';
import type { Memberships } from './memberships.ts';
import type { PendingDag } from './pending.ts';
import { PeerBook, type ContextStatus } from './peers.ts';

export type { ContextStatus } from './peers.ts';

/** What `SyncManager.status` reports for one context (ids base58, times in ms since the epoch). */
export interface SyncStatus {
  contextId: string;
  heads: string[];
  /** Entries applied without their state changes (their merge failed), oldest first. */
  failed: FailureRecord[];
  /** The last entry applied from a peer since the node started. */
  lastApplied: { id: string; at: number } | null;
  /** Received entries of this context waiting for their parents. */
  pending: number;
  /** Members of the context, and how many of them are identities of this node. */
  members: { total: number; owned: number };
  /** Reachable member nodes, known peers, last heads exchange, isolation (peers.ts). */
  peers: ContextStatus;
}

export interface SyncStatusDeps {
  store: Store;
  logger: Logger;
  contexts: Contexts;
  memberships: Memberships;
  failures: Failures;
  pending: PendingDag;
  network(): Network | null;
  redialMaxMs: number;
  isolationWarnMs: number;
  redial: boolean;
}

export class SyncStatusBoard {
  /** The last entry applied from a peer, per context. */
  private readonly lastApplied = new Map<string, { id: string; at: number }>();
  private readonly peers: PeerBook;

  constructor(private readonly d: SyncStatusDeps) {
    this.peers = new PeerBook({
      store: d.store,
      logger: d.logger,
      network: d.network,
      contexts: () => this.contextsWithOthers(),
      redialMaxMs: d.redialMaxMs,
      isolationWarnMs: d.isolationWarnMs,
      redial: d.redial,
    });
  }

  /** Starts remembering and redialling the contexts' peers (once the swarm is attached). */
  start(): Promise<void> {
    return this.peers.start();
  }

  stop(): Promise<void> {
    return this.peers.stop();
  }

  /** `peer` joined the context's topic. */
  met(ctx: Uint8Array, peer: string): void {
    this.peers.met(ctx, peer).catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'could not note a peer'));
  }

  /** A heads exchange with `peer` about `ctx` succeeded. */
  synced(ctx: Uint8Array, peer: string): void {
    this.peers.synced(ctx, peer);
  }

  /** An entry from a peer was applied (with or without its state changes). */
  applied(ctx: Uint8Array, id: Uint8Array): void {
    this.lastApplied.set(idKey(ctx), { id: encodeId(id), at: Date.now() });
  }

  /** The context's sync status; null for an unknown context. */
  async status(ctx: Uint8Array): Promise<SyncStatus | null> {
    const meta = await this.d.contexts.meta(ctx);
    if (!meta) return null;
    const { total, owned } = await this.memberCounts(ctx);
    return {
      contextId: encodeId(ctx),
      heads: meta.dagHeads.map(encodeId),
      failed: await this.d.failures.list(ctx),
      lastApplied: this.lastApplied.get(idKey(ctx)) ?? null,
      pending: this.d.pending.countOf(ctx),
      members: { total, owned },
      peers: this.peers.status(ctx),
    };
  }

  /** Reachable peers per context with other members, and the number of isolated contexts (for /metrics). */
  reachability(): { contexts: Array<{ context: string; reachable: number }>; isolated: number } {
    return this.peers.reachability();
  }

  /** Members of the context's current membership (none before its genesis), and this node's among them. */
  private async memberCounts(ctx: Uint8Array): Promise<{ total: number; owned: number }> {
    const members = Object.keys((await this.d.memberships.current(ctx))?.members ?? {});
    const mine = new Set((await this.d.contexts.identities(ctx, true)).map(encodeId));
    return { total: members.length, owned: members.filter((pk) => mine.has(pk)).length };
  }

  private async contextsWithOthers(): Promise<Array<{ id: Uint8Array; others: boolean }>> {
    const out: Array<{ id: Uint8Array; others: boolean }> = [];
    for (const { id } of await this.d.contexts.list()) {
      const { total, owned } = await this.memberCounts(id);
      out.push({ id, others: owned < total });
    }
    return out;
  }
}
