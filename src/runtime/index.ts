/**
 * WASM runtime with upstream Calimero's host ABI (0.10.0).
 *
 * Guest code runs in a pool of worker threads, so a runaway call never blocks the main thread: each call has
 * a wall-clock deadline, after which its worker is terminated and replaced while other calls keep running.
 * Modules are compiled once per (moduleId, memory limit), with their memory section bounded to
 * `maxMemoryPages`, and cached (bounded LRU); each call gets a fresh instance. Storage is never preloaded:
 * the guest's reads reach `host.storageRead` on the main thread through a blocking request channel, and see
 * the call's own earlier writes first. The runtime never writes to a store: it reports the write-set and the
 * node commits it (mutation) or drops it (query).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { errors, RuntimeError, type RuntimeErrorData } from './errors.ts';
import { resolveLimits, type VMLimits } from './limits.ts';
import { compileModule, type ExportSig, type ResetPlan } from './module.ts';
import { failed, received, type Outcome } from './outcome.ts';
import type { CallMessage, HostRequest, HostReply, WorkerMessage } from './protocol.ts';
import { invoke, offeredOps, type HostOp, type RuntimeHost } from './services.ts';
import type { StateChange } from './read-cache.ts';

export { RuntimeError, type RuntimeErrorType, type RuntimeErrorData, type PanicInfo } from './errors.ts';
export { DEFAULT_LIMITS, resolveLimits, type VMLimits } from './limits.ts';
export { UNSUPPORTED_IMPORTS } from './logic.ts';
export { blobIdOf } from './host/blobs.ts';
export { MAX_AHEAD, MAX_AHEAD_BYTES, packEntries, type ReadAhead, type StateChange } from './read-cache.ts';
export type { ContextMutation, Outcome, Write } from './outcome.ts';
export type { RuntimeHost } from './services.ts';

export interface CallRequest {
  /** Cache key of the compiled module, e.g. the application id. */
  moduleId: string;
  /** The module bytes; only called on a cache miss. */
  wasm: () => Promise<Uint8Array>;
  method: string;
  input: Uint8Array;
  contextId: Uint8Array;
  executorId: Uint8Array;
  host: RuntimeHost;
  /** See CallMessage.stateVersion: set only when `host.storageRead` answers from that committed state. */
  stateVersion?: number;
  /** With `stateVersion`: the context's recent commits, oldest first (the node's change log). */
  stateChanges?: readonly StateChange[];
  limits?: Partial<VMLimits>;
  timeoutMs?: number;
}

export interface RuntimeOptions {
  /** Execution workers (default 2). */
  workers?: number;
  /** Defaults for every call; a call's own `limits` override them. */
  limits?: Partial<VMLimits>;
  /** Default wall-clock budget of a call (default 10 s). */
  timeoutMs?: number;
  /** Compiled modules kept (default 64). */
  moduleCacheSize?: number;
  /** V8 heap of a worker in MiB (guest linear memory is bounded separately by maxMemoryPages). */
  workerHeapMb?: number;
}

export interface RuntimeStats {
  calls: number;
  cacheHits: number;
  cacheMisses: number;
  compiled: number;
  workerRestarts: number;
  timeouts: number;
  /** Calls that ran in a reused (reset) instance rather than a fresh one (reuse.ts). */
  reusedInstances: number;
}

interface CachedModule {
  key: string;
  module: WebAssembly.Module;
  sigs: Record<string, ExportSig>;
  reset: ResetPlan | null;
}

interface Pending {
  callId: number;
  host: RuntimeHost;
  resolve: (o: Outcome) => void;
  timer: NodeJS.Timeout | null;
  started: number;
  cached: boolean;
  message: CallMessage;
  cachedModule: CachedModule;
  timeoutMs: number;
  stateChanges?: readonly StateChange[];
}

interface Slot {
  worker: Worker;
  flag: Int32Array;
  replies: MessagePort;
  ready: boolean;
  known: Set<string>;
  /** Per context (contextId as latin1): the state version of the last call of it this worker ran. */
  versions: Map<string, number>;
  current: Pending | null;
  dead: boolean;
  exitReason: string | null;
}

const MIB = 1024 * 1024;
/** How long a module whose call was killed stays barred from the last idle worker. */
const PENALTY_MS = 30_000;
/** Contexts per worker whose last state version the runtime remembers (for the change log it sends). */
const SEEN_VERSIONS = 4096;

export class Runtime {
  private readonly size: number;
  private readonly limits: VMLimits;
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly heapMb: number;
  private readonly cache = new Map<string, Promise<CachedModule>>();
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  /** moduleKey → until when (performance.now()) it may not take the last idle worker; see pump(). */
  private readonly penalty = new Map<string, number>();
  private nextCallId = 1;
  private closed = false;
  private spawnFailures = 0;
  private readonly counters: RuntimeStats = { calls: 0, cacheHits: 0, cacheMisses: 0, compiled: 0, workerRestarts: 0, timeouts: 0, reusedInstances: 0 };

  constructor(opts: RuntimeOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? 2));
    this.limits = resolveLimits(opts.limits);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.cacheSize = Math.max(1, opts.moduleCacheSize ?? 64);
    this.heapMb = opts.workerHeapMb ?? 256;
  }

  /** Effective default limits. */
  get defaultLimits(): Readonly<VMLimits> {
    return this.limits;
  }

  stats(): RuntimeStats {
    return { ...this.counters };
  }

  /** Compiles (or finds) a module without running it; rejects with RuntimeError for invalid modules. */
  async prepare(moduleId: string, wasm: () => Promise<Uint8Array>, limits?: Partial<VMLimits>): Promise<void> {
    await this.module(moduleId, wasm, resolveLimits(this.limits, limits)).then((r) => r.entry);
  }

  /** Drops a module from the cache (e.g. when an application is uninstalled or replaced). */
  evict(moduleId: string): void {
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${moduleId}#`)) this.forget(key);
  }

  async call(req: CallRequest): Promise<Outcome> {
    if (this.closed) throw new Error('runtime is closed');
    this.counters.calls++;
    const started = performance.now();
    const limits = req.limits ? resolveLimits(this.limits, req.limits) : this.limits;
    let entry: CachedModule;
    let cached: boolean;
    try {
      ({ entry, cached } = await this.module(req.moduleId, req.wasm, limits));
    } catch (err) {
      if (err instanceof RuntimeError) return failed(err.toData(), started);
      throw err;
    }
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const callId = this.nextCallId++;
    const message: CallMessage = {
      type: 'call',
      callId,
      moduleKey: entry.key,
      method: req.method,
      input: req.input,
      contextId: req.contextId,
      executorId: req.executorId,
      limits,
      stateVersion: req.stateVersion,
      offered: offeredOps(req.host),
    };
    return new Promise<Outcome>((resolve) => {
      const pending: Pending = { callId, host: req.host, resolve, timer: null, started, cached, message, cachedModule: entry, timeoutMs, stateChanges: req.stateChanges };
      this.queue.push(pending);
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(failed(errors.internal('runtime closed'), p.started, p.cached));
    await Promise.all(
      this.slots.splice(0).map((s) => {
        s.dead = true;
        if (s.current) this.settle(s, failed(errors.internal('runtime closed'), s.current.started, s.current.cached));
        s.replies.close();
        return s.worker.terminate();
      }),
    );
    this.cache.clear();
  }

  // ---- module cache ------------------------------------------------------------------------------------

  private async module(moduleId: string, wasm: () => Promise<Uint8Array>, limits: VMLimits): Promise<{ entry: CachedModule; cached: boolean }> {
    const key = `${moduleId}#${limits.maxMemoryPages}#${limits.maxModuleSize}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // LRU: move to the back
      this.cache.set(key, hit);
      this.counters.cacheHits++;
      try {
        return { entry: await hit, cached: true };
      } catch (err) {
        if (this.cache.get(key) === hit) this.cache.delete(key);
        throw err;
      }
    }
    this.counters.cacheMisses++;
    const promise = (async () => {
      const bytes = await wasm();
      const { module, exports, reset } = await compileModule(bytes, limits.maxMemoryPages, limits.maxModuleSize);
      this.counters.compiled++;
      return { key, module, sigs: exports, reset };
    })();
    this.cache.set(key, promise);
    while (this.cache.size > this.cacheSize) this.forget(this.cache.keys().next().value!);
    try {
      return { entry: await promise, cached: false };
    } catch (err) {
      if (this.cache.get(key) === promise) this.cache.delete(key); // failures are not cached
      throw err;
    }
  }

  private forget(key: string): void {
    this.cache.delete(key);
    for (const s of this.slots) {
      if (s.known.delete(key) && !s.dead) s.worker.postMessage({ type: 'forget', moduleKey: key });
    }
  }

  // ---- worker pool -------------------------------------------------------------------------------------

  /**
   * Hands queued calls to idle workers, oldest first, with two exceptions that isolate applications from each
   * other (issue #7, test/isolation.test.ts) when there are N ≥ 2 workers:
   * - one module (application) runs at most N − 1 calls at once; its further calls wait while calls of other
   *   modules go ahead, so a flood of calls to one app never holds every worker;
   * - a module whose call recently had to be killed (deadline, crash, out of memory) never takes the last
   *   ready idle worker, so while the killed worker is being replaced the others still find one.
   * A flood of runaway calls (loops that run to their deadline, memory bombs) thus cannot make honest calls of
   * other apps queue behind those deadlines.
   */
  private pump(): void {
    if (this.closed || this.queue.length === 0) return;
    const idle: Slot[] = [];
    const busy = new Map<string, number>();
    let live = 0;
    let starting = 0;
    for (const s of this.slots) {
      if (s.dead) continue;
      live++;
      if (!s.ready) starting++;
      else if (!s.current) idle.push(s);
      else busy.set(s.current.cachedModule.key, (busy.get(s.current.cachedModule.key) ?? 0) + 1);
    }
    const perModule = this.size >= 2 ? this.size - 1 : this.size;
    const now = performance.now();
    for (let i = 0; i < this.queue.length && idle.length > 0; ) {
      const key = this.queue[i]!.cachedModule.key;
      const penalized = this.size >= 2 && (this.penalty.get(key) ?? 0) > now && idle.length === 1;
      if ((busy.get(key) ?? 0) >= perModule || penalized) {
        i++; // this module waits; look further down the queue
        continue;
      }
      const [p] = this.queue.splice(i, 1);
      busy.set(key, (busy.get(key) ?? 0) + 1);
      this.dispatch(idle.shift()!, p!);
    }
    if (this.queue.length > starting && live < this.size) this.spawn();
  }

  /** Marks a module whose call had to be killed: for a while it may not take the last idle worker. */
  private penalize(p: Pending | null): void {
    if (!p) return;
    this.penalty.set(p.cachedModule.key, performance.now() + PENALTY_MS);
    if (this.penalty.size > 256) for (const [k, until] of this.penalty) if (until <= performance.now()) this.penalty.delete(k);
  }

  private dispatch(slot: Slot, p: Pending): void {
    slot.current = p;
    const msg: CallMessage = { ...p.message };
    const version = msg.stateVersion;
    if (version !== undefined) {
      // The worker carries its reads of the context over the commits since the version it last ran it at.
      const ctx = Buffer.from(msg.contextId.buffer, msg.contextId.byteOffset, msg.contextId.byteLength).toString('latin1');
      const seen = slot.versions.get(ctx);
      if (seen !== undefined && seen < version && p.stateChanges) {
        const changes = p.stateChanges.filter((c) => c.from >= seen && c.to <= version);
        if (changes.length > 0) msg.changes = changes;
      }
      slot.versions.delete(ctx);
      slot.versions.set(ctx, version);
      if (slot.versions.size > SEEN_VERSIONS) slot.versions.delete(slot.versions.keys().next().value!);
    }
    if (!slot.known.has(p.cachedModule.key)) {
      msg.module = p.cachedModule.module;
      msg.sigs = p.cachedModule.sigs;
      msg.reset = p.cachedModule.reset;
      slot.known.add(p.cachedModule.key);
    }
    slot.worker.ref();
    p.timer = setTimeout(() => this.timeout(slot, p), p.timeoutMs);
    slot.worker.postMessage(msg);
  }

  private settle(slot: Slot, outcome: Outcome): void {
    const p = slot.current;
    if (!p) return;
    slot.current = null;
    if (p.timer) clearTimeout(p.timer);
    if (!slot.dead) slot.worker.unref();
    p.resolve(outcome);
  }

  private timeout(slot: Slot, p: Pending): void {
    if (slot.current !== p) return;
    this.counters.timeouts++;
    this.kill(slot, errors.timeout(p.timeoutMs));
  }

  /** Ends the slot's current call with `error`, terminates the worker and starts a replacement. */
  private kill(slot: Slot, error: RuntimeErrorData): void {
    if (slot.dead) return;
    slot.dead = true;
    const p = slot.current;
    this.penalize(p);
    if (p) this.settle(slot, failed(error, p.started, p.cached));
    this.remove(slot);
    void slot.worker.terminate();
    slot.replies.close();
    this.counters.workerRestarts++;
    this.pump();
    if (!this.closed && this.slots.length < this.size) this.spawn();
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private spawn(): void {
    if (this.closed) return;
    const flagBuffer = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry, flag: flagBuffer, replies: port2 },
      transferList: [port2],
      resourceLimits: {
        maxOldGenerationSizeMb: this.heapMb,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: Math.max(2, Math.ceil(this.limits.maxStackSize / MIB)),
      },
    });
    const slot: Slot = { worker, flag: new Int32Array(flagBuffer), replies: port1, ready: false, known: new Set(), versions: new Map(), current: null, dead: false, exitReason: null };
    this.slots.push(slot);
    worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on('error', (err: Error & { code?: string }) => {
      slot.exitReason = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : err.message;
    });
    worker.on('exit', () => this.onExit(slot));
  }

  private onExit(slot: Slot): void {
    if (slot.dead) return; // terminated by us
    slot.dead = true;
    this.remove(slot);
    slot.replies.close();
    if (!slot.ready) this.spawnFailures++;
    const p = slot.current;
    this.penalize(p);
    if (p) {
      const error = slot.exitReason === 'oom' ? errors.workerOutOfMemory() : errors.internal(`execution worker exited: ${slot.exitReason ?? 'unknown reason'}`);
      this.settle(slot, failed(error, p.started, p.cached));
    }
    if (this.closed) return;
    this.counters.workerRestarts++;
    if (this.spawnFailures >= 3) {
      // The worker cannot start at all: fail what is waiting instead of spawning forever.
      for (const q of this.queue.splice(0)) q.resolve(failed(errors.internal(`execution worker failed to start: ${slot.exitReason}`), q.started, q.cached));
      this.spawnFailures = 0;
      return;
    }
    this.pump();
    if (this.slots.length < this.size && this.queue.length > 0) this.spawn();
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if (slot.dead) return;
    switch (msg.type) {
      case 'ready':
        slot.ready = true;
        this.spawnFailures = 0;
        if (!slot.current) slot.worker.unref();
        this.pump();
        return;
      case 'host':
        void this.serve(slot, msg);
        return;
      case 'done': {
        const p = slot.current;
        if (!p || p.callId !== msg.callId) return;
        if (msg.missingModule) {
          slot.known.delete(p.cachedModule.key);
          if (p.timer) clearTimeout(p.timer);
          slot.current = null;
          this.dispatch(slot, p);
          return;
        }
        if (msg.reused) this.counters.reusedInstances++;
        this.settle(slot, received(msg.outcome!, p.started, p.cached));
        this.pump();
        return;
      }
    }
  }

  /** Answers a worker's host request with the current call's host, then wakes the worker. */
  private async serve<K extends HostOp>(slot: Slot, msg: HostRequest<K>): Promise<void> {
    const p = slot.current;
    if (!p || p.callId !== msg.callId) return;
    let reply: HostReply<K>;
    try {
      reply = { value: await invoke(p.host, msg.op, msg.args) };
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    if (slot.dead || slot.current !== p) return;
    slot.replies.postMessage(reply);
    Atomics.store(slot.flag, 0, 1);
    Atomics.notify(slot.flag, 0);
  }
}

