/**
 * Known peers per context, so that a restarted node finds the other members without boot nodes, and the
 * others find it again: every peer seen on a context's topic is remembered with its addresses (from identify
 * and from the dials that reached it, e.g. an invitation's) in the node's store, and every known peer that is not
 * connected is re-dialled, at start and then with a capped exponential backoff. The same object watches
 * isolation: a context whose other members have no reachable peer for `isolationWarnMs` is logged once as a
 * warning and counted in /metrics.
 *
 * Records (this module is their only writer), in the `generic` column:
 *   "sync/peers/" ‖ context id[32] ‖ peer id (multihash bytes) → JSON {addrs: string[], seen: ms since epoch}
 * They live outside the `config` column on purpose: snapshots copy a context's `config` records verbatim to
 * joiners, and which peers one node knows is not part of a context's replicated state. Records of contexts that
 * no longer exist are dropped at the next refresh; a peer not seen for FORGET_AFTER_MS is forgotten.
 */
import { base58 } from '@scure/base';
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { concat, encodeId, idKey } from '../../util/ids.ts';
import type { Network } from '../../network/index.ts';

const SCOPE = new TextEncoder().encode('sync/peers/');
const MAX_ADDRS = 8;
const FORGET_AFTER_MS = 7 * 24 * 3600_000;
/** `seen` is rewritten at most this often (it only decides when a peer is forgotten). */
const SEEN_PERSIST_MS = 3600_000;
const LOOP_MS = 1_000;
/** Topic peers and the contexts' members are re-read every REFRESH_EVERY loops. */
const REFRESH_EVERY = 2;
const REDIAL_BASE_MS = 1_000;

export function peerKey(ctx: Uint8Array, peer: string): Uint8Array {
  return concat(SCOPE, ctx, base58.decode(peer));
}

export function parsePeerKey(key: Uint8Array): { ctx: Uint8Array; peer: string } | null {
  if (key.length <= SCOPE.length + 32) return null;
  return { ctx: key.slice(SCOPE.length, SCOPE.length + 32), peer: base58.encode(key.subarray(SCOPE.length + 32)) };
}

/**
 * Capped exponential backoff per key: due at once until the first failure, then after base, 2·base, 4·base, …
 * up to `maxMs` (with ±20 % jitter so that nodes restarted together do not dial in lockstep).
 */
export class Backoff {
  private readonly state = new Map<string, { failures: number; nextAt: number }>();
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  due(key: string, now: number): boolean {
    return (this.state.get(key)?.nextAt ?? 0) <= now;
  }

  /** Records a failed attempt; returns the delay before the next one. */
  failed(key: string, now: number): number {
    const s = this.state.get(key) ?? { failures: 0, nextAt: 0 };
    s.failures++;
    const plain = Math.min(this.baseMs * 2 ** Math.min(s.failures - 1, 30), this.maxMs);
    const delay = Math.round(plain * (0.8 + 0.4 * this.random()));
    s.nextAt = now + delay;
    this.state.set(key, s);
    return delay;
  }

  /** Whether attempts for `key` have failed since its last success. */
  failing(key: string): boolean {
    return this.state.has(key);
  }

  succeeded(key: string): void {
    this.state.delete(key);
  }
}

export interface ContextStatus {
  /** Connected peers subscribed to the context's topic (nodes of other members). */
  reachableMembers: number;
  /** Peers remembered for the context (reachable or not). */
  knownPeers: number;
  /** When a heads exchange with a peer of the context last succeeded (ms since epoch), null if never since start. */
  lastSync: number | null;
  /** Since when the context has had other members but no reachable peer (ms since epoch), null if it is not isolated. */
  isolatedSince: number | null;
  /** Each peer known for the context or reachable on its topic (see `peerRows`). */
  peers: PeerRow[];
}

/** One peer of a context: whether it is reachable now, and when a heads exchange with it last succeeded. */
export interface PeerRow {
  peerId: string;
  reachable: boolean;
  lastSync: number | null;
}

/** The peers of a context for its status: reachable ones first, then by last sync (newest first), then by id. */
export function peerRows(known: Iterable<string>, reachable: readonly string[], lastSync: ReadonlyMap<string, number>): PeerRow[] {
  const up = new Set(reachable);
  const ids = new Set([...known, ...reachable, ...lastSync.keys()]);
  return [...ids]
    .map((peerId) => ({ peerId, reachable: up.has(peerId), lastSync: lastSync.get(peerId) ?? null }))
    .sort((a, b) => Number(b.reachable) - Number(a.reachable) || (b.lastSync ?? 0) - (a.lastSync ?? 0) || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
}

interface Known {
  addrs: string[];
  seen: number;
  savedSeen: number;
}

interface ContextPeers {
  id: Uint8Array;
  peers: Map<string, Known>;
  lastSync: number | null;
  /** When a heads exchange with each peer last succeeded (since start). */
  peerSync: Map<string, number>;
  isolatedSince: number | null;
  warned: boolean;
  /** Whether the membership lists members other than this node's identities. */
  others: boolean;
}

export interface PeerBookDeps {
  store: Store;
  logger: Logger;
  network(): Network | null;
  /** The contexts that exist, each with whether its membership lists members other than this node's identities. */
  contexts(): Promise<Array<{ id: Uint8Array; others: boolean }>>;
  /** Cap of the redial backoff (`[sync] redial_max_ms`). */
  redialMaxMs: number;
  /** A context with other members but no reachable peer for this long is isolated (`[sync] isolation_warn_ms`). */
  isolationWarnMs: number;
  /** False leaves redialling to the other side (env MEROD_PEER_REDIAL=0, used by tests). */
  redial: boolean;
}

export class PeerBook {
  private readonly ctxs = new Map<string, ContextPeers>();
  private readonly backoff: Backoff;
  private readonly dialing = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private loops = 0;
  private running: Promise<void> | null = null;

  constructor(private readonly d: PeerBookDeps) {
    this.backoff = new Backoff(REDIAL_BASE_MS, Math.max(REDIAL_BASE_MS, d.redialMaxMs));
  }

  /** Reads the stored peers of the existing contexts, then redials them at once and keeps doing so. */
  async start(): Promise<void> {
    for await (const { key, value } of this.d.store.iterate('generic', { prefix: SCOPE })) {
      const k = parsePeerKey(key);
      if (!k) continue;
      try {
        const v = JSON.parse(value.toString('utf8')) as { addrs: string[]; seen: number };
        this.context(k.ctx).peers.set(k.peer, { addrs: v.addrs, seen: v.seen, savedSeen: v.seen });
      } catch {
        /* a damaged record: the peer is learnt again when seen */
      }
    }
    const n = [...this.ctxs.values()].reduce((s, c) => s + c.peers.size, 0);
    if (n > 0) this.d.logger.info({ peers: n, contexts: this.ctxs.size }, 'redialling known peers');
    await this.step();
    this.timer = setInterval(() => void this.step(), LOOP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A heads exchange with `peer` about `ctx` succeeded. */
  synced(ctx: Uint8Array, peer: string): void {
    const c = this.context(ctx);
    c.lastSync = Date.now();
    c.peerSync.set(peer, c.lastSync);
  }

  status(ctx: Uint8Array): ContextStatus {
    const c = this.ctxs.get(idKey(ctx));
    const reachable = this.d.network()?.topicPeers(encodeId(ctx)) ?? [];
    return {
      reachableMembers: reachable.length,
      knownPeers: c?.peers.size ?? 0,
      lastSync: c?.lastSync ?? null,
      isolatedSince: c?.isolatedSince ?? null,
      peers: peerRows(c?.peers.keys() ?? [], reachable, c?.peerSync ?? new Map()),
    };
  }

  /** Reachable peers of every context with other members, and how many of those contexts are isolated. */
  reachability(): { contexts: Array<{ context: string; reachable: number }>; isolated: number } {
    const net = this.d.network();
    const out: Array<{ context: string; reachable: number }> = [];
    let isolated = 0;
    for (const c of this.ctxs.values()) {
      if (!c.others) continue;
      const topic = encodeId(c.id);
      out.push({ context: topic, reachable: net?.topicPeers(topic).length ?? 0 });
      if (c.isolatedSince !== null && Date.now() - c.isolatedSince >= this.d.isolationWarnMs) isolated++;
    }
    return { contexts: out, isolated };
  }

  /**
   * `peer` joined the context's topic: remembered at once, not at the next refresh, so that a peer seen only
   * briefly (it left again within the refresh interval) is still redialled.
   */
  async met(ctx: Uint8Array, peer: string): Promise<void> {
    const net = this.d.network();
    if (net) await this.note(ctx, peer, await net.peerAddresses(peer));
  }

  /** Remembers `peer` for `ctx` with its current addresses; writes the record when something changed. */
  async note(ctx: Uint8Array, peer: string, addrs: string[]): Promise<void> {
    const c = this.context(ctx);
    const now = Date.now();
    const old = c.peers.get(peer);
    // Keep the stored addresses a peer no longer reports only while there is room (its listen port is stable).
    const merged = [...new Set([...addrs, ...(old?.addrs ?? [])])].slice(0, MAX_ADDRS);
    const changed = !old || merged.length !== old.addrs.length || merged.some((a) => !old.addrs.includes(a));
    const k: Known = { addrs: merged, seen: now, savedSeen: old?.savedSeen ?? 0 };
    c.peers.set(peer, k);
    if (merged.length === 0 || (!changed && now - k.savedSeen < SEEN_PERSIST_MS)) return;
    k.savedSeen = now;
    await this.d.store.put('generic', peerKey(ctx, peer), JSON.stringify({ addrs: merged, seen: now }));
  }

  private context(ctx: Uint8Array): ContextPeers {
    const key = idKey(ctx);
    let c = this.ctxs.get(key);
    if (!c) {
      c = { id: ctx, peers: new Map(), lastSync: null, peerSync: new Map(), isolatedSince: null, warned: false, others: false };
      this.ctxs.set(key, c);
    }
    return c;
  }

  private step(): Promise<void> {
    if (this.running) return this.running;
    this.running = (this.loops++ % REFRESH_EVERY === 0 ? this.refresh() : Promise.resolve())
      .then(() => this.redial())
      .catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'peer book step failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Learns the peers on each context's topic, drops contexts that are gone, and updates isolation. */
  private async refresh(): Promise<void> {
    const net = this.d.network();
    if (!net) return;
    const live = new Set<string>();
    const now = Date.now();
    for (const { id, others } of await this.d.contexts()) {
      live.add(idKey(id));
      const c = this.context(id);
      c.others = others;
      const topicPeers = net.topicPeers(encodeId(id));
      for (const peer of topicPeers) await this.note(id, peer, await net.peerAddresses(peer));
      const batch = new Batch();
      for (const [peer, k] of c.peers) {
        if (now - k.seen > FORGET_AFTER_MS) {
          c.peers.delete(peer);
          batch.delete('generic', peerKey(id, peer));
        }
      }
      if (batch.ops.length > 0) await this.d.store.commit(batch);
      this.isolation(c, topicPeers.length, now);
    }
    for (const [key, c] of this.ctxs) {
      if (live.has(key)) continue;
      this.ctxs.delete(key);
      await this.d.store.commit(await this.d.store.deletePrefix('generic', concat(SCOPE, c.id)));
    }
  }

  private isolation(c: ContextPeers, reachable: number, now: number): void {
    const ctx = encodeId(c.id);
    if (!c.others || reachable > 0) {
      if (c.warned) this.d.logger.info({ context: ctx, reachable }, 'context reachable again');
      c.isolatedSince = null;
      c.warned = false;
      return;
    }
    c.isolatedSince ??= now;
    if (!c.warned && now - c.isolatedSince >= this.d.isolationWarnMs) {
      c.warned = true;
      this.d.logger.warn(
        { context: ctx, knownPeers: c.peers.size, isolatedForMs: now - c.isolatedSince, lastSync: c.lastSync },
        'context has other members but no reachable peer',
      );
    }
  }

  /** Dials every known peer that is not connected and whose backoff has run out. */
  private async redial(): Promise<void> {
    const net = this.d.network();
    if (!net || !this.d.redial) return;
    const addrs = new Map<string, string[]>();
    for (const c of this.ctxs.values()) for (const [peer, k] of c.peers) addrs.set(peer, [...(addrs.get(peer) ?? []), ...k.addrs]);
    const now = Date.now();
    for (const [peer, list] of addrs) {
      if (peer === net.peerId || this.dialing.has(peer)) continue;
      if (net.connected(peer)) {
        // Connected by a dial of ours that outlived its timeout, or by the peer itself.
        if (this.backoff.failing(peer)) this.d.logger.info({ peer }, 'reconnected to a known peer');
        this.backoff.succeeded(peer);
        continue;
      }
      if (!this.backoff.due(peer, now)) continue;
      this.dialing.add(peer);
      void net
        .dialPeer(peer, [...new Set(list)])
        .then((ok) => {
          if (ok) {
            this.backoff.succeeded(peer);
            this.d.logger.info({ peer }, 'redialled a known peer');
          } else this.backoff.failed(peer, Date.now());
        })
        .finally(() => this.dialing.delete(peer));
    }
  }
}
