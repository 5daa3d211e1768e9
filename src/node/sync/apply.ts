/**
 * Applying one entry whose parents are applied: the causal authorisation check, the merge of its state ops,
 * its membership records, the new heads and meta, all in one commit; then its event handlers.
 */
import { Batch, type Store } from '../../store/store.ts';
import { decodeId, encodeId, isZero, sameId, ZERO32 } from '../../util/ids.ts';
import { applicationId as deriveAppId, MAX_MODULE_SIZE, type ApplicationMeta, type Applications } from '../applications.ts';
import type { BlobStore } from '../blobs.ts';
import { hostRoot, type ContextMeta, type Contexts } from '../contexts.ts';
import type { EventHub, ExecutionEvent } from '../events.ts';
import { decodeDelta, type AppInfo, type Delta } from './codec.ts';
import type { Dag, SyncClock } from './dag.ts';
import type { EventHandlers } from './handlers.ts';
import { APPLIED, refusal, refused, type ApplyOutcome } from './membership.ts';
import type { Memberships } from './memberships.ts';
import type { Failures } from './failures.ts';
import type { Merge, StateDigest } from './merge.ts';
import { entryEvents } from './peer-data.ts';
import type { PeerProtocol } from './protocol.ts';
import type { ProposalRecords } from '../proposals/records.ts';

export interface ApplyDeps {
  store: Store;
  contexts: Contexts;
  apps: Applications;
  blobs: BlobStore;
  events: EventHub;
  dag: Dag;
  clock: SyncClock;
  memberships: Memberships;
  merge: Merge;
  failures: Failures;
  handlers: EventHandlers;
  proposals: ProposalRecords;
  protocol(): PeerProtocol;
  onApplied(): void;
}

export class EntryApplier {
  constructor(private readonly d: ApplyDeps) {}

  /**
   * Verifies authorisation and applies one entry whose parents are applied. Caller holds the context lock.
   *
   * Authorisation is causal: an entry is checked against the membership that results from the membership
   * entries in its own causal past (its parents' "membership sets"), never against whatever this node has
   * applied meanwhile. The verdict therefore depends only on the entry and its ancestors, and is the same on
   * every node; a concurrent revoke or removal does not invalidate an entry made without knowledge of it.
   */
  async applyLocked(ctx: Uint8Array, d: Delta, raw: Uint8Array, peer: string | null): Promise<ApplyOutcome> {
    const { contexts, memberships, merge } = this.d;
    if (await this.d.dag.has(ctx, d.id)) return APPLIED;
    const meta = await contexts.meta(ctx);
    if (!meta) return refused('unknown_context');
    const batch = new Batch();
    const next: ContextMeta = { ...meta };
    const p = d.payload;
    let events: ExecutionEvent[] = [];
    let handlersBy: Uint8Array | null = null;
    let parentSet: string | null = null;
    let failed: string | null = null;
    if (p.type === 'genesis') {
      if (await memberships.current(ctx)) return refused('second_genesis');
      const no = refusal(ctx, null, d);
      if (no) return refused(no);
      if (!appMatchesId(p.app)) return refused('invalid_application');
      await this.ensureApp(ctx, p.app, peer);
      next.applicationId = p.app.applicationId;
      Object.assign(next, await merge.apply(batch, ctx, next.applicationId, next, d, p.ops));
      if (isZero(next.rootHash)) next.rootHash = hostRoot(ctx, BigInt('0x' + (next.stateSum || '0')));
    } else {
      if (d.parents.length === 0) return refused('no_parents');
      // Ready when it was queued, but checked again here: an interrupted snapshot join removes what it wrote.
      for (const q of d.parents) if (!(await this.d.dag.has(ctx, q))) return refused('parents_missing');
      parentSet = await memberships.unionOfParents(batch, ctx, d.parents);
      const m = parentSet ? await memberships.ofSet(ctx, parentSet) : null;
      const no = refusal(ctx, m, d);
      if (no) return refused(no);
      if (p.type === 'state') {
        const parsed = entryEvents(d.events);
        if (!parsed) return refused('invalid_events');
        events = parsed;
        const merged = await this.mergeOrFail(batch, ctx, next, d);
        if (merged.ok) Object.assign(next, merged.digest);
        else failed = merged.reason;
        if (!failed && events.some((e) => e.handler)) handlersBy = await this.d.handlers.executor(ctx, m!, d.author);
      } else if (p.type === 'application') {
        if (!appMatchesId(p.app)) return refused('invalid_application');
        await this.ensureApp(ctx, p.app, peer);
      } else if (p.type === 'proposal') {
        this.d.proposals.stage(batch, ctx, d);
      }
    }
    // The entry's own membership set: its parents' (plus itself when it changes membership).
    let ownSet = parentSet;
    if (p.type !== 'state' && p.type !== 'proposal') {
      memberships.stageEntry(batch, ctx, d);
      ownSet = await memberships.extend(batch, ctx, parentSet, d.id);
    }
    memberships.stageSetOf(batch, ctx, d.id, ownSet!);
    const heads = meta.dagHeads.filter((h) => !d.parents.some((q) => sameId(q, h)));
    heads.push(d.id);
    heads.sort(Buffer.compare);
    next.dagHeads = heads;
    // The node's current view: the membership of all heads together.
    const current = await memberships.ofSet(ctx, await memberships.unionOfParents(batch, ctx, heads));
    const before = await memberships.current(ctx);
    if (current && memberships.stageCurrent(batch, ctx, before, current)) {
      next.applicationId = decodeId(current.applicationId);
      for (const pk of Object.keys(current.members)) if (!before?.members[pk]) await contexts.stageAddedMember(batch, ctx, decodeId(pk));
      for (const pk of Object.keys(before?.members ?? {})) if (!current.members[pk]) await contexts.stageForgetMember(batch, ctx, decodeId(pk));
    }
    this.d.dag.stage(batch, ctx, d.id, raw);
    contexts.stageMeta(batch, ctx, next);
    // An entry from a peer is not fsynced: lost in a power cut, it is fetched again from the peers. Our own
    // membership entries are (nobody else may have them yet).
    await this.d.store.commit(batch, { sync: peer === null });
    this.d.clock.observe(d.hlc);
    this.d.onApplied();
    if (handlersBy) this.d.handlers.run(ctx, handlersBy, events);
    if ((!failed && events.length > 0) || !sameId(next.rootHash, meta.rootHash)) {
      this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: encodeId(next.rootHash), events: failed ? [] : events } });
    }
    return failed ? { ok: true, failed } : APPLIED;
  }

  /**
   * Merges a state entry's ops, staged in `batch` only when the merge succeeds; a failure (the app's
   * `__calimero_sync_next` trapped, the application is missing) is recorded instead (failures.ts) and the
   * context's state stays as it was.
   */
  private async mergeOrFail(batch: Batch, ctx: Uint8Array, cur: ContextMeta, d: Delta): Promise<{ ok: true; digest: StateDigest } | { ok: false; reason: string }> {
    if (d.payload.type !== 'state') throw new Error('not a state entry');
    const own = new Batch();
    try {
      const digest = await this.d.merge.apply(own, ctx, cur.applicationId, cur, d, d.payload.ops);
      batch.ops.push(...own.ops);
      this.d.failures.clear(batch, ctx, d.id);
      return { ok: true, digest };
    } catch (err) {
      const reason = (err as Error).message;
      await this.d.failures.stage(batch, d, reason);
      return { ok: false, reason };
    }
  }

  /**
   * Retries the merge of the context's failed entries, oldest first, on the current state (the cause may have
   * gone: a new application, a restart). Caller holds the context lock. Returns the ids that now merged and
   * those that still fail.
   */
  async retryFailedLocked(ctx: Uint8Array): Promise<{ merged: string[]; failing: string[] }> {
    const out = { merged: [] as string[], failing: [] as string[] };
    for (const rec of await this.d.failures.list(ctx)) {
      const meta = await this.d.contexts.meta(ctx);
      if (!meta) return out;
      const id = decodeId(rec.id);
      const raw = await this.d.dag.raw(ctx, id);
      const batch = new Batch();
      if (!raw) {
        this.d.failures.clear(batch, ctx, id); // gone (a snapshot replaced the DAG): nothing left to retry
        await this.d.store.commit(batch);
        continue;
      }
      const d = decodeDelta(raw);
      const merged = await this.mergeOrFail(batch, ctx, meta, d);
      if (merged.ok) {
        const next: ContextMeta = { ...meta, ...merged.digest };
        this.d.contexts.stageMeta(batch, ctx, next);
        out.merged.push(rec.id);
      } else out.failing.push(rec.id);
      await this.d.store.commit(batch);
      if (merged.ok && !sameId(merged.digest.rootHash, meta.rootHash)) {
        this.d.events.publish({ contextId: encodeId(ctx), type: 'StateMutation', data: { newRoot: encodeId(merged.digest.rootHash), events: [] } });
      }
    }
    return out;
  }

  /** Installs the context's application if missing: from a local blob, else fetched from `peer`. */
  async ensureApp(ctx: Uint8Array, app: AppInfo, peer: string | null): Promise<void> {
    if (await this.d.apps.get(app.applicationId)) return;
    if (!appMatchesId(app)) throw new Error('application record does not match its id');
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
    // A module found stored may be collected (an uninstall of another application using it) before the record
    // lands; `adopt` refuses then, and the module is stored again once.
    for (let attempt = 0; ; attempt++) {
      if (!(await this.d.blobs.info(app.bytecode))) {
        if (!peer) throw new Error('application blob missing and no peer to fetch it from');
        // The size is part of what the application id hashes, so a peer cannot declare more than the record says.
        const data = await this.d.protocol().requestBlob(ctx, peer, app.bytecode, Math.min(app.size, MAX_MODULE_SIZE));
        const info = await this.d.blobs.put(data);
        if (!sameId(info.blobId, app.bytecode)) throw new Error('fetched application blob has the wrong id');
      }
      if (await this.d.apps.adopt(app.applicationId, meta)) return;
      if (attempt > 0) throw new Error('the application module was removed again while it was being stored');
    }
  }
}

/** Whether an entry's application record hashes to the id it names (a deterministic check: the same on every node). */
function appMatchesId(app: AppInfo): boolean {
  return sameId(deriveAppId(app.bytecode, app.size, app.source, app.metadata), app.applicationId);
}
