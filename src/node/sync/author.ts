/**
 * Entries made on this node: the genesis of a new context and the state entry of a local mutation (both staged
 * into the caller's commit, as Execution's DeltaHooks), and membership entries signed by an owned identity.
 */
import type { Logger } from 'pino';
import type { Batch } from '../../store/store.ts';
import type { Outcome } from '../../runtime/index.ts';
import { decodeId, encodeId } from '../../util/ids.ts';
import { MAX_FRAME } from '../../network/framing.ts';
import type { Applications } from '../applications.ts';
import { ContextError, type ContextMeta, type Contexts } from '../contexts.ts';
import type { ExecutionEvent } from '../events.ts';
import type { DeltaHooks, Execution } from '../execution.ts';
import { ExecuteError } from '../execute-error.ts';
import { encodeDelta, makeDelta, MAX_IDS, type Delta, type Ops, type Payload } from './codec.ts';
import type { Dag, SyncClock } from './dag.ts';
import type { EntryApplier } from './apply.ts';
import { appInfo, can, refusalText } from './membership.ts';
import type { Memberships } from './memberships.ts';
import { opsOf, type Merge } from './merge.ts';
import { ArtifactSigner } from './signer.ts';

/** The largest entry: a response frame (8 MiB) less its own framing (tag, option byte, length). */
export const MAX_ENTRY_BYTES = MAX_FRAME - 16;

export interface AuthorDeps {
  contexts: Contexts;
  apps: Applications;
  execution: Execution;
  dag: Dag;
  clock: SyncClock;
  memberships: Memberships;
  merge: Merge;
  applier: EntryApplier;
  logger: Logger;
  /** Counts a local artifact that could not be decoded (sent unsigned). */
  onUndecodable(): void;
  /** Broadcasts an applied entry of ours (after its commit). */
  publish(ctx: Uint8Array, id: Uint8Array, raw: Uint8Array): void;
  /** Subscribes to a new context's topic. */
  subscribe(ctx: Uint8Array): void;
}

export class Author implements DeltaHooks {
  private readonly signer = new ArtifactSigner();

  constructor(private readonly d: AuthorDeps) {}

  /**
   * The ops of a local mutation, with the executor's signatures on its user-owned actions (signer.ts). An
   * artifact that does not decode is sent unchanged, with a warning and a count, as upstream does.
   */
  private signedOps(appId: Uint8Array, outcome: Outcome, secret: Uint8Array): Ops {
    const r = this.signer.sign(appId, opsOf(outcome), secret);
    if (r.undecodable) {
      this.d.onUndecodable();
      this.d.logger.warn({ application: encodeId(appId), code: r.undecodable.code, err: r.undecodable.message }, 'cannot decode the artifact of a local mutation; sending it unsigned');
    }
    return r.ops;
  }

  async genesis(batch: Batch, ctx: Uint8Array, secret: Uint8Array, creator: Uint8Array, appId: Uint8Array, outcome: Outcome | null): Promise<Uint8Array[]> {
    const meta = await this.d.apps.get(appId);
    if (!meta) throw new ContextError('application_not_found', 'application not found');
    const app = appInfo(appId, meta);
    const ops = outcome ? opsOf(outcome) : { kind: 'writes' as const, writes: [] };
    await this.d.clock.ready();
    const d = makeDelta({ contextId: ctx, parents: [], hlc: this.d.clock.now(), author: ctx, payload: { type: 'genesis', creator, app, ops }, events: null }, secret);
    this.d.dag.stage(batch, ctx, d.id, encodeDelta(d));
    this.d.memberships.stageGenesis(batch, ctx, d, creator, app);
    if (outcome) this.d.merge.stampLocal(batch, ctx, d, outcome.writes.values());
    this.d.subscribe(ctx);
    return [d.id];
  }

  async local(batch: Batch, ctx: Uint8Array, meta: ContextMeta, executor: Uint8Array, secret: Uint8Array, outcome: Outcome) {
    if (outcome.writes.size === 0 && outcome.artifact.length === 0) return null;
    // At most MAX_IDS parents (the wire's limit): a context with more heads (many concurrent entries) merges them
    // over several entries, the rest staying heads until then.
    const parents = meta.dagHeads.slice(0, MAX_IDS);
    if (parents.length === 0) return null; // a context from before the sync layer: local only
    await this.d.clock.ready();
    const events: ExecutionEvent[] = outcome.events.map((e) => ({ kind: e.kind, data: [...e.data], handler: e.handler }));
    const d = makeDelta(
      {
        contextId: ctx,
        parents,
        hlc: this.d.clock.now(),
        author: executor,
        payload: { type: 'state', ops: this.signedOps(meta.applicationId, outcome, secret) },
        events: events.length > 0 ? Buffer.from(JSON.stringify(events)) : null,
      },
      secret,
    );
    const raw = encodeDelta(d);
    // Peers fetch entries in stream frames of at most 8 MiB: a bigger one could never reach them.
    if (raw.length > MAX_ENTRY_BYTES) {
      throw new ExecuteError('FunctionCallError', `the call's changes make a ${raw.length}-byte sync entry; members exchange entries of at most ${MAX_ENTRY_BYTES} bytes (write less per call)`);
    }
    this.d.dag.stage(batch, ctx, d.id, raw);
    const set = await this.d.memberships.unionOfParents(batch, ctx, parents);
    if (set) this.d.memberships.stageSetOf(batch, ctx, d.id, set);
    this.d.merge.stampLocal(batch, ctx, d, outcome.writes.values());
    return { heads: [...meta.dagHeads.slice(MAX_IDS), d.id].sort(Buffer.compare), committed: () => this.d.publish(ctx, d.id, raw) };
  }

  async changeMember(ctx: Uint8Array, executor: Uint8Array, op: 'add' | 'remove', member: Uint8Array): Promise<void> {
    const m = await this.d.memberships.current(ctx);
    if (!m) throw new ContextError('context_not_found', 'the context has no signed membership (created before the sync layer)');
    if (can(m, member) === (op === 'add')) return;
    await this.entry(ctx, executor, { type: 'member', op, member, capability: 0 });
  }

  /** Signs a membership entry as `author` (an owned identity), applies it locally and broadcasts it. */
  async entry(ctx: Uint8Array, author: Uint8Array, payload: Payload): Promise<Delta> {
    const ident = await this.d.contexts.identity(ctx, author);
    if (!ident?.privateKey) throw new ContextError('identity_not_owned', `identity ${encodeId(author)} is not owned by this node in this context`);
    const secret = decodeId(ident.privateKey);
    await this.d.clock.ready();
    return this.d.execution.withLock(ctx, async () => {
      const meta = await this.d.contexts.meta(ctx);
      if (!meta) throw new ContextError('context_not_found', 'Context not found');
      const d = makeDelta({ contextId: ctx, parents: meta.dagHeads.slice(0, MAX_IDS), hlc: this.d.clock.now(), author, payload, events: null }, secret);
      const raw = encodeDelta(d);
      const r = await this.d.applier.applyLocked(ctx, d, raw, null);
      if (!r.ok) throw new ContextError('entry_refused', refusalText(r));
      this.d.publish(ctx, d.id, raw);
      return d;
    });
  }
}
