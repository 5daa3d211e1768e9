/**
 * Participating contexts without a chain (docs/network.md).
 *
 * Every change of a context is a signed entry of its DAG ("delta"): the genesis (signed by the context key,
 * names the creator and the application), membership changes (signed by a member with ManageMembers), and
 * state deltas (signed by the member that executed the mutation). Entries are verified on receipt and applied
 * in causal order under the context's execution lock; state writes merge last-writer-wins per key by
 * (HLC, author, delta id), so every node that has applied the same set of entries holds the same state.
 *
 * `SyncManager` is the coordinator: it wires the objects below to the swarm and moves entries between them.
 *   pending.ts      received entries waiting for parents, and the order they become applicable in
 *   apply.ts        applying one entry (authorisation, merge, membership records, meta) in one commit
 *   membership.ts   the pure membership rules; memberships.ts the causal membership sets (config records)
 *   merge.ts        the LWW merge of state writes (stamps); dag.ts the entries themselves and the clock
 *   protocol.ts     request/response with peers; snapshot.ts snapshots; author.ts entries made here
 *   members.ts      invite, join, leave, capabilities, application switch
 *   status.ts       the per-context sync status; peers.ts known peers (stored), their redial, isolation
 */
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import { decodeId, encodeId, idKey, isId, sameId } from '../../util/ids.ts';
import type { Network } from '../../network/index.ts';
import { MAX_GOSSIP_BYTES } from '../../network/constants.ts';
import type { Applications } from '../applications.ts';
import type { BlobStore } from '../blobs.ts';
import type { Contexts } from '../contexts.ts';
import type { EventHub } from '../events.ts';
import type { Metrics } from '../metrics.ts';
import type { DeltaHooks, Execution } from '../execution.ts';
import { AppBlobs } from './app-blobs.ts';
import { EntryApplier } from './apply.ts';
import { Author } from './author.ts';
import { CodecError, decodeDelta, decodeGossip, encodeGossip, GOSSIP_DELTA, MAX_IDS, type Delta } from './codec.ts';
import { Dag, SyncClock } from './dag.ts';
import { Failures } from './failures.ts';
import { EventHandlers } from './handlers.ts';
import { isFinal, refusalText, type ApplyOutcome, type Membership } from './membership.ts';
import { Members } from './members.ts';
import { Memberships } from './memberships.ts';
import { ProposalRecords } from '../proposals/records.ts';
import { Proposals } from '../proposals/service.ts';
import { Merge } from './merge.ts';
import { CatchUp } from './catchup.ts';
import type { PendingDag, PendingEntry } from './pending.ts';
import { PeerProtocol } from './protocol.ts';
import { RootRepair } from './repair.ts';
import { Snapshots } from './snapshot.ts';
import { SnapshotError } from './snapshot-check.ts';
import { SyncStatusBoard, type SyncStatus } from './status.ts';

export type { Membership } from './membership.ts';
export type { ContextStatus, SyncStatus } from './status.ts';

/**
 * Entries up to this size travel inside the gossip message; larger ones are announced and fetched. Below upstream's
 * 64 KiB gossip cap; `MEROD_SYNC_INLINE_MAX` lowers it (tests use it to exercise the announce path).
 */
const INLINE_MAX = Math.min(Number(process.env.MEROD_SYNC_INLINE_MAX) || Infinity, MAX_GOSSIP_BYTES - 1024);

export interface SyncDeps {
  store: Store;
  contexts: Contexts;
  apps: Applications;
  blobs: BlobStore;
  execution: Execution;
  events: EventHub;
  logger: Logger;
  frequencyMs: number;
  timeoutMs: number;
  /** Join from a member's snapshot (`[sync] snapshot_join`, default true) rather than replaying the whole DAG. */
  snapshotJoin?: boolean;
  /** Cap of the backoff between redials of a known peer (`[sync] redial_max_ms`). */
  redialMaxMs?: number;
  /** Other members unreachable this long make a context isolated (`[sync] isolation_warn_ms`). */
  isolationWarnMs?: number;
  metrics?: Metrics;
}

export class SyncManager {
  network: Network | null = null;
  /** Set by the node while the swarm starts (it starts in the background, after the HTTP server). */
  networkStarting: Promise<void> | null = null;
  /** Counters for tests and the bench. */
  readonly stats = { applied: 0, rejected: 0, published: 0, fetched: 0, handlers: 0, undecodable: 0, failed: 0, retried: 0 };
  /** What Execution calls to stage the DAG entry of a new context or a local mutation. */
  readonly hooks: DeltaHooks;
  /** The context's emulated proxy contract: proposals, approvals, context values (src/node/proposals). */
  readonly proposals: Proposals;
  /** Invite, join, leave, capabilities, application switch (the admin API's membership routes). */
  readonly members: Members;
  /** Blobs applications share through a context: announced here, fetched from member peers on demand. */
  readonly appBlobs: AppBlobs;
  /** Root hashes across peers: inherent differences noted, real divergence repaired (repair.ts). */
  readonly roots: RootRepair;

  /** Received entries waiting for parents (in memory, the overflow on disk) and the catch-up walk. */
  private readonly catchUp: CatchUp;
  private readonly pending: PendingDag;
  /** Contexts whose snapshot join was interrupted: the periodic sync joins them from a snapshot again. */
  private readonly rejoin = new Set<string>();
  private readonly snapshots: Snapshots;
  /** Entries of gossip messages the validator decoded and checked (id, signature), by message, for delivery. */
  private readonly checked = new WeakMap<Uint8Array, Delta>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lastPeerSync = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly dag: Dag;
  private readonly clock: SyncClock;
  private readonly memberships: Memberships;
  private readonly protocol: PeerProtocol;
  private readonly applier: EntryApplier;
  private readonly failures: Failures;
  /** The per-context sync status, with the known peers (stored, redialled, watched for isolation). */
  private readonly board: SyncStatusBoard;

  constructor(private readonly d: SyncDeps) {
    const { store, contexts, execution, logger } = d;
    this.dag = new Dag(store);
    this.clock = new SyncClock(contexts, this.dag);
    this.memberships = new Memberships(store);
    const merge = new Merge(store, execution, contexts, (batch, ctx, entry, artifact, outcome) => this.roots.noteReplay(batch, ctx, entry, artifact, outcome.writes.values()));
    this.failures = new Failures(store);
    this.catchUp = new CatchUp({ dag: this.dag, store, logger, protocol: () => this.protocol, drain: (ctx) => this.drain(ctx), onFetched: (n) => (this.stats.fetched += n) });
    this.pending = this.catchUp.pending;
    const protocol = () => this.protocol;
    const snapshots = (this.snapshots = new Snapshots({
      ...d,
      dag: this.dag,
      memberships: this.memberships,
      clock: this.clock,
      protocol,
      ensureApp: (ctx, app, peer) => this.applier.ensureApp(ctx, app, peer),
    }));
    this.protocol = new PeerProtocol({
      ...d,
      memberships: this.memberships,
      dag: this.dag,
      network: () => this.network,
      serveSnapshot: (ctx, send) => snapshots.serve(ctx, send),
      servesBlob: (ctx, blobId) => this.appBlobs.serves(ctx, blobId),
      acceptOpenJoin: (ctx, invitation, joiner) => this.members.acceptOpenJoin(ctx, invitation, joiner),
    });
    this.appBlobs = new AppBlobs({ ...d, network: () => this.network, protocol });
    this.roots = new RootRepair({ ...d, snapshots, merge, failures: this.failures });
    this.board = new SyncStatusBoard({
      store,
      logger,
      contexts,
      memberships: this.memberships,
      failures: this.failures,
      pending: this.pending,
      network: () => this.network,
      redialMaxMs: d.redialMaxMs ?? 10_000,
      isolationWarnMs: d.isolationWarnMs ?? 30_000,
      redial: process.env.MEROD_PEER_REDIAL !== '0',
    });
    const handlers = new EventHandlers(contexts, execution, logger, () => this.stats.handlers++);
    const proposalRecords = new ProposalRecords(store);
    this.applier = new EntryApplier({ ...d, dag: this.dag, clock: this.clock, memberships: this.memberships, merge, failures: this.failures, handlers, proposals: proposalRecords, protocol, onApplied: () => this.stats.applied++ });
    const author = new Author({
      ...d,
      dag: this.dag,
      clock: this.clock,
      memberships: this.memberships,
      merge,
      applier: this.applier,
      onUndecodable: () => this.stats.undecodable++,
      publish: (ctx, id, raw) => this.publish(ctx, id, raw),
      subscribe: (ctx) => this.network?.subscribe(encodeId(ctx)),
    });
    d.execution.onDeleted((ctx) => this.forget(ctx));
    this.hooks = author;
    this.proposals = new Proposals({ ...d, author, records: proposalRecords });
    this.members = new Members({
      ...d,
      author,
      memberships: this.memberships,
      network: () => this.network,
      networkStarting: () => this.networkStarting,
      syncWith: (ctx, peer) => this.syncWith(ctx, peer),
      joinFromSnapshot: (ctx, peer) => this.joinFromSnapshot(ctx, peer),
      requestOpenJoin: (ctx, peer, invitation, joiner, secret) => this.protocol.requestOpenJoin(ctx, peer, invitation, joiner, secret),
      forget: (ctx) => this.forget(ctx),
      retryMerges: (ctx) => void this.retryLogged(ctx),
    });
  }

  /** Drops what the sync layer holds for a context this node no longer has (buffers, spool, re-join state). */
  private forget(ctx: Uint8Array): void {
    this.rejoin.delete(idKey(ctx));
    void this.catchUp.forget(ctx).catch(() => undefined);
    void this.roots.forget(ctx).catch(() => undefined);
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------

  async attach(network: Network): Promise<void> {
    this.network = network;
    network.onGossip((topic, data, from) => this.onGossip(topic, data, from));
    network.onSync((req, peer, send) => this.protocol.serve(req, peer, send));
    network.onPeer((peer) => this.onPeer(peer));
    network.setValidator((topic, data) => this.validGossip(topic, data));
    await this.clock.ready();
    // Joins a crash interrupted: their records go, and the periodic sync joins those contexts again.
    for (const ctx of await this.snapshots.recover()) {
      this.rejoin.add(idKey(ctx));
      this.d.logger.warn({ context: encodeId(ctx) }, 'discarded an interrupted snapshot join; joining again');
    }
    for (const { id } of await this.d.contexts.list()) network.subscribe(encodeId(id));
    // A restart may have removed the cause of earlier merge failures (e.g. a fixed runtime): retry them.
    void this.retryAll().catch(() => undefined);
    this.timer = setInterval(() => void this.tick(), this.d.frequencyMs);
    this.timer.unref();
    await this.board.start();
  }

  async stop(): Promise<void> {
    this.snapshots.stop();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.board.stop();
    await Promise.allSettled([...this.inflight.values(), ...this.draining.values(), this.catchUp.settled()]);
  }

  private async tick(): Promise<void> {
    const net = this.network;
    if (!net) return;
    this.pending.expire();
    const known = new Set<string>();
    for (const { id, meta } of await this.d.contexts.list()) {
      const topic = encodeId(id);
      known.add(topic);
      net.subscribe(topic);
      const peers = net.topicPeers(topic);
      if (peers.length === 0) continue;
      // Heartbeat (upstream's HashHeartbeat): a peer that lacks one of our heads fetches it from us.
      const heads = meta.dagHeads;
      if (heads.length > 0 && heads.length <= MAX_IDS) {
        const noisy = await this.roots.uncertain(id);
        net.publish(topic, encodeGossip({ type: 'heads', contextId: id, rootHash: meta.rootHash, heads, noisy })).catch(() => undefined);
      }
      const peer = peers[Math.floor(Math.random() * peers.length)]!;
      this.syncWith(id, peer).catch((err) => this.d.logger.debug({ err: (err as Error).message, context: topic }, 'periodic sync failed'));
    }
    // A context deleted here (admin route, or by its own app): leave its topic, drop what sync holds for it. One
    // created or joined since the list above was read is asked about again, not taken for deleted.
    for (const topic of net.topics()) {
      if (known.has(topic) || (isId(topic) && (await this.d.contexts.exists(decodeId(topic))))) continue;
      net.unsubscribe(topic);
      if (isId(topic)) this.forget(decodeId(topic));
    }
  }

  private onPeer(peer: string): void {
    const last = this.lastPeerSync.get(peer) ?? 0;
    if (Date.now() - last < 1_000) return;
    this.lastPeerSync.set(peer, Date.now());
    void (async () => {
      // Let the peer's subscriptions settle, then pull what it has for the contexts we share.
      await new Promise((r) => setTimeout(r, 50));
      for (const { id } of await this.d.contexts.list()) {
        if (!this.network?.topicPeers(encodeId(id)).includes(peer)) continue;
        this.board.met(id, peer);
        this.syncWith(id, peer).catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'sync on subscribe failed'));
      }
    })();
  }

  // ---- membership operations (members.ts) ------------------------------------------------------------------------

  invite(ctx: Uint8Array, inviter: Uint8Array, invitee: Uint8Array): Promise<string | null> {
    return this.members.invite(ctx, inviter, invitee);
  }
  join(payload: string, timeoutMs?: number): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    return this.members.join(payload, timeoutMs);
  }
  leave(ctx: Uint8Array, member?: Uint8Array): Promise<boolean> {
    return this.members.leave(ctx, member);
  }
  setCapability(ctx: Uint8Array, signer: Uint8Array, grants: Array<[Uint8Array, number]>, grant: boolean): Promise<void> {
    return this.members.setCapability(ctx, signer, grants, grant);
  }
  /** Switches a context's application and runs its migration (members.ts `updateApplication`). */
  updateApplication(ctx: Uint8Array, author: Uint8Array, appId: Uint8Array, migrateMethod?: string): Promise<void> {
    return this.members.updateApplication(ctx, author, appId, migrateMethod);
  }

  /**
   * Whether gossip about `ctx` is taken in: only once the context has its membership. Before (a join under way),
   * the join's own catch-up fetches the context, and entries applied from gossip meanwhile would replay its
   * history entry by entry under the lock the snapshot join needs.
   */
  private async joined(ctx: Uint8Array): Promise<boolean> {
    return (await this.memberships.current(ctx)) !== null;
  }

  /** The context's current membership; null before its genesis (or for a context from before the sync layer). */
  membership(ctx: Uint8Array): Promise<Membership | null> {
    return this.memberships.current(ctx);
  }

  /** Broadcasts an entry on the context's topic (asynchronously; large ones are announced, then fetched). */
  private publish(ctx: Uint8Array, id: Uint8Array, raw: Uint8Array): void {
    const net = this.network;
    if (!net) return;
    const msg = raw.length + 1 <= INLINE_MAX ? encodeGossip({ type: 'delta', delta: raw }) : encodeGossip({ type: 'announce', contextId: ctx, ids: [id] });
    this.stats.published++;
    net.publish(encodeId(ctx), msg).catch(() => undefined);
  }

  // ---- receiving -----------------------------------------------------------------------------------------------

  /**
   * Check before gossipsub delivers or forwards a message: our format, the right context, a valid signature
   * ('reject' also lowers the sender's gossipsub score). Messages that are not ours at all (e.g. an upstream
   * node's borsh BroadcastMessage, tags 0–3) are ignored without penalty.
   */
  private validGossip(topic: string, data: Uint8Array): 'accept' | 'reject' | 'ignore' {
    if (data.length === 0 || data[0]! < GOSSIP_DELTA) return 'ignore';
    try {
      const g = decodeGossip(data);
      const d = g.type === 'delta' ? decodeDelta(g.delta) : null;
      const ok = encodeId(d ? d.contextId : (g as { contextId: Uint8Array }).contextId) === topic;
      if (d && ok) this.checked.set(data, d);
      return ok ? 'accept' : 'reject';
    } catch (err) {
      this.stats.rejected++;
      this.d.logger.warn({ topic, err: (err as Error).message }, 'dropping an invalid delta');
      return 'reject';
    }
  }

  private onGossip(topic: string, data: Uint8Array, from: string): void {
    let g;
    try {
      g = decodeGossip(data);
    } catch {
      return; // not ours (e.g. an upstream node's borsh message)
    }
    if (g.type === 'delta') {
      let d: Delta;
      try {
        d = this.checked.get(data) ?? decodeDelta(g.delta);
      } catch (err) {
        this.stats.rejected++;
        this.d.logger.warn({ from, err: (err as Error).message }, 'dropping an invalid delta');
        return;
      }
      if (encodeId(d.contextId) !== topic) return;
      void this.receive(d, new Uint8Array(g.delta), from);
      return;
    }
    if (encodeId(g.contextId) !== topic) return;
    if (g.type === 'blob') return this.appBlobs.hint(g.contextId, g.blobId, from);
    if (g.type === 'heads') void this.roots.observe(g.contextId, from, g.heads, g.rootHash, g.noisy === true).catch(() => undefined);
    const ids = g.type === 'announce' ? g.ids : g.heads;
    void this.joined(g.contextId)
      .then((yes) => (yes ? this.catchUp.fetchMissing(g.contextId, from, ids) : 0))
      .then((n) => {
        if (n > 0) this.d.logger.info({ context: topic, from, entries: n, via: g.type }, 'fetched announced entries');
        return this.drain(g.contextId);
      })
      .catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'fetching announced entries failed'));
  }

  private async receive(d: Delta, raw: Uint8Array, from: string | null): Promise<void> {
    const ctx = d.contextId;
    if (this.pending.isRejected(d.id) || (await this.dag.has(ctx, d.id)) || !(await this.joined(ctx))) return;
    this.pending.add({ delta: d, raw, peer: from, at: Date.now() });
    const missing: Uint8Array[] = [];
    for (const p of d.parents) if (!(await this.catchUp.known(ctx, p))) missing.push(p);
    if (missing.length > 0 && from) await this.catchUp.fetchMissing(ctx, from, missing).catch(() => undefined);
    await this.drain(ctx);
  }

  /** Joins from a snapshot; an interrupted join (not a refused snapshot) is tried again by the periodic sync. */
  private async joinFromSnapshot(ctx: Uint8Array, peer: string): Promise<void> {
    try {
      await this.snapshots.join(ctx, peer);
      this.rejoin.delete(idKey(ctx));
    } catch (err) {
      if (err instanceof SnapshotError || err instanceof CodecError) this.rejoin.delete(idKey(ctx));
      else this.rejoin.add(idKey(ctx));
      throw err;
    }
  }

  /** Pulls from `peer`: its heads, then every entry we lack; applies them. Concurrent calls are merged. */
  async syncWith(ctx: Uint8Array, peer: string): Promise<void> {
    const key = `${idKey(ctx)}/${peer}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async () => {
      if (this.rejoin.has(idKey(ctx))) {
        await this.joinFromSnapshot(ctx, peer).catch((err) => this.d.logger.warn({ context: encodeId(ctx), peer, err: (err as Error).message }, 'joining again from a snapshot failed'));
      }
      const { heads } = await this.protocol.requestHeads(ctx, peer);
      this.board.synced(ctx, peer);
      await this.catchUp.fetchMissing(ctx, peer, heads);
      await this.drain(ctx);
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /**
   * Pulls now from every connected peer of one context, or of every context (the admin API's sync routes), then
   * retries the merges that failed there; resolves when those pulls and retries have ended, failed ones included.
   */
  async syncNow(ctx?: Uint8Array): Promise<void> {
    const ids = ctx ? [ctx] : (await this.d.contexts.list()).map((c) => c.id);
    await Promise.allSettled(ids.flatMap((id) => this.contextPeers(id).map((peer) => this.syncWith(id, peer))));
    for (const id of ids) await this.retryLogged(id);
  }

  /** Applies every pending entry whose parents are applied, until none is ready. One drain per context at a time. */
  private drain(ctx: Uint8Array): Promise<void> {
    const ck = idKey(ctx);
    const prev = this.draining.get(ck);
    const isApplied = (id: Uint8Array) => this.dag.has(ctx, id);
    const apply = async (p: PendingEntry) => {
      const outcome = await this.d.execution
        .withLock(ctx, () => this.applier.applyLocked(ctx, p.delta, p.raw, p.peer))
        .catch((err: Error) => ({ ok: false as const, refused: 'failed' as const, detail: err.message }));
      if (outcome.ok) this.applied(ctx, p.delta, outcome.failed);
      return outcome;
    };
    const onRefused = (p: PendingEntry, outcome: ApplyOutcome) => {
      const fields = { context: encodeId(ctx), delta: idKey(p.delta.id), author: encodeId(p.delta.author), reason: refusalText(outcome) };
      if (!isFinal(outcome)) return this.d.logger.warn(fields, 'could not apply a delta now; a later sync fetches it again');
      this.stats.rejected++;
      this.d.logger.warn(fields, 'dropping a delta');
    };
    const run: Promise<void> = (prev ?? Promise.resolve())
      .then(async () => {
        // The spool holds the older part of a long walk: its entries go first, then the buffer's.
        await this.catchUp.drainSpool(ctx, isApplied, apply, onRefused);
        await this.pending.drain(ctx, isApplied, apply, onRefused);
      })
      .finally(() => {
        if (this.draining.get(ck) === run) this.draining.delete(ck);
      });
    this.draining.set(ck, run);
    return run;
  }

  /** Bookkeeping after an entry from a peer applied: the status, the failure log, retries after an app change. */
  private applied(ctx: Uint8Array, d: Delta, failed: string | undefined): void {
    const context = encodeId(ctx);
    this.board.applied(ctx, d.id);
    if (failed !== undefined) {
      this.stats.failed++;
      this.d.logger.error({ context, delta: encodeId(d.id), author: encodeId(d.author), reason: failed }, 'a delta was applied without its state changes: its merge failed (see the context sync status)');
    }
    if (d.payload.type === 'application') void this.retryLogged(ctx);
  }

  /**
   * Retries the merge of a context's failed entries (failures.ts) under its lock; returns what merged and what
   * still fails. Runs on start, after an application change, and when asked (a re-sync).
   */
  async retry(ctx: Uint8Array): Promise<{ merged: string[]; failing: string[] }> {
    if ((await this.failures.list(ctx)).length === 0) return { merged: [], failing: [] };
    const r = await this.d.execution.withLock(ctx, () => this.applier.retryFailedLocked(ctx));
    this.stats.retried += r.merged.length;
    if (r.merged.length > 0) this.d.logger.info({ context: encodeId(ctx), merged: r.merged, failing: r.failing.length }, 'failed deltas merged on retry');
    return r;
  }

  /** `retry`, with a failure logged rather than thrown (for retries nobody waits for). */
  private async retryLogged(ctx: Uint8Array): Promise<void> {
    await this.retry(ctx).catch((err) => this.d.logger.warn({ context: encodeId(ctx), err: (err as Error).message }, 'retrying failed deltas failed'));
  }

  private async retryAll(): Promise<void> {
    for (const { id } of await this.d.contexts.list()) await this.retryLogged(id);
  }

  /** A context's sync status (status.ts); null for an unknown context. */
  status(ctx: Uint8Array): Promise<SyncStatus | null> {
    return this.board.status(ctx);
  }

  /** Received entries still waiting for missing parents, over all contexts. */
  pendingCount(): number {
    return this.pending.count();
  }

  /** Reachable peers per context with other members, and the number of isolated contexts (for /metrics). */
  reachability(): { contexts: Array<{ context: string; reachable: number }>; isolated: number } {
    return this.board.reachability();
  }

  /** Connected peers subscribed to a context's topic. */
  contextPeers(ctx: Uint8Array): string[] {
    return this.network?.topicPeers(encodeId(ctx)) ?? [];
  }
}
