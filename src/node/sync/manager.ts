/**
 * Participating contexts without a chain (docs/network.md).
 *
 * Every change of a context is a signed entry of its DAG ("delta"): the genesis (signed by the context key,
 * names the creator and the application), membership changes (signed by a member with ManageMembers), and
 * state deltas (signed by the member that executed the mutation). Entries are verified on receipt and applied
 * in causal order under the context's execution lock; state writes merge last-writer-wins per key by
 * (HLC, author, delta id), so every node that has applied the same set of entries holds the same state.
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { concat, decodeId, encodeId, hash, ZERO32 } from '../../util/ids.ts';
import type { Outcome } from '../../runtime/index.ts';
import type { Applications, ApplicationMeta } from '../applications.ts';
import { applicationId as deriveAppId } from '../applications.ts';
import type { BlobStore } from '../blobs.ts';
import { ContextError, contextKey, hostRoot, type Contexts, type ContextMeta } from '../contexts.ts';
import type { EventHub, ExecutionEvent } from '../events.ts';
import { ExecuteError, type DeltaHooks, type Execution } from '../execution.ts';
import type { Network } from '../../network/index.ts';
import { MAX_GOSSIP_BYTES } from '../../network/constants.ts';
import { MAX_FRAME } from '../../network/framing.ts';
import {
  authMessage,
  Capability,
  CodecError,
  decodeDelta,
  decodeGossip,
  decodeInvitation,
  decodeRequest,
  decodeResponse,
  edSign,
  edVerify,
  encodeDelta,
  encodeGossip,
  encodeInvitation,
  encodeRequest,
  encodeResponse,
  encodeSdkArtifact,
  GOSSIP_DELTA,
  Hlc,
  makeDelta,
  parseSdkArtifact,
  type AppInfo,
  type Auth,
  type Delta,
  type Ops,
  type Payload,
  type Response,
  type SnapshotColumn,
  type SnapshotMeta,
} from './codec.ts';

/** Membership record of a context (config column, key contextId ‖ 0x00). */
export interface Membership {
  creator: string;
  applicationId: string;
  app: { bytecode: string; size: number; source: string; metadata: number[]; package: string; version: string };
  /** member public key (base58) → capability numbers. */
  members: Record<string, number[]>;
}

interface PendingDelta {
  delta: Delta;
  raw: Uint8Array;
  peer: string | null;
  at: number;
}

const MAX_PENDING = 10_000;
const PENDING_TTL_MS = 300_000;
const FETCH_BATCH = 128;
const MAX_FETCH = 100_000;
const BLOB_CHUNK = 1 << 20;
/**
 * Entries up to this size travel inside the gossip message; larger ones are announced and fetched. Below upstream's
 * 64 KiB gossip cap; `MEROD_SYNC_INLINE_MAX` lowers it (tests use it to exercise the announce path).
 */
const INLINE_MAX = Math.min(Number(process.env.MEROD_SYNC_INLINE_MAX) || Infinity, MAX_GOSSIP_BYTES - 1024);
const ALL_CAPS = [Capability.ManageApplication, Capability.ManageMembers, Capability.Proxy];

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
/** Kinds of sync record in the config column, after the context id. */
const TAG = { membership: 0, stamp: 1, set: 2, setOf: 3, entry: 4 } as const;

function membershipKey(ctx: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.membership));
}
/** Set of membership entry ids (JSON array of hex), by its hash. */
function setKey(ctx: Uint8Array, h: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.set), h);
}
/** Hash of the membership set in an applied entry's causal past (itself included). */
function setOfKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.setOf), id);
}
/** A membership entry's effect (genesis, member op, application). */
function entryKey(ctx: Uint8Array, id: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.entry), id);
}
function stampKey(ctx: Uint8Array, key: Uint8Array): Uint8Array {
  return concat(ctx, Uint8Array.of(TAG.stamp), key);
}
/** LWW stamp: hlc (u64 BE) ‖ author ‖ delta id; byte order = (hlc, author, id) order. */
function stampOf(d: Delta): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(d.hlc);
  return Buffer.concat([b, d.author, d.id]);
}
function headsOf(meta: ContextMeta): Uint8Array[] {
  return meta.dagHeads.map((h) => Uint8Array.from(h));
}

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
}

export class SyncManager implements DeltaHooks {
  network: Network | null = null;
  /** Set by the node while the swarm starts (it starts in the background, after the HTTP server). */
  networkStarting: Promise<void> | null = null;
  private readonly hlc = new Hlc();
  private readonly pending = new Map<string, Map<string, PendingDelta>>();
  private readonly rejected = new Set<string>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lastPeerSync = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  /** Counters for tests and the bench. */
  readonly stats = { applied: 0, rejected: 0, published: 0, fetched: 0, handlers: 0 };
  /** Event handler runs, chained per context (see `runHandlers`). */
  private readonly handlerChains = new Map<string, Promise<void>>();

  constructor(private readonly d: SyncDeps) {}

  // ---- lifecycle --------------------------------------------------------------------------------------------

  async attach(network: Network): Promise<void> {
    this.network = network;
    network.onGossip((topic, data, from) => this.onGossip(topic, data, from));
    network.onSync((req, peer, send) => this.serve(req, peer, send));
    network.onPeer((peer) => this.onPeer(peer));
    network.setValidator((topic, data) => this.validGossip(topic, data));
    await this.clockReady();
    for (const { id } of await this.d.contexts.list()) network.subscribe(encodeId(id));
    this.timer = setInterval(() => void this.tick(), this.d.frequencyMs);
    this.timer.unref();
  }

  private clockLoaded: Promise<void> | null = null;

  /** The clock starts above every head this node has (entries made after a restart still sort after). */
  private clockReady(): Promise<void> {
    this.clockLoaded ??= (async () => {
      for (const { id, meta } of await this.d.contexts.list()) {
        for (const h of headsOf(meta)) {
          const raw = await this.d.store.get('delta', contextKey(id, h));
          if (raw && raw.length > 0) this.hlc.observe(decodeDelta(raw).hlc);
        }
      }
    })();
    return this.clockLoaded;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inflight.values(), ...this.draining.values()]);
  }

  private async tick(): Promise<void> {
    const net = this.network;
    if (!net) return;
    const now = Date.now();
    for (const [ctx, m] of this.pending) {
      for (const [k, p] of m) if (now - p.at > PENDING_TTL_MS) m.delete(k);
      if (m.size === 0) this.pending.delete(ctx);
    }
    const known = new Set<string>();
    for (const { id } of await this.d.contexts.list()) {
      const topic = encodeId(id);
      known.add(topic);
      net.subscribe(topic);
      const peers = net.topicPeers(topic);
      if (peers.length === 0) continue;
      // Heartbeat (upstream's HashHeartbeat): a peer that lacks one of our heads fetches it from us.
      const meta = await this.d.contexts.meta(id);
      if (meta && meta.dagHeads.length > 0 && meta.dagHeads.length <= 1024) {
        net.publish(topic, encodeGossip({ type: 'heads', contextId: id, rootHash: decodeId(meta.rootHash), heads: headsOf(meta) })).catch(() => undefined);
      }
      const peer = peers[Math.floor(Math.random() * peers.length)]!;
      this.syncWith(id, peer).catch((err) => this.d.logger.debug({ err: (err as Error).message, context: topic }, 'periodic sync failed'));
    }
    for (const topic of net.libp2p.services.pubsub.getTopics()) if (!known.has(topic)) net.unsubscribe(topic);
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
        this.syncWith(id, peer).catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'sync on subscribe failed'));
      }
    })();
  }

  // ---- membership ---------------------------------------------------------------------------------------------

  async membership(ctx: Uint8Array): Promise<Membership | null> {
    return this.d.store.getJson<Membership>('config', membershipKey(ctx));
  }

  // ---- hooks called by Execution (under the context lock) -------------------------------------------------------

  async genesis(batch: Batch, ctx: Uint8Array, secret: Uint8Array, creator: Uint8Array, appId: Uint8Array, outcome: Outcome | null): Promise<number[][]> {
    const meta = await this.d.apps.get(appId);
    if (!meta) throw new ContextError('application_not_found', 'application not found');
    const app = appInfo(appId, meta);
    const ops = outcome ? opsOf(outcome) : { kind: 'writes' as const, writes: [] };
    await this.clockReady();
    const d = makeDelta({ contextId: ctx, parents: [], hlc: this.hlc.now(), author: ctx, payload: { type: 'genesis', creator, app, ops }, events: null }, secret);
    batch.put('delta', contextKey(ctx, d.id), encodeDelta(d));
    const m = membershipFrom(creator, app);
    batch.put('config', membershipKey(ctx), JSON.stringify(m));
    batch.put('config', entryKey(ctx, d.id), JSON.stringify(entryRecord(d)));
    const set = this.storeSet(batch, ctx, [hex(d.id)]);
    batch.put('config', setOfKey(ctx, d.id), Buffer.from(set, 'hex'));
    this.setOfCache.set(hex(d.id), set);
    const stamp = stampOf(d);
    if (outcome) for (const w of outcome.writes.values()) batch.put('config', stampKey(ctx, w.key), stamp);
    this.network?.subscribe(encodeId(ctx));
    return [[...d.id]];
  }

  async local(batch: Batch, ctx: Uint8Array, meta: ContextMeta, executor: Uint8Array, secret: Uint8Array, outcome: Outcome) {
    if (outcome.writes.size === 0 && outcome.artifact.length === 0) return null;
    const parents = headsOf(meta);
    if (parents.length === 0) return null; // a context from before the sync layer: local only
    await this.clockReady();
    const events: ExecutionEvent[] = outcome.events.map((e) => ({ kind: e.kind, data: [...e.data], handler: e.handler }));
    const d = makeDelta(
      {
        contextId: ctx,
        parents,
        hlc: this.hlc.now(),
        author: executor,
        payload: { type: 'state', ops: opsOf(outcome) },
        events: events.length > 0 ? Buffer.from(JSON.stringify(events)) : null,
      },
      secret,
    );
    const raw = encodeDelta(d);
    // Peers fetch entries in stream frames of at most 8 MiB: a bigger one could never reach them.
    if (raw.length > MAX_ENTRY_BYTES) {
      throw new ExecuteError('FunctionCallError', `the call's changes make a ${raw.length}-byte sync entry; members exchange entries of at most ${MAX_ENTRY_BYTES} bytes (write less per call)`);
    }
    batch.put('delta', contextKey(ctx, d.id), raw);
    const set = await this.unionOfParents(batch, ctx, parents);
    if (set) {
      batch.put('config', setOfKey(ctx, d.id), Buffer.from(set, 'hex'));
      this.setOfCache.set(hex(d.id), set);
    }
    const stamp = stampOf(d);
    for (const w of outcome.writes.values()) batch.put('config', stampKey(ctx, w.key), stamp);
    return {
      heads: [[...d.id]],
      committed: () => this.publish(ctx, d.id, raw),
    };
  }

  /** Broadcasts an entry on the context's topic (asynchronously; large ones are announced, then fetched). */
  private publish(ctx: Uint8Array, id: Uint8Array, raw: Uint8Array): void {
    const net = this.network;
    if (!net) return;
    const topic = encodeId(ctx);
    const msg = raw.length + 1 <= INLINE_MAX ? encodeGossip({ type: 'delta', delta: raw }) : encodeGossip({ type: 'announce', contextId: ctx, ids: [id] });
    this.stats.published++;
    net.publish(topic, msg).catch(() => undefined);
  }

  // ---- locally authored membership entries -----------------------------------------------------------------------

  /** Signs a membership entry as `author` (an owned identity), applies it locally and broadcasts it. */
  private async authorEntry(ctx: Uint8Array, author: Uint8Array, payload: Payload): Promise<Delta> {
    const ident = await this.d.contexts.identity(ctx, author);
    if (!ident?.privateKey) throw new ContextError('identity_not_owned', `identity ${encodeId(author)} is not owned by this node in this context`);
    const secret = decodeId(ident.privateKey);
    await this.clockReady();
    return this.d.execution.withLock(ctx, async () => {
      const meta = await this.d.contexts.meta(ctx);
      if (!meta) throw new ContextError('context_not_found', 'Context not found');
      const d = makeDelta({ contextId: ctx, parents: headsOf(meta), hlc: this.hlc.now(), author, payload, events: null }, secret);
      const raw = encodeDelta(d);
      const r = await this.applyLocked(ctx, d, raw, null);
      if (r !== 'applied') throw new ContextError('entry_refused', r);
      this.publish(ctx, d.id, raw);
      return d;
    });
  }

  async invite(ctx: Uint8Array, inviter: Uint8Array, invitee: Uint8Array): Promise<string | null> {
    const m = await this.membership(ctx);
    if (!m) return null;
    if (!can(m, inviter, Capability.ManageMembers)) {
      throw new ContextError('not_allowed', `${encodeId(inviter)} is not allowed to manage members of this context`);
    }
    if (!m.members[encodeId(invitee)]) await this.authorEntry(ctx, inviter, { type: 'member', op: 'add', member: invitee, capability: 0 });
    await this.networkStarting; // the payload carries our swarm addresses
    const net = this.network;
    return encodeInvitation({
      contextId: ctx,
      invitee,
      protocol: 'p2p',
      network: net?.peerId ?? '',
      contractId: (net?.addresses() ?? []).join(','),
    });
  }

  async setCapability(ctx: Uint8Array, signer: Uint8Array, grants: Array<[Uint8Array, number]>, grant: boolean): Promise<void> {
    const m = await this.membership(ctx);
    // Upstream answers 500 here; a missing context is the client's error, so 404 with upstream's message.
    if (!m) throw new ContextError('context_not_found', `context '${encodeId(ctx)}' does not exist`);
    for (const [member, cap] of grants) {
      await this.authorEntry(ctx, signer, { type: 'member', op: grant ? 'grant' : 'revoke', member, capability: cap });
    }
  }

  /**
   * Switches the context to another installed application with a signed `Application` entry (the author needs
   * ManageApplication), so every member switches too (fetching the bytecode from a peer if needed). Returns
   * false for a context without a DAG (created before the sync layer), which the caller switches locally.
   */
  async setApplication(ctx: Uint8Array, author: Uint8Array, appId: Uint8Array): Promise<boolean> {
    const m = await this.membership(ctx);
    if (!m) return false;
    if (!can(m, author, Capability.ManageApplication)) {
      throw new ContextError('not_allowed', `${encodeId(author)} is not allowed to manage the application of this context`);
    }
    if (m.applicationId === encodeId(appId)) return true;
    const meta = await this.d.apps.get(appId);
    if (!meta) throw new ContextError('application_not_found', 'application not found');
    await this.authorEntry(ctx, author, { type: 'application', app: appInfo(appId, meta) });
    return true;
  }

  /** Removes an owned member from the context (self-removal is always allowed), then forgets it locally. */
  async leave(ctx: Uint8Array, member?: Uint8Array): Promise<boolean> {
    if (!(await this.d.contexts.exists(ctx))) return false;
    const owned = member ? [member] : await this.d.contexts.identities(ctx, true);
    const m = await this.membership(ctx);
    for (const pk of owned) {
      if (m?.members[encodeId(pk)]) {
        await this.authorEntry(ctx, pk, { type: 'member', op: 'remove', member: pk, capability: 0 }).catch((err) =>
          this.d.logger.warn({ err: (err as Error).message }, 'could not announce leaving'),
        );
      }
    }
    // Give the removal a moment to leave the node before the topic is dropped.
    await new Promise((r) => setTimeout(r, 200));
    this.network?.unsubscribe(encodeId(ctx));
    this.pending.delete(encodeId(ctx));
    return this.d.execution.deleteContext(ctx);
  }

  /**
   * Joins with an invitation: moves the invitee identity out of the pool, subscribes, dials the inviter and
   * catches up on the DAG. Returns once caught up, or after `timeoutMs` (syncing continues in the background).
   */
  async join(payload: string, timeoutMs = 20_000): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    let inv;
    try {
      inv = decodeInvitation(payload);
    } catch (err) {
      throw new ContextError('invalid_invitation', err instanceof CodecError ? err.message : 'invalid invitation payload', { cause: err });
    }
    const ctx = inv.contextId;
    const owned = await this.d.contexts.identity(ctx, inv.invitee);
    if (!owned?.privateKey) {
      const pool = await this.d.contexts.identity(ZERO32, inv.invitee);
      if (!pool?.privateKey) throw new ContextError('identity_not_in_pool', `identity ${encodeId(inv.invitee)} not found in the identity pool; create it with POST /admin-api/identity/context`);
      const batch = new Batch();
      batch.delete('identity', contextKey(ZERO32, inv.invitee));
      batch.put('identity', contextKey(ctx, inv.invitee), JSON.stringify({ privateKey: pool.privateKey, senderKey: encodeId(hash(decodeId(pool.privateKey), ctx)) }));
      if (!(await this.d.contexts.exists(ctx))) {
        const meta: ContextMeta = { applicationId: encodeId(ZERO32), rootHash: encodeId(ZERO32), dagHeads: [], sizeInBytes: 0, stateSum: '0', createdAt: Date.now() };
        batch.put('meta', ctx, JSON.stringify(meta));
      }
      await this.d.store.commit(batch);
    }
    await this.networkStarting;
    const net = this.network;
    if (!net) throw new ContextError('swarm_not_running', 'the swarm is not running; cannot join');
    net.subscribe(encodeId(ctx));
    const addrs = inv.contractId.split(',').filter(Boolean);
    const reached = await net.dial(addrs);
    const peers = [...new Set([...(inv.network ? [inv.network] : []), ...reached, ...net.topicPeers(encodeId(ctx))])].filter((p) => p !== net.peerId);
    const deadline = Date.now() + timeoutMs;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      for (const peer of peers) {
        try {
          if (this.d.snapshotJoin !== false && !(await this.membership(ctx))) {
            await this.joinFromSnapshot(ctx, peer).catch((err) =>
              this.d.logger.warn({ peer, err: (err as Error).message }, 'join: snapshot failed; replaying the DAG instead'),
            );
          }
          await this.syncWith(ctx, peer);
          if (can(await this.membership(ctx), inv.invitee)) {
            ok = true;
            break;
          }
        } catch (err) {
          this.d.logger.debug({ err: (err as Error).message, peer }, 'join: sync failed');
        }
      }
      if (!ok) await new Promise((r) => setTimeout(r, 300));
    }
    if (!ok) this.d.logger.warn({ context: encodeId(ctx) }, 'join: not caught up yet; syncing continues in the background');
    return { contextId: ctx, memberPublicKey: inv.invitee };
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
      if (g.type !== 'delta') return encodeId(g.contextId) === topic ? 'accept' : 'reject';
      const d = decodeDelta(g.delta);
      return encodeId(d.contextId) === topic ? 'accept' : 'reject';
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
        d = decodeDelta(g.delta);
      } catch (err) {
        this.stats.rejected++;
        this.d.logger.warn({ from, err: (err as Error).message }, 'dropping an invalid delta');
        return;
      }
      if (encodeId(d.contextId) !== topic) return;
      void this.receive(d, new Uint8Array(g.delta), from);
    } else if (g.type === 'announce' || g.type === 'heads') {
      if (encodeId(g.contextId) !== topic) return;
      const ids = g.type === 'announce' ? g.ids : g.heads;
      void this.fetchMissing(g.contextId, from, ids)
        .then((n) => {
          if (n > 0) this.d.logger.info({ context: topic, from, entries: n, via: g.type }, 'fetched announced entries');
          return this.drain(g.contextId);
        })
        .catch((err) => this.d.logger.debug({ err: (err as Error).message }, 'fetching announced entries failed'));
    }
  }

  private async receive(d: Delta, raw: Uint8Array, from: string | null): Promise<void> {
    const ctx = d.contextId;
    const key = hex(d.id);
    if (this.rejected.has(key) || (await this.d.store.has('delta', contextKey(ctx, d.id)))) return;
    if (!(await this.d.contexts.exists(ctx))) return;
    this.addPending(d, raw, from);
    const missing: Uint8Array[] = [];
    for (const p of d.parents) if (!(await this.known(ctx, p))) missing.push(p);
    if (missing.length > 0 && from) await this.fetchMissing(ctx, from, missing).catch(() => undefined);
    await this.drain(ctx);
  }

  private addPending(d: Delta, raw: Uint8Array, peer: string | null): void {
    const ck = encodeId(d.contextId);
    let m = this.pending.get(ck);
    if (!m) this.pending.set(ck, (m = new Map()));
    if (m.size >= MAX_PENDING) {
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
    if (!m.has(hex(d.id))) m.set(hex(d.id), { delta: d, raw, peer, at: Date.now() });
  }

  private async known(ctx: Uint8Array, id: Uint8Array): Promise<boolean> {
    return Boolean(this.pending.get(encodeId(ctx))?.has(hex(id))) || (await this.d.store.has('delta', contextKey(ctx, id)));
  }

  /** Fetches `ids` and, transitively, their unknown ancestors from `peer` into the pending buffer. */
  private async fetchMissing(ctx: Uint8Array, peer: string, ids: Uint8Array[]): Promise<number> {
    const queue: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(hex(id)) || this.rejected.has(hex(id)) || (await this.known(ctx, id))) continue;
      seen.add(hex(id));
      queue.push(id);
    }
    let fetched = 0;
    while (queue.length > 0 && fetched < MAX_FETCH) {
      const batch = queue.splice(0, FETCH_BATCH);
      const got = await this.requestDeltas(ctx, peer, batch);
      fetched += got.length;
      for (const { delta, raw } of got) {
        if (!Buffer.from(delta.contextId).equals(Buffer.from(ctx))) continue;
        this.addPending(delta, raw, peer);
        for (const p of delta.parents) {
          const k = hex(p);
          if (seen.has(k) || this.rejected.has(k) || (await this.known(ctx, p))) continue;
          seen.add(k);
          queue.push(p);
        }
      }
    }
    this.stats.fetched += fetched;
    return fetched;
  }

  /** Pulls from `peer`: its heads, then every entry we lack; applies them. Concurrent calls are merged. */
  async syncWith(ctx: Uint8Array, peer: string): Promise<void> {
    const key = `${encodeId(ctx)}/${peer}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async () => {
      const { heads } = await this.requestHeads(ctx, peer);
      await this.fetchMissing(ctx, peer, heads);
      await this.drain(ctx);
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Applies every pending entry whose parents are applied, until none is ready. One drain per context at a time. */
  private async drain(ctx: Uint8Array): Promise<void> {
    const ck = encodeId(ctx);
    const prev = this.draining.get(ck);
    const run: Promise<void> = (prev ?? Promise.resolve()).then(() => this.drainInner(ctx)).finally(() => {
      if (this.draining.get(ck) === run) this.draining.delete(ck);
    });
    this.draining.set(ck, run);
    return run;
  }

  private async drainInner(ctx: Uint8Array): Promise<void> {
    const ck = encodeId(ctx);
    const applied = new Set<string>();
    const isApplied = async (id: Uint8Array) => applied.has(hex(id)) || (await this.d.store.has('delta', contextKey(ctx, id)));
    const byHlc = (a: PendingDelta, b: PendingDelta) =>
      a.delta.hlc < b.delta.hlc ? -1 : a.delta.hlc > b.delta.hlc ? 1 : Buffer.compare(a.delta.id, b.delta.id);
    for (;;) {
      const m = this.pending.get(ck);
      if (!m || m.size === 0) return;
      // One scan for the entries that are ready now; then only the children of what gets applied are looked at.
      const children = new Map<string, PendingDelta[]>();
      const ready: PendingDelta[] = [];
      for (const p of m.values()) {
        let ok = true;
        for (const parent of p.delta.parents) {
          const k = hex(parent);
          let list = children.get(k);
          if (!list) children.set(k, (list = []));
          list.push(p);
          if (ok && !(await isApplied(parent))) ok = false;
        }
        if (ok) ready.push(p);
      }
      if (ready.length === 0) return;
      ready.sort(byHlc);
      while (ready.length > 0) {
        const p = ready.shift()!;
        const key = hex(p.delta.id);
        if (!m.has(key)) continue;
        m.delete(key);
        let r: string;
        try {
          r = await this.d.execution.withLock(ctx, () => this.applyLocked(ctx, p.delta, p.raw, p.peer));
        } catch (err) {
          r = `failed: ${(err as Error).message}`;
        }
        if (r !== 'applied') {
          this.stats.rejected++;
          if (this.rejected.size > 100_000) this.rejected.clear();
          this.rejected.add(key);
          this.d.logger.warn({ context: ck, delta: key, author: encodeId(p.delta.author), reason: r }, 'dropping a delta');
          continue;
        }
        applied.add(key);
        const next: PendingDelta[] = [];
        for (const c of children.get(key) ?? []) {
          if (!m.has(hex(c.delta.id))) continue;
          let ok = true;
          for (const parent of c.delta.parents) if (!(await isApplied(parent))) ok = false;
          if (ok) next.push(c);
        }
        if (next.length > 0) {
          ready.push(...next);
          ready.sort(byHlc);
        }
      }
    }
  }

  /**
   * Verifies authorisation and applies one entry whose parents are applied. Caller holds the context lock.
   *
   * Authorisation is causal: an entry is checked against the membership that results from the membership
   * entries in its own causal past (its parents' "membership sets"), never against whatever this node has
   * applied meanwhile. The verdict therefore depends only on the entry and its ancestors, and is the same on
   * every node; a concurrent revoke or removal does not invalidate an entry made without knowledge of it.
   */
  private async applyLocked(ctx: Uint8Array, d: Delta, raw: Uint8Array, peer: string | null): Promise<string> {
    if (await this.d.store.has('delta', contextKey(ctx, d.id))) return 'applied';
    const meta = await this.d.contexts.meta(ctx);
    if (!meta) return 'unknown context';
    const batch = new Batch();
    const next: ContextMeta = { ...meta };
    const p = d.payload;
    let events: ExecutionEvent[] = [];
    let handlersBy: Uint8Array | null = null;
    let parentSet: string | null = null;
    if (p.type === 'genesis') {
      if (await this.membership(ctx)) return 'a second genesis';
      const refused = refusal(ctx, null, d);
      if (refused) return refused;
      await this.ensureApp(ctx, p.app, peer);
      next.applicationId = encodeId(p.app.applicationId);
      Object.assign(next, await this.applyOps(batch, ctx, next, d, p.ops));
      if (next.rootHash === encodeId(ZERO32)) next.rootHash = encodeId(hostRoot(ctx, BigInt('0x' + (next.stateSum || '0'))));
    } else {
      if (d.parents.length === 0) return 'an entry without parents';
      parentSet = await this.unionOfParents(batch, ctx, d.parents);
      const m = parentSet ? await this.membershipOfSet(ctx, parentSet) : null;
      const refused = refusal(ctx, m, d);
      if (refused) return refused;
      if (p.type === 'state') {
        Object.assign(next, await this.applyOps(batch, ctx, next, d, p.ops));
        if (d.events) {
          try {
            events = JSON.parse(Buffer.from(d.events).toString('utf8')) as ExecutionEvent[];
          } catch {
            events = [];
          }
        }
        if (events.some((e) => e.handler)) handlersBy = await this.handlerExecutor(ctx, m!, d.author);
      } else if (p.type === 'application') {
        await this.ensureApp(ctx, p.app, peer);
      }
    }
    // The entry's own membership set: its parents' (plus itself when it changes membership).
    let ownSet = parentSet;
    if (p.type !== 'state') {
      batch.put('config', entryKey(ctx, d.id), JSON.stringify(entryRecord(d)));
      this.entryCache.set(hex(d.id), entryRecord(d));
      const ids = parentSet ? [...(await this.loadSet(ctx, parentSet))] : [];
      ids.push(hex(d.id));
      ownSet = this.storeSet(batch, ctx, ids);
    }
    batch.put('config', setOfKey(ctx, d.id), Buffer.from(ownSet!, 'hex'));
    this.setOfCache.set(hex(d.id), ownSet!);
    const heads = headsOf(meta).filter((h) => !d.parents.some((q) => Buffer.from(q).equals(Buffer.from(h))));
    heads.push(d.id);
    heads.sort(Buffer.compare);
    next.dagHeads = heads.map((h) => [...h]);
    // The node's current view: the membership of all heads together.
    const current = await this.membershipOfSet(ctx, await this.unionOfParents(batch, ctx, heads));
    const before = await this.membership(ctx);
    if (current && JSON.stringify(current) !== JSON.stringify(before)) {
      batch.put('config', membershipKey(ctx), JSON.stringify(current));
      next.applicationId = current.applicationId;
      for (const pk of Object.keys(current.members)) {
        if (!before?.members[pk] && !(await this.d.contexts.identity(ctx, decodeId(pk)))) batch.put('identity', contextKey(ctx, decodeId(pk)), '{}');
      }
      for (const pk of Object.keys(before?.members ?? {})) {
        if (current.members[pk]) continue;
        const ident = await this.d.contexts.identity(ctx, decodeId(pk));
        if (ident && !ident.privateKey) batch.delete('identity', contextKey(ctx, decodeId(pk)));
      }
    }
    batch.put('delta', contextKey(ctx, d.id), raw);
    batch.put('meta', ctx, JSON.stringify(next));
    // An entry from a peer is not fsynced: lost in a power cut, it is fetched again from the peers. Our own
    // membership entries are (nobody else may have them yet).
    await this.d.store.commit(batch, { sync: peer === null });
    this.hlc.observe(d.hlc);
    this.stats.applied++;
    if (handlersBy) this.runHandlers(ctx, handlersBy, events);
    if (events.length > 0 || next.rootHash !== meta.rootHash) {
      this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: next.rootHash, events } });
    }
    return 'applied';
  }

  // ---- event handlers ------------------------------------------------------------------------------------------

  /**
   * Who runs the handlers of a remote entry's events here (upstream: receiving nodes do, the author does not):
   * an owned identity that was a member in the entry's causal past. Entries from before this node was added
   * (history replayed when joining) therefore run no handlers: the members of that time ran them.
   */
  private async handlerExecutor(ctx: Uint8Array, m: Membership, author: Uint8Array): Promise<Uint8Array | null> {
    const owned = await this.d.contexts.identities(ctx, true);
    if (owned.some((pk) => Buffer.from(pk).equals(Buffer.from(author)))) return null;
    return owned.find((pk) => m.members[encodeId(pk)]) ?? null;
  }

  /**
   * Runs each event's handler as a separate mutation (input = the event's data), after the entry committed and
   * in order per context; each run makes its own entry. A failing handler is logged and skipped (as upstream).
   * Unlike upstream 0.10.0, entries that waited for missing parents run their handlers too once applied.
   */
  private runHandlers(ctx: Uint8Array, executor: Uint8Array, events: ExecutionEvent[]): void {
    const key = encodeId(ctx);
    const run = (this.handlerChains.get(key) ?? Promise.resolve()).then(async () => {
      for (const e of events) {
        if (!e.handler) continue;
        try {
          await this.d.execution.execute({ contextId: ctx, method: e.handler, input: Uint8Array.from(e.data), executor, mode: 'mutate' });
          this.stats.handlers++;
        } catch (err) {
          this.d.logger.warn({ context: key, handler: e.handler, err: (err as Error).message }, 'event handler failed');
        }
      }
    });
    this.handlerChains.set(key, run);
    void run.finally(() => {
      if (this.handlerChains.get(key) === run) this.handlerChains.delete(key);
    });
  }

  // ---- causal membership sets ----------------------------------------------------------------------------------

  private readonly setOfCache = new Map<string, string>();
  private readonly setCache = new Map<string, string[]>();
  private readonly entryCache = new Map<string, EntryRecord>();
  private readonly membershipCache = new Map<string, Membership>();

  private async setOf(ctx: Uint8Array, id: Uint8Array): Promise<string | null> {
    const k = hex(id);
    const cached = this.setOfCache.get(k);
    if (cached) return cached;
    const v = await this.d.store.get('config', setOfKey(ctx, id));
    if (!v) return null;
    const h = v.toString('hex');
    if (this.setOfCache.size > 200_000) this.setOfCache.clear();
    this.setOfCache.set(k, h);
    return h;
  }

  private async loadSet(ctx: Uint8Array, h: string): Promise<string[]> {
    const cached = this.setCache.get(h);
    if (cached) return cached;
    const v = await this.d.store.getJson<string[]>('config', setKey(ctx, Buffer.from(h, 'hex')));
    if (!v) throw new Error(`membership set ${h} missing`);
    this.setCache.set(h, v);
    return v;
  }

  /** Stores a set of membership entry ids (sorted, deduplicated) and returns its hash. */
  private storeSet(batch: Batch, ctx: Uint8Array, ids: string[]): string {
    const sorted = [...new Set(ids)].sort();
    const h = hex(hash(Buffer.from(sorted.join(','))));
    // Always written with the entry that needs it (a cached set may come from a batch that failed to commit).
    this.setCache.set(h, sorted);
    batch.put('config', setKey(ctx, Buffer.from(h, 'hex')), JSON.stringify(sorted));
    return h;
  }

  /** Union of the parents' membership sets (null when a parent has none: a pre-sync context). */
  private async unionOfParents(batch: Batch, ctx: Uint8Array, parents: Uint8Array[]): Promise<string | null> {
    const hashes = new Set<string>();
    for (const p of parents) {
      const h = await this.setOf(ctx, p);
      if (!h) return null;
      hashes.add(h);
    }
    if (hashes.size <= 1) return hashes.values().next().value ?? null;
    const ids: string[] = [];
    for (const h of hashes) ids.push(...(await this.loadSet(ctx, h)));
    return this.storeSet(batch, ctx, ids);
  }

  private async entry(ctx: Uint8Array, id: string): Promise<EntryRecord> {
    const cached = this.entryCache.get(id);
    if (cached) return cached;
    const v = await this.d.store.getJson<EntryRecord>('config', entryKey(ctx, Buffer.from(id, 'hex')));
    if (!v) throw new Error(`membership entry ${id} missing`);
    this.entryCache.set(id, v);
    return v;
  }

  /** Membership after the entries of a set, applied in (hlc, id) order (a topological order of the DAG). */
  private async membershipOfSet(ctx: Uint8Array, h: string | null): Promise<Membership | null> {
    if (!h) return null;
    const cached = this.membershipCache.get(h);
    if (cached) return structuredClone(cached);
    const m = foldMembership(await Promise.all((await this.loadSet(ctx, h)).map((id) => this.entry(ctx, id))));
    if (m) {
      if (this.membershipCache.size > 1000) this.membershipCache.clear();
      this.membershipCache.set(h, m);
    }
    return m ? structuredClone(m) : null;
  }

  /**
   * The merge rule. Each written key keeps the stamp (hlc, author, delta id) of the write that holds it; an
   * incoming write wins only with a greater stamp. Winning writes of an app artifact are replayed through the
   * app's `__calimero_sync_next` (so the app keeps its own root); plain write-sets are applied by the host.
   */
  private async applyOps(batch: Batch, ctx: Uint8Array, meta: ContextMeta, d: Delta, ops: Ops): Promise<Pick<ContextMeta, 'rootHash' | 'stateSum' | 'sizeInBytes'>> {
    const appId = decodeId(meta.applicationId);
    const entries = ops.kind === 'writes' ? ops.writes : parseSdkArtifact(ops.artifact);
    const cur = { rootHash: meta.rootHash, stateSum: meta.stateSum, sizeInBytes: meta.sizeInBytes };
    if (entries === null) {
      // An artifact we cannot read (upstream's borsh actions): the app merges it itself, in arrival order.
      return this.commitOutcome(batch, ctx, cur, await this.syncNext(appId, ctx, d.author, (ops as { artifact: Uint8Array }).artifact));
    }
    const stamp = stampOf(d);
    const verdict = new Map<string, boolean>();
    for (const e of entries) {
      const k = hex(e.key);
      if (verdict.has(k)) continue;
      const old = await this.d.store.get('config', stampKey(ctx, e.key));
      const wins = !old || Buffer.compare(stamp, old) > 0;
      verdict.set(k, wins);
      if (wins) batch.put('config', stampKey(ctx, e.key), stamp);
    }
    const winners = entries.filter((e) => verdict.get(hex(e.key)));
    // An empty artifact (e.g. an `init` that only creates the app's root) is still replayed: the app needs it.
    if (winners.length === 0 && (ops.kind === 'writes' || entries.length > 0)) return cur;
    if (ops.kind === 'artifact') {
      const outcome = await this.syncNext(appId, ctx, d.author, encodeSdkArtifact(winners), true);
      if (outcome) return this.commitOutcome(batch, ctx, cur, outcome);
    }
    const last = new Map<string, { key: Uint8Array; value: Uint8Array | null }>();
    for (const w of winners) last.set(hex(w.key), w);
    const staged = await this.d.execution.stageWrites(batch, ctx, cur.stateSum, cur.sizeInBytes, last.values());
    return { rootHash: encodeId(hostRoot(ctx, BigInt('0x' + staged.sum))), stateSum: staged.sum, sizeInBytes: staged.size };
  }

  private async commitOutcome(batch: Batch, ctx: Uint8Array, cur: Pick<ContextMeta, 'rootHash' | 'stateSum' | 'sizeInBytes'>, outcome: Outcome | null) {
    if (!outcome) return cur;
    const staged = await this.d.execution.stageWrites(batch, ctx, cur.stateSum, cur.sizeInBytes, outcome.writes.values());
    const root = outcome.rootHash ? encodeId(outcome.rootHash) : encodeId(hostRoot(ctx, BigInt('0x' + staged.sum)));
    return { rootHash: root, stateSum: staged.sum, sizeInBytes: staged.size };
  }

  /** Runs `__calimero_sync_next`; null when the app does not export it (and `optional`). */
  private async syncNext(appId: Uint8Array, ctx: Uint8Array, author: Uint8Array, artifact: Uint8Array, optional = false): Promise<Outcome | null> {
    const outcome = await this.d.execution.callApp(appId, ctx, author, '__calimero_sync_next', artifact);
    if (!outcome) throw new Error('application not installed');
    if (outcome.error) {
      if (optional && outcome.error.type === 'MethodNotFound') return null;
      throw new Error(`__calimero_sync_next failed: ${outcome.error.message}`);
    }
    return outcome;
  }

  /** Installs the context's application if missing: from a local blob, else fetched from `peer`. */
  private async ensureApp(ctx: Uint8Array, app: AppInfo, peer: string | null): Promise<void> {
    if (await this.d.apps.get(app.applicationId)) return;
    if (!Buffer.from(deriveAppId(app.bytecode, app.size, app.source, app.metadata)).equals(Buffer.from(app.applicationId))) {
      throw new Error('application record does not match its id');
    }
    if (!(await this.d.blobs.info(app.bytecode))) {
      if (!peer) throw new Error('application blob missing and no peer to fetch it from');
      const data = await this.requestBlob(ctx, peer, app.bytecode);
      const info = await this.d.blobs.put(data);
      if (!Buffer.from(info.blobId).equals(Buffer.from(app.bytecode))) throw new Error('fetched application blob has the wrong id');
    }
    const meta: ApplicationMeta = {
      bytecode: encodeId(app.bytecode),
      compiled: encodeId(ZERO32),
      size: app.size,
      source: app.source,
      metadata: [...app.metadata],
      package: app.package,
      version: app.version,
      signerId: '',
      installedAt: Date.now(),
    };
    await this.d.store.put('application', app.applicationId, JSON.stringify(meta));
  }

  // ---- sync stream: requester -----------------------------------------------------------------------------------

  private async auth(ctx: Uint8Array, peer: string): Promise<Auth> {
    const net = this.network!;
    for (const pk of await this.d.contexts.identities(ctx, true)) {
      const rec = await this.d.contexts.identity(ctx, pk);
      if (!rec?.privateKey) continue;
      return { contextId: ctx, member: pk, signature: edSign(decodeId(rec.privateKey), authMessage(ctx, net.peerId, peer)) };
    }
    throw new Error('no owned identity in this context');
  }

  private async requestHeads(ctx: Uint8Array, peer: string): Promise<{ heads: Uint8Array[]; rootHash: Uint8Array }> {
    const net = this.network;
    if (!net) throw new Error('no network');
    let out: { heads: Uint8Array[]; rootHash: Uint8Array } | null = null;
    await net.request(peer, encodeRequest({ type: 'heads', auth: await this.auth(ctx, peer) }), (f) => {
      const r = decodeResponse(f);
      if (r.type === 'error') throw new Error(`peer: ${r.message}`);
      if (r.type === 'heads') out = { heads: r.heads, rootHash: r.rootHash };
      return true;
    }, this.d.timeoutMs);
    if (!out) throw new Error('no heads');
    return out;
  }

  private async requestDeltas(ctx: Uint8Array, peer: string, ids: Uint8Array[]): Promise<Array<{ delta: Delta; raw: Uint8Array }>> {
    const net = this.network;
    if (!net) throw new Error('no network');
    const out: Array<{ delta: Delta; raw: Uint8Array }> = [];
    let n = 0;
    await net.request(peer, encodeRequest({ type: 'deltas', auth: await this.auth(ctx, peer), ids }), (f) => {
      const r = decodeResponse(f);
      if (r.type === 'error') throw new Error(`peer: ${r.message}`);
      if (r.type === 'delta' && r.delta) {
        try {
          const d = decodeDelta(r.delta);
          if (Buffer.from(d.id).equals(Buffer.from(ids[n]!))) out.push({ delta: d, raw: r.delta });
        } catch (err) {
          this.d.logger.warn({ peer, err: (err as Error).message }, 'peer served an invalid delta');
        }
      }
      n++;
      return n >= ids.length;
    }, this.d.timeoutMs);
    return out;
  }

  private async requestBlob(ctx: Uint8Array, peer: string, blobId: Uint8Array): Promise<Buffer> {
    const net = this.network;
    if (!net) throw new Error('no network');
    const parts: Uint8Array[] = [];
    let found = true;
    await net.request(peer, encodeRequest({ type: 'blob', auth: await this.auth(ctx, peer), blobId }), (f) => {
      const r = decodeResponse(f);
      if (r.type === 'error') throw new Error(`peer: ${r.message}`);
      if (r.type !== 'chunk') return true;
      found = r.found;
      parts.push(r.data);
      return r.last;
    }, 120_000);
    if (!found) throw new Error('peer does not have the blob');
    return Buffer.concat(parts);
  }

  // ---- sync stream: responder -----------------------------------------------------------------------------------

  private async serve(frame: Uint8Array, peer: string, send: (f: Uint8Array) => Promise<void>): Promise<void> {
    let q;
    try {
      q = decodeRequest(frame);
    } catch {
      await send(encodeResponse({ type: 'error', message: 'malformed request' }));
      return;
    }
    const ctx = q.auth.contextId;
    const m = await this.membership(ctx);
    const net = this.network!;
    if (!m || !can(m, q.auth.member) || !edVerify(q.auth.member, authMessage(ctx, peer, net.peerId), q.auth.signature)) {
      await send(encodeResponse({ type: 'error', message: 'not a member of this context' }));
      return;
    }
    if (q.type === 'heads') {
      const meta = await this.d.contexts.meta(ctx);
      await send(encodeResponse({ type: 'heads', rootHash: meta ? decodeId(meta.rootHash) : ZERO32, heads: meta ? headsOf(meta) : [] }));
    } else if (q.type === 'deltas') {
      for (const id of q.ids) {
        const raw = await this.d.store.get('delta', contextKey(ctx, id));
        // An entry known only by id (this node joined from a snapshot after it) is not served.
        await send(encodeResponse({ type: 'delta', delta: raw && raw.length > 0 ? new Uint8Array(raw) : null }));
      }
    } else if (q.type === 'snapshot') {
      await this.serveSnapshot(ctx, send);
    } else {
      const allowed = m.app.bytecode === encodeId(q.blobId) || (await this.usedBytecodes(ctx)).has(encodeId(q.blobId));
      const data = allowed ? await this.d.blobs.read(q.blobId) : null;
      if (!data) {
        await send(encodeResponse({ type: 'chunk', found: false, last: true, data: new Uint8Array(0) }));
        return;
      }
      for (let off = 0; off < data.length || off === 0; off += BLOB_CHUNK) {
        const last = off + BLOB_CHUNK >= data.length;
        await send(encodeResponse({ type: 'chunk', found: true, last, data: data.subarray(off, off + BLOB_CHUNK) }));
        if (last) break;
      }
    }
  }

  /** Bytecode blob ids of every application the context has used (a joiner replays them all, in order). */
  private async usedBytecodes(ctx: Uint8Array): Promise<Set<string>> {
    const meta = await this.d.contexts.meta(ctx);
    const ids = new Set<string>();
    for (const head of meta ? headsOf(meta) : []) {
      const h = await this.setOf(ctx, head);
      if (h) for (const id of await this.loadSet(ctx, h)) ids.add(id);
    }
    const out = new Set<string>();
    for (const id of ids) {
      const e = await this.entry(ctx, id);
      const app = e.genesis?.app ?? e.application?.app;
      if (app) out.add(app.bytecode);
    }
    return out;
  }

  // ---- snapshots ------------------------------------------------------------------------------------------------

  /**
   * Sends the context's sync records as they stand, read under the context lock (one consistent cut): the config
   * records (membership, sets, merge stamps), the state, and the DAG with bodies only for membership entries and
   * heads (other entries by id, so the joiner knows them as applied).
   */
  private async serveSnapshot(ctx: Uint8Array, send: (f: Uint8Array) => Promise<void>): Promise<void> {
    const cut = await this.d.execution.withLock(ctx, async () => {
      const meta = await this.d.contexts.meta(ctx);
      if (!meta) return null;
      const cols: Record<SnapshotColumn, Array<{ key: Uint8Array; value: Uint8Array }>> = { config: [], state: [], delta: [] };
      for (const col of ['config', 'state'] as const) {
        for await (const { key, value } of this.d.store.iterate(col, { prefix: ctx })) cols[col].push({ key: key.subarray(32), value });
      }
      const keep = new Set(headsOf(meta).map(hex));
      for (const r of cols.config) if (r.key[0] === TAG.entry) keep.add(hex(r.key.subarray(1)));
      for await (const { key, value } of this.d.store.iterate('delta', { prefix: ctx })) {
        const id = key.subarray(32);
        cols.delta.push({ key: id, value: keep.has(hex(id)) ? value : EMPTY });
      }
      return { cols, meta };
    });
    if (!cut) {
      await send(encodeResponse({ type: 'error', message: 'context not found' }));
      return;
    }
    for (const column of SNAPSHOT_FRAME_ORDER) {
      let records: Array<{ key: Uint8Array; value: Uint8Array }> = [];
      let bytes = 0;
      for (const r of cut.cols[column]) {
        records.push(r);
        bytes += r.key.length + r.value.length + 8;
        if (bytes >= SNAPSHOT_FRAME_BYTES) {
          await send(encodeResponse({ type: 'records', column, records }));
          records = [];
          bytes = 0;
        }
      }
      if (records.length > 0) await send(encodeResponse({ type: 'records', column, records }));
    }
    const { meta } = cut;
    await send(
      encodeResponse({
        type: 'snapshotEnd',
        meta: { rootHash: decodeId(meta.rootHash), heads: headsOf(meta), applicationId: decodeId(meta.applicationId), stateSum: meta.stateSum, sizeInBytes: meta.sizeInBytes },
      }),
    );
  }

  private async requestSnapshot(ctx: Uint8Array, peer: string): Promise<Snapshot> {
    const net = this.network;
    if (!net) throw new Error('no network');
    const cols: Snapshot['cols'] = { config: [], state: [], delta: [] };
    let meta: SnapshotMeta | null = null;
    let bytes = 0;
    await net.request(peer, encodeRequest({ type: 'snapshot', auth: await this.auth(ctx, peer) }), (f) => {
      const r: Response = decodeResponse(f);
      if (r.type === 'error') throw new Error(`peer: ${r.message}`);
      if (r.type === 'records') {
        bytes += f.length;
        if (bytes > MAX_SNAPSHOT_BYTES) throw new Error(`snapshot larger than ${MAX_SNAPSHOT_BYTES} bytes`);
        cols[r.column].push(...r.records);
        return false;
      }
      if (r.type === 'snapshotEnd') meta = r.meta;
      return true;
    }, 10 * this.d.timeoutMs);
    if (!meta) throw new Error('snapshot ended early');
    return { cols, meta };
  }

  /**
   * Joins from a peer's snapshot instead of replaying the whole DAG: fetches it, checks it, and stores it in one
   * batch. Checked: every entry body (id and signature); the membership entries authorise one another in
   * (hlc, id) order from a genesis signed by the context key and produce the membership the peer sent; the state
   * records produce the peer's state digest (and host root). Not checkable without the bodies: which values
   * the state entries wrote — the snapshot trusts the peer there, as upstream's snapshot sync does.
   */
  private async joinFromSnapshot(ctx: Uint8Array, peer: string): Promise<void> {
    const snap = await this.requestSnapshot(ctx, peer);
    const { cols, meta } = snap;
    const bodies = new Map<string, Delta>();
    for (const r of cols.delta) {
      if (r.key.length !== 32) throw new Error('snapshot: bad entry id');
      if (r.value.length === 0) continue;
      const d = decodeDelta(r.value);
      if (!Buffer.from(d.id).equals(Buffer.from(r.key)) || !Buffer.from(d.contextId).equals(Buffer.from(ctx))) throw new Error('snapshot: entry does not match its id');
      bodies.set(hex(d.id), d);
    }
    const history: Delta[] = [];
    for (const r of cols.config) {
      if (r.key[0] !== TAG.entry) continue;
      const d = bodies.get(hex(r.key.subarray(1)));
      if (!d || d.payload.type === 'state') throw new Error('snapshot: membership record without its entry');
      if (Buffer.from(r.value).toString('utf8') !== JSON.stringify(entryRecord(d))) throw new Error('snapshot: membership record does not match its entry');
      history.push(d);
    }
    checkSets(cols.config, history, meta.heads);
    const m = checkMembershipHistory(ctx, history);
    const sent = cols.config.find((r) => r.key.length === 1 && r.key[0] === TAG.membership);
    if (!m || !sent || canonical(JSON.parse(Buffer.from(sent.value).toString('utf8'))) !== canonical(m)) throw new Error('snapshot: membership does not follow from its entries');
    if (encodeId(meta.applicationId) !== m.applicationId) throw new Error('snapshot: application differs from the membership');
    for (const h of meta.heads) if (!bodies.has(hex(h))) throw new Error('snapshot: a head without its entry');
    await this.ensureApp(ctx, appInfoOf(m), peer);

    await this.d.execution.withLock(ctx, async () => {
      if (await this.membership(ctx)) return; // replayed meanwhile
      const current = await this.d.contexts.meta(ctx);
      if (!current) throw new Error('context deleted while joining');
      const batch = new Batch();
      const staged = await this.d.execution.stageWrites(batch, ctx, '0', 0, cols.state);
      if (staged.sum !== meta.stateSum || staged.size !== meta.sizeInBytes) throw new Error('snapshot: state does not match its digest');
      // The root: the host's digest root, or the app's own (apps that commit one); only the former is checkable.
      const root = encodeId(meta.rootHash);
      for (const r of cols.config) batch.put('config', contextKey(ctx, r.key), r.value);
      for (const r of cols.delta) batch.put('delta', contextKey(ctx, r.key), r.value);
      for (const pk of Object.keys(m.members)) {
        if (!(await this.d.contexts.identity(ctx, decodeId(pk)))) batch.put('identity', contextKey(ctx, decodeId(pk)), '{}');
      }
      const next: ContextMeta = { ...current, applicationId: m.applicationId, rootHash: root, stateSum: staged.sum, sizeInBytes: staged.size, dagHeads: meta.heads.map((h) => [...h]) };
      batch.put('meta', ctx, JSON.stringify(next));
      await this.d.store.commit(batch);
      for (const h of meta.heads) this.hlc.observe(bodies.get(hex(h))!.hlc);
      this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: root, events: [] } });
    });
    this.d.logger.info({ context: encodeId(ctx), peer, entries: cols.delta.length, records: cols.state.length }, 'joined from a snapshot');
  }

  /** Received entries still waiting for missing parents, over all contexts. */
  pendingCount(): number {
    let n = 0;
    for (const m of this.pending.values()) n += m.size;
    return n;
  }

  /** Connected peers subscribed to a context's topic. */
  contextPeers(ctx: Uint8Array): string[] {
    return this.network?.topicPeers(encodeId(ctx)) ?? [];
  }
}

function opsOf(outcome: Outcome): Ops {
  if (outcome.artifact.length > 0) return { kind: 'artifact', artifact: outcome.artifact };
  return { kind: 'writes', writes: [...outcome.writes.values()].map((w) => ({ key: w.key, value: w.value ?? null })) };
}

function appInfo(id: Uint8Array, meta: ApplicationMeta): AppInfo {
  return {
    applicationId: id,
    bytecode: decodeId(meta.bytecode),
    size: meta.size,
    source: meta.source,
    metadata: Uint8Array.from(meta.metadata),
    package: meta.package,
    version: meta.version,
  };
}

function appRecord(a: AppInfo): Membership['app'] {
  return { bytecode: encodeId(a.bytecode), size: a.size, source: a.source, metadata: [...a.metadata], package: a.package, version: a.version };
}

interface EntryRecord {
  id: string;
  hlc: string;
  genesis?: { creator: string; applicationId: string; app: Membership['app'] };
  member?: { op: 'add' | 'remove' | 'grant' | 'revoke'; member: string; capability: number };
  application?: { applicationId: string; app: Membership['app'] };
}

function entryRecord(d: Delta): EntryRecord {
  const r: EntryRecord = { id: hex(d.id), hlc: d.hlc.toString() };
  const p = d.payload;
  if (p.type === 'genesis') r.genesis = { creator: encodeId(p.creator), applicationId: encodeId(p.app.applicationId), app: appRecord(p.app) };
  else if (p.type === 'member') r.member = { op: p.op, member: encodeId(p.member), capability: p.capability };
  else if (p.type === 'application') r.application = { applicationId: encodeId(p.app.applicationId), app: appRecord(p.app) };
  return r;
}

/** The largest entry: a response frame (8 MiB) less its own framing (tag, option byte, length). */
const MAX_ENTRY_BYTES = MAX_FRAME - 16;
const EMPTY = new Uint8Array(0);
/** Snapshot frames carry up to ~1 MiB of records; the whole snapshot may not exceed MAX_SNAPSHOT_BYTES. */
const SNAPSHOT_FRAME_BYTES = 1 << 20;
const MAX_SNAPSHOT_BYTES = 1 << 30;
const SNAPSHOT_FRAME_ORDER: SnapshotColumn[] = ['config', 'delta', 'state'];

interface Snapshot {
  cols: Record<SnapshotColumn, Array<{ key: Uint8Array; value: Uint8Array }>>;
  meta: SnapshotMeta;
}

/** JSON with object keys sorted (for comparing records built in different orders). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/**
 * Replays membership entries in (hlc, id) order, checking each one's authorisation against the membership before
 * it (`refusal`); null when one fails. This linear order is stricter than the causal check: with
 * concurrent revocations a valid history can fail it, and the joiner then replays the DAG instead.
 */
function checkMembershipHistory(ctx: Uint8Array, entries: Delta[]): Membership | null {
  const sorted = [...entries].sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : Buffer.compare(a.id, b.id)));
  const done: EntryRecord[] = [];
  let m: Membership | null = null;
  for (const d of sorted) {
    if (d.payload.type === 'state' || (d.payload.type === 'genesis' && m) || refusal(ctx, m, d)) return null;
    done.push(entryRecord(d));
    m = foldMembership(done);
  }
  return m;
}

/**
 * The snapshot's membership sets (which membership entries lie in each entry's causal past) must be well
 * formed: only known record kinds; each set stored under the hash of its content and naming only entries of the
 * snapshot; every "set of" pointing at a stored set; and the heads' sets together covering every membership entry
 * (each one is an ancestor of some head). Throws otherwise.
 */
function checkSets(config: Array<{ key: Uint8Array; value: Uint8Array }>, history: Delta[], heads: Uint8Array[]): void {
  const ids = new Set(history.map((d) => hex(d.id)));
  const sets = new Map<string, string[]>();
  const setOf = new Map<string, string>();
  for (const r of config) {
    const tag = r.key[0];
    if (tag === TAG.set) {
      const content = JSON.parse(Buffer.from(r.value).toString('utf8')) as string[];
      const h = hex(r.key.subarray(1));
      if (!Array.isArray(content) || hex(hash(Buffer.from([...content].sort().join(',')))) !== h) throw new Error('snapshot: a membership set does not match its hash');
      if (content.some((id) => !ids.has(id))) throw new Error('snapshot: a membership set names an unknown entry');
      sets.set(h, content);
    } else if (tag === TAG.setOf) setOf.set(hex(r.key.subarray(1)), hex(r.value));
    else if (tag !== TAG.membership && tag !== TAG.stamp && tag !== TAG.entry) throw new Error('snapshot: unknown record');
  }
  for (const h of setOf.values()) if (!sets.has(h)) throw new Error('snapshot: an entry points at a missing membership set');
  const covered = new Set<string>();
  for (const head of heads) for (const id of sets.get(setOf.get(hex(head)) ?? '') ?? []) covered.add(id);
  if (covered.size !== ids.size) throw new Error('snapshot: the heads do not cover the membership entries');
}

function appInfoOf(m: Membership): AppInfo {
  const a = m.app;
  return { applicationId: decodeId(m.applicationId), bytecode: decodeId(a.bytecode), size: a.size, source: a.source, metadata: Uint8Array.from(a.metadata), package: a.package, version: a.version };
}

function can(m: Membership | null, member: Uint8Array, cap?: number): boolean {
  const caps = m?.members[encodeId(member)];
  if (!caps) return false;
  return cap === undefined || caps.includes(cap);
}

/**
 * Why `d` may not be applied on top of membership `m` (the membership of its causal past; null before the
 * genesis), or null when it may. The one statement of the authorisation rules, for applied entries and snapshots.
 */
function refusal(ctx: Uint8Array, m: Membership | null, d: Delta): string | null {
  const p = d.payload;
  if (p.type === 'genesis') {
    return Buffer.from(d.author).equals(Buffer.from(ctx)) && d.parents.length === 0 ? null : 'genesis not signed by the context key';
  }
  if (!m) return 'context has no genesis';
  if (p.type === 'state') return can(m, d.author) ? null : 'author is not a member';
  if (p.type === 'member') {
    const selfRemoval = p.op === 'remove' && Buffer.from(p.member).equals(Buffer.from(d.author)) && can(m, d.author);
    return can(m, d.author, Capability.ManageMembers) || selfRemoval ? null : 'author may not manage members';
  }
  return can(m, d.author, Capability.ManageApplication) ? null : 'author may not manage the application';
}

/** Membership after a set of membership entries, applied in (hlc, id) order (a topological order of the DAG). */
function foldMembership(records: EntryRecord[]): Membership | null {
  const entries = [...records].sort((a, b) => (BigInt(a.hlc) < BigInt(b.hlc) ? -1 : BigInt(a.hlc) > BigInt(b.hlc) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let m: Membership | null = null;
  for (const e of entries) {
    if (e.genesis) m = { creator: e.genesis.creator, applicationId: e.genesis.applicationId, app: e.genesis.app, members: { [e.genesis.creator]: [...ALL_CAPS] } };
    else if (!m) continue;
    else if (e.member) {
      const { op, member, capability } = e.member;
      if (op === 'add') m.members[member] ??= [];
      else if (op === 'remove') delete m.members[member];
      else if (m.members[member]) {
        const caps = new Set(m.members[member]);
        if (op === 'grant') caps.add(capability);
        else caps.delete(capability);
        m.members[member] = [...caps].sort();
      }
    } else if (e.application) {
      m.applicationId = e.application.applicationId;
      m.app = e.application.app;
    }
  }
  return m;
}

function membershipFrom(creator: Uint8Array, app: AppInfo): Membership {
  return { creator: encodeId(creator), applicationId: encodeId(app.applicationId), app: appRecord(app), members: { [encodeId(creator)]: [...ALL_CAPS] } };
}
