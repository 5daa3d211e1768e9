import type { Logger } from 'pino';
import { Batch, type Store } from '../store/store.ts';
import { decodeId, encodeId, idKey, isZero, sameId } from '../util/ids.ts';
import { KeyedMutex } from '../util/mutex.ts';
import { ExecuteError } from './execute-error.ts';
import type { Runtime, Outcome } from '../runtime/index.ts';
import type { Applications } from './applications.ts';
import type { BlobStore } from './blobs.ts';
import {
  addDigest,
  contextKey,
  Contexts,
  entryDigest,
  hostRoot,
  newKeypair,
  seededSecret,
  ContextError,
  type ContextMeta,
} from './contexts.ts';
import type { EventHub, ExecutionEvent } from './events.ts';
import type { Metrics } from './metrics.ts';
import { applyContextMutations, type ContextMutationDeps } from './context-mutations.ts';
import { isReadOnly, StateVersions, Writers } from './optimistic.ts';
import { readAhead } from './read-ahead.ts';

export type ExecMode = 'mutate' | 'query';

export interface ExecuteRequest {
  contextId: Uint8Array;
  method: string;
  input: Uint8Array;
  executor: Uint8Array;
  mode: ExecMode;
}

export interface ExecuteResult {
  /** The method's return value parsed as JSON (null when it returned nothing). */
  output: unknown;
  outcome: Outcome;
  rootHash: Uint8Array;
}

/**
 * A call that has run (and, for a mutation, whose batch is written): `settle` waits until what it read or wrote
 * is durable, then (for a mutation) broadcasts its entry, publishes its event and runs what follows a commit.
 * Its `result` is answered only after that.
 */
interface Ran {
  result: ExecuteResult;
  settle(): Promise<void>;
}

async function answer(ran: Ran): Promise<ExecuteResult> {
  await ran.settle();
  return ran.result;
}

const MAX_XCALL_DEPTH = 8;
/** Optimistic runs of one `execute` that commits may overlap before it takes the context's lock. */
const OPTIMISTIC_TRIES = 3;

/**
 * The sync layer's part of a commit (src/node/sync): it adds the DAG entry of a new context or of a local
 * mutation to the same batch as the state, and returns the new DAG heads and what to do once committed.
 */
export interface DeltaHooks {
  genesis(
    batch: Batch,
    contextId: Uint8Array,
    contextSecret: Uint8Array,
    creator: Uint8Array,
    applicationId: Uint8Array,
    outcome: Outcome | null,
  ): Promise<Uint8Array[]>;
  local(
    batch: Batch,
    contextId: Uint8Array,
    meta: ContextMeta,
    executor: Uint8Array,
    executorSecret: Uint8Array,
    outcome: Outcome,
  ): Promise<{ heads: Uint8Array[]; committed(): void } | null>;
  /**
   * A membership change an application asked for (context_add_member / context_remove_member): a membership
   * entry signed by the executor, refused unless it may manage members. Nothing when it would change nothing.
   */
  changeMember(contextId: Uint8Array, executor: Uint8Array, op: 'add' | 'remove', member: Uint8Array): Promise<void>;
}

/** Blobs shared through contexts (src/node/sync/app-blobs.ts): fetched on demand, announced after a commit. */
export interface BlobSharing {
  ensure(ctx: Uint8Array, blobId: Uint8Array, waitMs: number): Promise<boolean>;
  announce(ctx: Uint8Array, blobId: Uint8Array): Promise<boolean>;
}

interface Deps {
  store: Store;
  apps: Applications;
  blobs: BlobStore;
  contexts: Contexts;
  runtime: Runtime;
  events: EventHub;
  metrics: Metrics;
  logger: Logger;
  timeoutMs: number;
}

/**
 * Runs application methods against contexts. Mutations of one context are serialised by a per-context lock
 * and their writes are committed in one batch with the context meta; queries run concurrently on the
 * committed state and persist nothing.
 */
export class Execution {
  private readonly locks = new KeyedMutex();
  private readonly deletedListeners: Array<(contextId: Uint8Array) => void> = [];
  /** Set by the node: produces and broadcasts deltas (src/node/sync). */
  hooks: DeltaHooks | null = null;
  /** Set by the node: where a blob the guest reads but this node lacks comes from, and where announcements go. */
  blobSharing: BlobSharing | null = null;
  /**
   * Set by the node: makes the proposals and approvals a committed mutation asked for (src/node/proposals),
   * after the context lock is released (they are entries of the same context).
   */
  governance: ((contextId: Uint8Array, executor: Uint8Array, outcome: Outcome) => Promise<void>) | null = null;

  /**
   * Per-context seqlock over the committed state: moved by every commit that writes a context's meta,
   * identities, state or private state (local mutations, remote entries, snapshots, deletion), whoever commits
   * it. Optimistic runs check it; calls carry it so runtime workers can reuse reads.
   */
  private readonly versions = new StateVersions();
  private readonly writers = new Writers();

  constructor(private readonly d: Deps) {
    this.versions.watch(d.store);
  }

  /** Runs `fn` under the context's mutation lock (remote deltas are applied under the same lock). */
  withLock<T>(contextId: Uint8Array, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(idKey(contextId), fn);
  }

  /** Deletes a context under its lock, so a mutation in flight cannot write it back after it is gone. */
  async deleteContext(contextId: Uint8Array): Promise<boolean> {
    const deleted = await this.withLock(contextId, () => this.d.contexts.delete(contextId));
    if (deleted) for (const f of this.deletedListeners) f(contextId);
    return deleted;
  }

  /** `f` hears of every context deleted through {@link deleteContext} (the sync layer drops what it holds for it). */
  onDeleted(f: (contextId: Uint8Array) => void): void {
    this.deletedListeners.push(f);
  }

  /** Calls a method of an application on a context's committed state without committing anything. */
  callApp(appId: Uint8Array, contextId: Uint8Array, executor: Uint8Array, method: string, input: Uint8Array): Promise<Outcome | null> {
    return this.run(appId, contextId, executor, method, input, false);
  }

  /**
   * Stages state writes in `batch`, keeping the host digest (sum) and size up to date. Each key must appear
   * at most once in `writes`.
   */
  async stageWrites(
    batch: Batch,
    contextId: Uint8Array,
    sum: string,
    size: number,
    writes: Iterable<{ key: Uint8Array; value: Uint8Array | null }>,
  ): Promise<{ sum: string; size: number }> {
    const list = [...writes];
    const keys = list.map((w) => contextKey(contextId, w.key));
    const olds = await this.d.store.getMany('state', keys);
    for (const [i, w] of list.entries()) {
      const k = keys[i]!;
      const old = olds[i];
      if (old) {
        sum = addDigest(sum, entryDigest(w.key, old), -1);
        size -= w.key.length + old.length;
      }
      if (w.value) {
        sum = addDigest(sum, entryDigest(w.key, w.value), 1);
        size += w.key.length + w.value.length;
        batch.put('state', k, w.value);
      } else batch.delete('state', k);
    }
    return { sum, size };
  }

  /** Creates a context: new context key (or seeded), a member identity, and runs the app's `init`. */
  async createContext(applicationId: Uint8Array, initParams: Uint8Array, seed?: Uint8Array): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    if (!(await this.d.apps.get(applicationId))) throw new ContextError('application_not_found', 'application not found');
    let contextId: Uint8Array | undefined;
    let contextSecret: Uint8Array | undefined;
    for (let attempt = 0; attempt < 5 && !contextId; attempt++) {
      const kp = newKeypair(seed ? seededSecret(seed) : undefined);
      const candidate = kp.publicKey;
      if (!(await this.d.contexts.exists(candidate))) {
        contextId = candidate;
        contextSecret = kp.secret;
      }
      else if (seed) throw new ContextError('context_exists', 'seed resulted in an already existing context');
    }
    if (!contextId) throw new ContextError('no_free_context_id', 'could not allocate a context id');
    const member = newKeypair();
    return this.locks.run(idKey(contextId), async () => {
      // Checked again under the lock: two creations with one seed both saw the id free above, and the second must
      // not write its genesis and member over the first's.
      if (await this.d.contexts.exists(contextId!)) throw new ContextError('context_exists', 'seed resulted in an already existing context');
      const outcome = await this.run(applicationId, contextId!, member.publicKey, 'init', initParams, true);
      let sum = '0';
      let size = 0;
      const state: Array<{ key: Uint8Array; value: Uint8Array }> = [];
      if (outcome) {
        if (outcome.error && outcome.error.type !== 'MethodNotFound') {
          throw new ContextError('init_failed', `failed to initialise the context: ${outcome.error.message}`);
        }
        if (outcome.returns && 'err' in outcome.returns) {
          throw new ContextError('init_failed', `failed to initialise the context: ${describeErr(outcome.returns.err)}`);
        }
        for (const w of outcome.writes.values()) {
          if (!w.value) continue;
          state.push({ key: w.key, value: w.value });
          sum = addDigest(sum, entryDigest(w.key, w.value), 1);
          size += w.key.length + w.value.length;
        }
      }
      const root = outcome?.rootHash ?? hostRoot(contextId!, BigInt('0x' + sum));
      const meta: ContextMeta = {
        applicationId,
        rootHash: root,
        dagHeads: [],
        sizeInBytes: size,
        stateSum: sum,
        createdAt: Date.now(),
      };
      const extra = new Batch();
      if (this.hooks) meta.dagHeads = await this.hooks.genesis(extra, contextId!, contextSecret!, member.publicKey, applicationId, outcome);
      await this.d.contexts.insert(contextId!, meta, member, state, extra);
      return { contextId: contextId!, memberPublicKey: member.publicKey };
    });
  }

  /** Runs a method; for 'mutate' under the context lock with an atomic commit of its writes. */
  async execute(req: ExecuteRequest, depth = 0): Promise<ExecuteResult> {
    const started = process.hrtime.bigint();
    const key = idKey(req.contextId);
    try {
      const result = req.mode === 'mutate' ? await this.mutate(key, req, depth) : await answer(await this.executeInner(req, depth));
      // After the commit and outside the context's lock: membership entries, deletion, proposals and approvals
      // are entries of the context (or remove it) and take the lock themselves.
      const { outcome } = result;
      if (req.mode === 'mutate' && outcome.contextMutations.length > 0) {
        await applyContextMutations(this.mutationDeps(), req.contextId, req.executor, outcome.contextMutations);
      }
      if (req.mode === 'mutate' && this.governance && (outcome.proposals.length > 0 || outcome.approvals.length > 0)) {
        await this.governance(req.contextId, req.executor, outcome);
      }
      this.d.metrics.executions.inc({ kind: req.mode, outcome: 'ok' });
      return result;
    } catch (err) {
      this.d.metrics.executions.inc({ kind: req.mode, outcome: err instanceof ExecuteError ? err.type : 'internal' });
      throw err;
    } finally {
      this.d.metrics.executionDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * A mutation, run optimistically first (src/node/optimistic.ts): without the lock against the committed
   * state. When no commit touched the context meanwhile, a call that changed nothing answers at once (so reads
   * of one context run in parallel), and a call that changed something commits under the lock if the state
   * is still the one it read. A run that a commit overlapped is tried again (after the commit in flight, if
   * any, has settled) up to OPTIMISTIC_TRIES times in all, so reads do not queue behind every writer of a busy
   * context; after that it runs under the lock, as every mutation did before. A method that wrote the last time
   * it ran goes to the lock at once: on a quiet context that costs the same, and on a busy one its optimistic
   * run would be overtaken by the writers ahead of it and run again (under load on one context, 1.9 runs per
   * write when writers were still tried once while the context looked quiet: every writer arriving during the
   * first one's unlocked run saw it so). Its run under the lock tells whether it still writes.
   */
  private async mutate(key: string, req: ExecuteRequest, depth: number): Promise<ExecuteResult> {
    for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
      if (this.writers.has(key, req.method)) break;
      await this.versions.settled(key);
      const start = this.versions.stable(key);
      if (start === null) continue; // another commit began meanwhile
      let first: Ran;
      try {
        first = await this.executeInner({ ...req, mode: 'query' }, depth);
      } catch (err) {
        if (err instanceof ExecuteError && this.versions.stable(key) === start) throw err;
        continue;
      }
      if (this.versions.stable(key) !== start) continue;
      const readOnly = isReadOnly(first.result.outcome);
      this.writers.note(key, req.method, !readOnly);
      if (readOnly) return answer(first);
      return this.locked(key, req, depth, () => (this.versions.stable(key) === start ? first.result.outcome : undefined));
    }
    return this.locked(key, req, depth, () => undefined);
  }

  /**
   * A mutation under the context's lock, which is held until its batch is written and not while the WAL sync
   * covering it runs: the context's next mutation already runs on the written state meanwhile (pipelining). The
   * call is answered, its event published and its entry broadcast once that sync has completed, in commit order.
   * `ran`: asked under the lock, the outcome of an optimistic run that is still valid.
   */
  private async locked(key: string, req: ExecuteRequest, depth: number, ran: () => Outcome | undefined): Promise<ExecuteResult> {
    const done = await this.locks.run(key, () => this.executeInner(req, depth, ran()));
    this.writers.note(key, req.method, !isReadOnly(done.result.outcome));
    return answer(done);
  }

  /**
   * Runs the call (or takes `ran`, the outcome of an optimistic run of this request on the state that is still
   * committed) and, for a mutation, writes its commit; `settle` finishes it (see {@link Ran}).
   */
  private async executeInner(req: ExecuteRequest, depth: number, ran?: Outcome): Promise<Ran> {
    const { contextId } = req;
    const meta = await this.d.contexts.meta(contextId);
    if (!meta) throw new ExecuteError('ContextNotFound');
    if (isZero(meta.rootHash)) throw new ExecuteError('Uninitialized');
    const identity = await this.d.contexts.identity(contextId, req.executor);
    if (!identity?.privateKey) {
      throw new ExecuteError('Unauthorized', { context_id: encodeId(contextId), public_key: encodeId(req.executor) });
    }
    const appId = meta.applicationId;
    const outcome = ran ?? (await this.run(appId, contextId, req.executor, req.method, req.input, false));
    if (!outcome) throw new ExecuteError('ApplicationNotInstalled', { application_id: encodeId(meta.applicationId) });
    if (!ran) for (const line of outcome.logs) this.d.logger.debug({ context: encodeId(contextId), method: req.method }, `guest: ${line}`);
    if (outcome.error) throw new ExecuteError('FunctionCallError', outcome.error.message);
    if (outcome.returns && 'err' in outcome.returns) throw new ExecuteError('FunctionCallError', describeErr(outcome.returns.err));

    let output: unknown = null;
    const ok = outcome.returns && 'ok' in outcome.returns ? outcome.returns.ok : null;
    if (ok && ok.length > 0) {
      try {
        output = JSON.parse(Buffer.from(ok).toString('utf8'));
      } catch (err) {
        throw new ExecuteError('SerdeError', { message: `the method returned invalid JSON: ${(err as Error).message}` });
      }
    }
    // What the call read may be written but not yet durable: its answer waits for the sync that covers it.
    if (req.mode !== 'mutate') return { result: { output, outcome, rootHash: meta.rootHash }, settle: () => this.d.store.synced() };

    const written = await this.commit(contextId, meta, outcome, req.executor, decodeId(identity.privateKey));
    const rootHash = written?.root ?? meta.rootHash;
    const settle = async () => {
      await (written?.durable ?? this.d.store.synced());
      written?.delta?.committed();
      const events: ExecutionEvent[] = outcome.events.map((e) => ({ kind: e.kind, data: [...e.data], handler: e.handler }));
      if (events.length > 0 || !sameId(rootHash, meta.rootHash)) {
        this.d.events.publish({ contextId: encodeId(contextId), type: 'StateMutation', data: { newRoot: encodeId(rootHash), events } });
      }
      await this.announceBlobs(contextId, outcome);
      await this.runXcalls(outcome, depth);
    };
    return { result: { output, outcome, rootHash }, settle };
  }

  /**
   * Writes a mutation's writes and the new meta in one batch (the sync covering it still to come: `durable`);
   * null when the mutation changed nothing that is stored.
   */
  private async commit(
    contextId: Uint8Array,
    meta: ContextMeta,
    outcome: Outcome,
    executor: Uint8Array,
    executorSecret: Uint8Array,
  ): Promise<{ root: Uint8Array; durable: Promise<void>; delta: { committed(): void } | null } | null> {
    if (outcome.writes.size === 0 && outcome.privateWrites.size === 0 && !outcome.rootHash && outcome.blobs.length === 0) return null;
    for (const blob of outcome.blobs) await this.d.blobs.put(blob.data);
    const batch = new Batch();
    const staged = await this.stageWrites(batch, contextId, meta.stateSum, meta.sizeInBytes, outcome.writes.values());
    const { sum, size } = staged;
    for (const w of outcome.privateWrites.values()) {
      const k = contextKey(contextId, w.key);
      if (w.value) batch.put('private_state', k, w.value);
      else batch.delete('private_state', k);
    }
    const root = outcome.rootHash ?? (outcome.writes.size > 0 ? hostRoot(contextId, BigInt('0x' + sum)) : meta.rootHash);
    const next: ContextMeta = { ...meta, rootHash: root, stateSum: sum, sizeInBytes: size };
    const delta = this.hooks ? await this.hooks.local(batch, contextId, meta, executor, executorSecret, outcome) : null;
    if (delta) next.dagHeads = delta.heads;
    this.d.contexts.stageMeta(batch, contextId, next); // last: the meta is the commit marker
    const { durable } = await this.d.store.commitDeferred(batch);
    return { root, durable, delta };
  }

  private mutationDeps(): ContextMutationDeps {
    const hooks = this.hooks;
    return {
      contexts: this.d.contexts,
      createContext: (appId, initArgs) => this.createContext(appId, initArgs),
      deleteContext: (ctx) => this.deleteContext(ctx),
      changeMember: hooks ? (ctx, executor, op, member) => hooks.changeMember(ctx, executor, op, member) : null,
      logger: this.d.logger,
    };
  }

  /**
   * Blobs the guest announced (`blob_announce_to_context`), once the mutation committed: shared with the members of
   * the context the call ran in. An announcement to another context is ignored, so an application cannot hand a
   * blob of this node to the members of a context it does not run in.
   */
  private async announceBlobs(contextId: Uint8Array, outcome: Outcome): Promise<void> {
    for (const a of outcome.blobAnnouncements) {
      const log = { context: encodeId(contextId), blob: encodeId(a.blobId) };
      if (!sameId(a.contextId, contextId)) {
        this.d.logger.warn({ ...log, target: encodeId(a.contextId) }, 'ignoring a blob announcement to another context');
        continue;
      }
      try {
        await this.blobSharing?.announce(contextId, a.blobId);
      } catch (err) {
        this.d.logger.warn({ ...log, err: (err as Error).message }, 'announcing a blob failed');
      }
    }
  }

  /**
   * A blob the guest reads: the local copy, else one fetched from a member of the context within the call's time
   * (a second less than the call timeout, so the call still ends with the blob missing rather than timing out).
   */
  private async readBlob(contextId: Uint8Array, blobId: Uint8Array): Promise<Uint8Array | null> {
    const local = await this.d.blobs.read(blobId);
    if (local || !this.blobSharing) return local;
    const waitMs = Math.max(this.d.timeoutMs - 1_000, Math.min(this.d.timeoutMs, 500));
    return (await this.blobSharing.ensure(contextId, blobId, waitMs)) ? this.d.blobs.read(blobId) : null;
  }

  /** Cross-context calls requested by the guest run after the commit, as the first owned member of the target. */
  private async runXcalls(outcome: Outcome, depth: number): Promise<void> {
    for (const x of outcome.xcalls) {
      if (depth + 1 > MAX_XCALL_DEPTH) {
        this.d.logger.warn('xcall depth limit reached; dropping further cross-context calls');
        return;
      }
      try {
        const [executor] = await this.d.contexts.identities(x.contextId, true);
        if (!executor) throw new Error('no owned identity in the target context');
        await this.execute({ contextId: x.contextId, method: x.function, input: x.params, executor, mode: 'mutate' }, depth + 1);
      } catch (err) {
        this.d.logger.warn({ err, target: encodeId(x.contextId), fn: x.function }, 'cross-context call failed');
      }
    }
  }

  /** Calls into the runtime; null when the application is not installed. */
  private async run(appId: Uint8Array, contextId: Uint8Array, executor: Uint8Array, method: string, input: Uint8Array, init: boolean): Promise<Outcome | null> {
    if (!(await this.d.apps.has(appId))) return null;
    const { store } = this.d;
    const ctxKey = idKey(contextId);
    return this.d.runtime.call({
      moduleId: encodeId(appId),
      wasm: async () => {
        const bytes = await this.d.apps.bytecode(appId);
        if (!bytes) throw new Error('application bytecode is missing from the blob store');
        return bytes;
      },
      method,
      input,
      contextId,
      executorId: executor,
      timeoutMs: this.d.timeoutMs,
      stateVersion: init ? undefined : this.versions.version(ctxKey),
      stateChanges: init ? undefined : this.versions.changes(ctxKey),
      host: {
        storageRead: async (key) => (init ? null : store.get('state', contextKey(contextId, key))),
        privateStorageRead: async (key) => store.get('private_state', contextKey(contextId, key)),
        ...(init ? {} : { storageReadAhead: async (key: Uint8Array, limit: number) => readAhead(store, this.versions, contextId, key, limit) }),
        blobRead: async (blobId) => this.readBlob(contextId, blobId),
        contextMembers: async () => this.d.contexts.identities(contextId),
        // Identity aliases scoped to the calling context (where context_create puts a child's alias), as upstream.
        resolveAlias: async (alias) => (await this.d.contexts.lookupAlias('identity', contextId, alias)) ?? publicKeyNamed(alias),
        aliasTaken: async (alias) => (await this.d.contexts.lookupAlias('identity', contextId, alias)) !== null,
      },
    });
  }
}

/** Upstream's resolve_alias falls back to reading the name as a public key (base58 of 32 bytes). */
function publicKeyNamed(name: string): Uint8Array | null {
  try {
    return decodeId(name);
  } catch {
    return null;
  }
}

/** Upstream formats an app-level error as the Rust Debug of its bytes. */
function describeErr(bytes: Uint8Array): string {
  return `the method call returned an error: [${[...bytes].join(', ')}]`;
}
