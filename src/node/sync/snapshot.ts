/**
 * Snapshots: a member streams a context's sync records as they stand, and a joiner checks and stores them in
 * one batch instead of replaying the whole DAG (`[sync] snapshot_join`).
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { decodeId, encodeId, idKey } from '../../util/ids.ts';
import type { ContextMeta, Contexts } from '../contexts.ts';
import type { EventHub } from '../events.ts';
import type { Execution } from '../execution.ts';
import { encodeResponse, type AppInfo, type SnapshotColumn, type SnapshotMeta } from './codec.ts';
import type { Dag, SyncClock } from './dag.ts';
import { appInfoOf } from './membership.ts';
import type { Memberships } from './memberships.ts';
import type { PeerProtocol, Send } from './protocol.ts';
import { TAG, type Row } from './records.ts';
import { checkSnapshot, SnapshotError, type Snapshot } from './snapshot-check.ts';
import { headsKey } from './divergence.ts';

const EMPTY = new Uint8Array(0);
/** Snapshot frames carry up to ~1 MiB of records; the whole snapshot may not exceed MAX_SNAPSHOT_BYTES. */
const SNAPSHOT_FRAME_BYTES = 1 << 20;
const MAX_SNAPSHOT_BYTES = 1 << 30;
const SNAPSHOT_FRAME_ORDER: SnapshotColumn[] = ['config', 'delta', 'state'];

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
  constructor(private readonly d: SnapshotDeps) {}

  /**
   * Sends the context's sync records as they stand, read under the context lock (one consistent cut): the config
   * records (membership, sets, merge stamps), the state, and the DAG with bodies only for membership and proposal
   * entries and heads (other entries by id, so the joiner knows them as applied).
   */
  async serve(ctx: Uint8Array, send: Send): Promise<void> {
    const cut = await this.d.execution.withLock(ctx, async () => {
      const meta = await this.d.contexts.meta(ctx);
      if (!meta) return null;
      const cols: Record<SnapshotColumn, Row[]> = { config: [], state: [], delta: [] };
      for (const col of ['config', 'state'] as const) {
        for await (const { key, value } of this.d.store.iterate(col, { prefix: ctx })) {
          if (col === 'config' && key[32] === TAG.failed) continue; // this node's own merge failures (failures.ts)
          cols[col].push({ key: key.subarray(32), value });
        }
      }
      const keep = new Set(meta.dagHeads.map(idKey));
      for (const r of cols.config) if (r.key[0] === TAG.entry || r.key[0] === TAG.proposal) keep.add(idKey(r.key.subarray(1)));
      for await (const { id, raw } of this.d.dag.rows(ctx)) cols.delta.push({ key: id, value: keep.has(idKey(id)) ? raw : EMPTY });
      return { cols, meta };
    });
    if (!cut) {
      await send(encodeResponse({ type: 'error', message: 'context not found' }));
      return;
    }
    for (const column of SNAPSHOT_FRAME_ORDER) {
      let records: Row[] = [];
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
        meta: { rootHash: meta.rootHash, heads: meta.dagHeads, applicationId: meta.applicationId, stateSum: meta.stateSum, sizeInBytes: meta.sizeInBytes },
      }),
    );
  }

  private async request(ctx: Uint8Array, peer: string): Promise<Snapshot> {
    const cols: Snapshot['cols'] = { config: [], state: [], delta: [] };
    let meta: SnapshotMeta | null = null;
    let bytes = 0;
    await this.d.protocol().request(ctx, peer, (auth) => ({ type: 'snapshot', auth }), (r, size) => {
      if (r.type === 'records') {
        bytes += size;
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
   * Joins from a peer's snapshot instead of replaying the whole DAG: fetches it, checks it (snapshot-check.ts),
   * and stores it in one batch. Checked: every entry body (id and signature); the membership entries authorise
   * one another in (hlc, id) order from a genesis signed by the context key and produce the membership the peer
   * sent; the state records produce the peer's state digest (and host root). Not checkable without the bodies:
   * which values the state entries wrote — the snapshot trusts the peer there, as upstream's snapshot sync does.
   */
  async join(ctx: Uint8Array, peer: string): Promise<void> {
    const snap = await this.request(ctx, peer);
    const { cols, meta } = snap;
    const { membership: m, bodies } = checkSnapshot(ctx, snap);
    await this.d.ensureApp(ctx, appInfoOf(m), peer);

    await this.d.execution.withLock(ctx, async () => {
      if (await this.d.memberships.current(ctx)) return; // replayed meanwhile
      const current = await this.d.contexts.meta(ctx);
      if (!current) throw new Error('context deleted while joining');
      const batch = new Batch();
      const staged = await this.d.execution.stageWrites(batch, ctx, '0', 0, cols.state);
      if (staged.sum !== meta.stateSum || staged.size !== meta.sizeInBytes) throw new SnapshotError('state does not match its digest');
      // The root: the host's digest root, or the app's own (apps that commit one); only the former is checkable.
      this.d.memberships.stageSnapshot(batch, ctx, cols.config);
      for (const r of cols.delta) this.d.dag.stage(batch, ctx, r.key, r.value);
      for (const pk of Object.keys(m.members)) await this.d.contexts.stageAddedMember(batch, ctx, decodeId(pk));
      const next: ContextMeta = {
        ...current,
        applicationId: meta.applicationId,
        rootHash: meta.rootHash,
        stateSum: staged.sum,
        sizeInBytes: staged.size,
        dagHeads: meta.heads,
      };
      this.d.contexts.stageMeta(batch, ctx, next);
      await this.d.store.commit(batch);
      for (const h of meta.heads) this.d.clock.observe(bodies.get(idKey(h))!.hlc);
      this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: encodeId(meta.rootHash), events: [] } });
    });
    this.d.logger.info({ context: encodeId(ctx), peer, entries: cols.delta.length, records: cols.state.length }, 'joined from a snapshot');
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
    const snap = await this.request(ctx, peer);
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
