/**
 * Snapshots: a member streams a context's sync records as they stand, and a joiner checks and stores them in
 * one batch instead of replaying the whole DAG (`[sync] snapshot_join`).
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { concat, decodeId, encodeId, idKey } from '../../util/ids.ts';
import { contextKey, type ContextMeta, type Contexts } from '../contexts.ts';
import type { EventHub } from '../events.ts';
import type { Execution } from '../execution.ts';
import { decodeDelta, encodeResponse, type AppInfo, type SnapshotColumn, type SnapshotMeta } from './codec.ts';
import type { Dag, SyncClock } from './dag.ts';
import { appInfoOf } from './membership.ts';
import type { Memberships } from './memberships.ts';
import type { PeerProtocol, Send } from './protocol.ts';
import { setOfKey, TAG, type Row } from './records.ts';
import { checkSnapshot, SNAPSHOT_FRAME_ORDER, SnapshotCheck, SnapshotError, type HeadInfo, type Snapshot } from './snapshot-check.ts';
import { headsKey } from './divergence.ts';

const EMPTY = new Uint8Array(0);
/** Snapshot frames carry up to ~1 MiB of records; the whole snapshot may not exceed MAX_SNAPSHOT_BYTES. */
const SNAPSHOT_FRAME_BYTES = 1 << 20;
const MAX_SNAPSHOT_BYTES = Number(process.env.MEROD_SNAPSHOT_MAX_BYTES) || 4 * 2 ** 30;
/**
 * A repair (repair.ts) holds the peer's whole snapshot in memory before it checks and swaps it in, so it is bounded
 * by what it holds, not by the wire: each record counts its bytes plus {@link RECORD_COST} (a decoded record is
 * two arrays and an object; empty records are ~30x their wire size). A context past this is not repaired (logged).
 */
const MAX_REPAIR_BYTES = Number(process.env.MEROD_REPAIR_MAX_BYTES) || 256 * 2 ** 20;
const RECORD_COST = 160;
/** A snapshot request may take this many sync timeouts (it streams a whole context). */
const SNAPSHOT_TIMEOUT_FACTOR = 30;
/** Snapshots a node serves at once; more requests are refused (the joiner tries another member or later). */
const MAX_SERVING = 4;
/** Deletes per commit when an unfinished join's records are removed. */
const DISCARD_BATCH = 1000;
/** `generic` records marking a join under way: scope ‖ context id → JSON {peer, at}. */
const MARKER_SCOPE = new TextEncoder().encode('sync/joining/');
function markerKey(ctx: Uint8Array): Uint8Array {
  return concat(MARKER_SCOPE, ctx);
}

/** Collects one column's records into frames of about SNAPSHOT_FRAME_BYTES and sends each when full. */
class FrameSender {
  private column: SnapshotColumn = 'config';
  private records: Row[] = [];
  private bytes = 0;

  constructor(private readonly send: Send) {}

  async add(column: SnapshotColumn, r: Row): Promise<void> {
    if (column !== this.column) await this.flush();
    this.column = column;
    this.records.push(r);
    this.bytes += r.key.length + r.value.length + 8;
    if (this.bytes >= SNAPSHOT_FRAME_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.records.length === 0) return;
    const records = this.records;
    this.records = [];
    this.bytes = 0;
    await this.send(encodeResponse({ type: 'records', column: this.column, records }));
  }
}

export interface SnapshotDeps {
  store: Store;
  contexts: Contexts;
  dag: Dag;
  memberships: Memberships;
  execution: Execution;
  events: EventHub;
  clock: SyncClock;
  logger: Logger;
  timeoutMs: number;
  protocol(): PeerProtocol;
  /** Installs the context's application if missing (fetched from `peer`). */
  ensureApp(ctx: Uint8Array, app: AppInfo, peer: string | null): Promise<void>;
}

export class Snapshots {
  /** Set when the node stops: a join under way gives up at its next frame, leaving its rows to `recover`. */
  private stopping = false;
  /** Snapshots being served now (each pins a RocksDB snapshot until its stream ends). */
  private serving = 0;

  constructor(private readonly d: SnapshotDeps) {}

  /** Makes joins under way give up (their marker and rows stay: the next start discards them and joins again). */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Streams the context's sync records as they stand at one consistent cut: under the context lock only the
   * meta is read and a read view of the store taken (a RocksDB snapshot); the records are then read from that
   * view and sent in frames of about SNAPSHOT_FRAME_BYTES while the context goes on taking writes. Sent: the
   * config records (membership, sets, merge stamps), the DAG with bodies only for membership and proposal
   * entries and heads (other entries by id, so the joiner knows them as applied), the state, then the meta.
   * At most MAX_SERVING at once, each for at most the joiner's own deadline.
   */
  async serve(ctx: Uint8Array, send: Send): Promise<void> {
    if (this.serving >= MAX_SERVING) {
      await send(encodeResponse({ type: 'error', message: 'too many snapshots being served; try again later' }));
      return;
    }
    this.serving++;
    try {
      await this.serveCut(ctx, send);
    } finally {
      this.serving--;
    }
  }

  /** `serve` within the bound on concurrent snapshots; gives up past the joiner's own deadline. */
  private async serveCut(ctx: Uint8Array, send: Send): Promise<void> {
    const deadline = Date.now() + SNAPSHOT_TIMEOUT_FACTOR * this.d.timeoutMs;
    const cut = await this.d.execution.withLock(ctx, async () => {
      const meta = await this.d.contexts.meta(ctx);
      return meta ? { meta, view: this.d.store.view() } : null;
    });
    if (!cut) {
      await send(encodeResponse({ type: 'error', message: 'context not found' }));
      return;
    }
    const { meta, view } = cut;
    try {
      const keep = new Set(meta.dagHeads.map(idKey));
      const frames = new FrameSender(async (frame) => {
        if (Date.now() > deadline) throw new Error('snapshot: the joiner took too long');
        await send(frame);
      });
      for (const column of SNAPSHOT_FRAME_ORDER) {
        for await (const { key, value } of view.iterate(column, { prefix: ctx })) {
          const rest = key.subarray(32);
          if (column === 'config') {
            if (rest[0] === TAG.failed) continue; // this node's own merge failures (failures.ts)
            if (rest[0] === TAG.entry || rest[0] === TAG.proposal) keep.add(idKey(rest.subarray(1)));
          }
          const v = column === 'delta' && !keep.has(idKey(rest)) ? EMPTY : value;
          await frames.add(column, { key: rest, value: v });
        }
        await frames.flush();
      }
    } finally {
      await view.close();
    }
    await send(
      encodeResponse({
        type: 'snapshotEnd',
        meta: { rootHash: meta.rootHash, heads: meta.dagHeads, applicationId: meta.applicationId, stateSum: meta.stateSum, sizeInBytes: meta.sizeInBytes },
      }),
    );
  }

  /** A peer's whole snapshot, in memory: at most `limit` bytes as held (records count {@link RECORD_COST} each). */
  private async request(ctx: Uint8Array, peer: string, limit: number): Promise<Snapshot> {
    const cols: Snapshot['cols'] = { config: [], state: [], delta: [] };
    let meta: SnapshotMeta | null = null;
    let bytes = 0;
    await this.d.protocol().request(ctx, peer, (auth) => ({ type: 'snapshot', auth }), (r, size) => {
      if (r.type === 'records') {
        bytes += size + r.records.length * RECORD_COST;
        if (bytes > limit) throw new Error(`snapshot larger than ${limit} bytes in memory`);
        const into = cols[r.column];
        for (const rec of r.records) into.push(rec);
        return false;
      }
      if (r.type === 'snapshotEnd') meta = r.meta;
      return true;
    }, 10 * this.d.timeoutMs);
    if (!meta) throw new Error('snapshot ended early');
    return { cols, meta };
  }

  /**
   * Joins from a peer's snapshot instead of replaying the whole DAG. The snapshot streams in: each frame is
   * checked as it comes (snapshot-check.ts) and written to the store in place (config, delta and state records
   * of the context) in its own commit, so memory stays bounded by a frame and what the checks hold. The
   * context's lock is held throughout (nothing else applies to it meanwhile) and it stays a placeholder (no
   * membership, no application, empty meta) until the last commit, which adds the membership, the members and
   * the meta once the whole snapshot passed its checks. A marker record says a join is under way: a join that
   * fails or is interrupted (even by a crash, see `recover`) has its rows removed, and the next attempt
   * starts again from a fresh cut.
   *
   * Checked: every entry body (id and signature); the membership entries authorise one another in (hlc, id)
   * order from a genesis signed by the context key and produce the membership the peer sent; the state records
   * produce the peer's state digest (and host root). Not checkable without the bodies: which values the state
   * entries wrote — the snapshot trusts the peer there, as upstream's snapshot sync does.
   */
  async join(ctx: Uint8Array, peer: string): Promise<void> {
    if (this.stopping) throw new Error('the node is stopping');
    const done = await this.d.execution.withLock(ctx, async () => {
      if (await this.d.memberships.current(ctx)) return null; // replayed meanwhile
      if (!(await this.d.contexts.meta(ctx))) throw new Error('context deleted while joining');
      await this.discard(ctx);
      await this.d.store.put('generic', markerKey(ctx), JSON.stringify({ peer, at: Date.now() }));
      try {
        return await this.streamIn(ctx, peer);
      } catch (err) {
        if (!this.stopping) await this.discard(ctx);
        throw err;
      }
    });
    if (done) this.d.logger.info({ context: encodeId(ctx), peer, entries: done.delta, records: done.state }, 'joined from a snapshot');
  }

  /** The body of `join` under the context lock: stream, check, store; returns the record counts. */
  private async streamIn(ctx: Uint8Array, peer: string): Promise<Record<SnapshotColumn, number> | null> {
    const check = new SnapshotCheck(ctx);
    let meta: SnapshotMeta | null = null;
    let bytes = 0;
    await this.d.protocol().request(ctx, peer, (auth) => ({ type: 'snapshot', auth }), async (r, size) => {
      if (r.type === 'snapshotEnd') {
        meta = r.meta;
        return true;
      }
      if (this.stopping) throw new Error('the node is stopping');
      if (r.type !== 'records') throw new Error(`peer answered a snapshot request with ${r.type}`);
      if (bytes === 0) this.d.logger.info({ context: encodeId(ctx), peer }, 'receiving a snapshot');
      bytes += size;
      if (bytes > MAX_SNAPSHOT_BYTES) throw new SnapshotError(`larger than ${MAX_SNAPSHOT_BYTES} bytes`);
      const batch = new Batch();
      for (const row of check.take(r.column, r.records)) batch.put(r.column, contextKey(ctx, row.key), row.value);
      // Not fsynced: until the last commit (synced) nothing of it counts, and a crash discards it (`recover`).
      await this.d.store.commit(batch, { sync: false });
      return false;
    }, SNAPSHOT_TIMEOUT_FACTOR * this.d.timeoutMs);
    const end = meta as SnapshotMeta | null;
    if (!end) throw new Error('snapshot ended early');
    const heads = new Map<string, HeadInfo>();
    for (const h of end.heads) {
      const setOf = await this.d.store.get('config', setOfKey(ctx, h));
      const raw = await this.d.dag.raw(ctx, h);
      heads.set(idKey(h), { setOf: setOf ? idKey(setOf) : undefined, body: raw ? decodeDelta(raw) : null });
    }
    const { membership: m, membershipRow } = check.finish(end, heads);
    await this.d.ensureApp(ctx, appInfoOf(m), peer);
    const current = await this.d.contexts.meta(ctx);
    if (!current) throw new Error('context deleted while joining');
    const batch = new Batch();
    this.d.memberships.stageSnapshot(batch, ctx, [membershipRow]);
    for (const pk of Object.keys(m.members)) await this.d.contexts.stageAddedMember(batch, ctx, decodeId(pk));
    const next: ContextMeta = {
      ...current,
      applicationId: end.applicationId,
      rootHash: end.rootHash,
      stateSum: check.stateSum,
      sizeInBytes: check.stateSize,
      dagHeads: end.heads,
    };
    this.d.contexts.stageMeta(batch, ctx, next);
    batch.delete('generic', markerKey(ctx));
    await this.d.store.commit(batch);
    for (const h of end.heads) this.d.clock.observe(heads.get(idKey(h))!.body!.hlc);
    this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: encodeId(end.rootHash), events: [] } });
    return check.counts;
  }

  /**
   * Removes what an unfinished join of `ctx` stored (its config, delta and state records, in bounded batches)
   * and its marker. Only while the context has no membership: a joined context's records are its own.
   */
  private async discard(ctx: Uint8Array): Promise<void> {
    if (!(await this.d.store.has('generic', markerKey(ctx)))) return;
    if (!(await this.d.memberships.current(ctx))) {
      for (const col of ['config', 'delta', 'state'] as const) {
        let batch = new Batch();
        for await (const { key } of this.d.store.iterate(col, { prefix: ctx })) {
          batch.delete(col, key);
          if (batch.size >= DISCARD_BATCH) {
            await this.d.store.commit(batch, { sync: false });
            batch = new Batch();
          }
        }
        await this.d.store.commit(batch, { sync: false });
      }
    }
    await this.d.store.delete('generic', markerKey(ctx));
  }

  /**
   * On start: the records of joins a crash interrupted are removed (the join then starts again from a fresh
   * cut, see the manager's periodic sync). Returns the contexts whose join was discarded.
   */
  async recover(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const key of await this.d.store.keys('generic', { prefix: MARKER_SCOPE })) {
      const ctx = key.subarray(MARKER_SCOPE.length);
      if (ctx.length !== 32) continue;
      await this.d.execution.withLock(ctx, () => this.discard(ctx));
      out.push(new Uint8Array(ctx));
    }
    return out;
  }

  /** Whether a join of `ctx` is under way or was interrupted (its marker is stored). */
  joining(ctx: Uint8Array): Promise<boolean> {
    return this.d.store.has('generic', markerKey(ctx));
  }

  /**
   * Repairs a diverged context (repair.ts): fetches `peer`'s snapshot and, while it and this node both still
   * have `heads`, replaces this node's state of the context with the peer's in one batch: the state records
   * (checked against the peer's digest), the merge stamps (`stageStamps`, merge.ts owns them), the root. The
   * DAG and the membership stay (same heads). Returns the root before and after, or null if the heads moved on.
   */
  async repair(
    ctx: Uint8Array,
    peer: string,
    heads: Uint8Array[],
    stageStamps: (batch: Batch, stamps: Row[]) => Promise<void>,
  ): Promise<{ before: Uint8Array; after: Uint8Array } | null> {
    const snap = await this.request(ctx, peer, MAX_REPAIR_BYTES);
    checkSnapshot(ctx, snap);
    if (headsKey(snap.meta.heads) !== headsKey(heads)) return null;
    const done = await this.d.execution.withLock(ctx, async () => {
      const cur = await this.d.contexts.meta(ctx);
      if (!cur || headsKey(cur.dagHeads) !== headsKey(heads)) return null;
      const theirs = new Set(snap.cols.state.map((r) => idKey(r.key)));
      const writes: Array<{ key: Uint8Array; value: Uint8Array | null }> = [...snap.cols.state];
      for await (const { key } of this.d.store.iterate('state', { prefix: ctx })) {
        if (!theirs.has(idKey(key.subarray(32)))) writes.push({ key: key.subarray(32), value: null });
      }
      const batch = new Batch();
      const staged = await this.d.execution.stageWrites(batch, ctx, cur.stateSum, cur.sizeInBytes, writes);
      if (BigInt('0x' + staged.sum) !== BigInt('0x' + (snap.meta.stateSum || '0')) || staged.size !== snap.meta.sizeInBytes) {
        throw new SnapshotError('state does not match its digest');
      }
      await stageStamps(batch, snap.cols.config.filter((r) => r.key[0] === TAG.stamp).map((r) => ({ key: r.key.subarray(1), value: r.value })));
      this.d.contexts.stageMeta(batch, ctx, { ...cur, rootHash: snap.meta.rootHash, stateSum: staged.sum, sizeInBytes: staged.size });
      await this.d.store.commit(batch);
      return { before: cur.rootHash, after: snap.meta.rootHash };
    });
    if (done) this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: encodeId(done.after), events: [] } });
    return done;
  }
}
