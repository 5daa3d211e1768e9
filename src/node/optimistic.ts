/**
 * Optimistic execution (issue #15): a JSON-RPC `execute` first runs without the context's lock against the
 * committed state. Store reads are not snapshot-isolated, so the run is trusted only when no commit touched the
 * context while it ran: every commit brackets its write with {@link StateVersions.begin}/{@link StateVersions.end}
 * (a seqlock), and a run whose start version was stable and equals its end version read one consistent state.
 * A consistent run whose outcome {@link isReadOnly} answers at once; any other goes through the lock.
 */
import type { Batch } from '../store/store.ts';
import { idKey } from '../util/ids.ts';
import { isEmpty, noEffects, type Effects } from '../runtime/outcome.ts';
import type { StateChange } from '../runtime/read-cache.ts';

/** The parts of a call's effects that change nothing: what it returned and what it logged. */
const HARMLESS = new Set<keyof Effects>(['returns', 'logs']);

/**
 * Whether applying the outcome would change nothing: no writes, private writes, commit (root hash or
 * artifact), blobs, events, cross-context calls, context mutations, proposals, approvals or blob announcements.
 * Every other field of {@link Effects} counts, including any added later: it must be empty (or null) as in
 * {@link noEffects}.
 */
export function isReadOnly(outcome: Effects): boolean {
  for (const field of Object.keys(noEffects()) as Array<keyof Effects>) {
    if (HARMLESS.has(field)) continue;
    if (!isEmpty(outcome[field])) return false;
  }
  return true;
}

/** Columns whose rows are keyed by context id first and that a call reads: a commit to them moves the version. */
const CONTEXT_COLUMNS = new Set(['meta', 'identity', 'state', 'private_state']);

/**
 * The state a batch writes in one context, as far as a change log may keep it: its keys, and the value each
 * gets (null: removed) while they total at most LOG_VALUE_BYTES (else `values` is null). `overflow`: the batch
 * writes more keys than an entry may list (the rest are not collected).
 */
export interface StateWrites {
  keys: Uint8Array[];
  values: Array<Uint8Array | null> | null;
  overflow?: boolean;
}

/**
 * For every context whose meta, identities, state or private state a batch writes (by idKey), the state the
 * batch writes there.
 */
export function stateKeysByContext(batch: Batch): Map<string, StateWrites> {
  const out = new Map<string, StateWrites & { bytes: number }>();
  for (const op of batch.ops) {
    if (!CONTEXT_COLUMNS.has(op.col) || op.key.length < 32) continue;
    const ctx = idKey(op.key.subarray(0, 32));
    let w = out.get(ctx);
    if (!w) out.set(ctx, (w = { keys: [], values: [], bytes: 0 }));
    if (op.col !== 'state' || w.overflow) continue;
    if (w.keys.length === LOG_KEYS) {
      w.overflow = true; // a snapshot frame or a large commit: nothing more is copied
      continue;
    }
    // Copies: no views into pooled buffers (small Buffers share slabs).
    w.keys.push(new Uint8Array(op.key.subarray(32)));
    w.bytes += op.value?.length ?? 0;
    if (w.values && w.bytes > LOG_VALUE_BYTES) w.values = null;
    w.values?.push(op.value && new Uint8Array(op.value));
  }
  return out;
}

/**
 * Bounds of the change logs: commits per context, keys one commit may list (a larger commit restarts the log),
 * keys per context's log (the oldest entries leave first), and contexts with a log (the context that
 * committed least recently loses its log first): at most LOG_CONTEXTS × LOG_CONTEXT_KEYS keys in all.
 */
const LOG_ENTRIES = 16;
const LOG_KEYS = 256;
/** An entry keeps the values its commit wrote when they total at most this many bytes (else only the keys). */
const LOG_VALUE_BYTES = 4096;
const LOG_CONTEXT_KEYS = 512;
const LOG_CONTEXTS = 256;

/**
 * Per-context seqlock over committed state. The version moves when a commit touching the context begins and
 * again when it has settled (written and synced, or failed); it never repeats, so runtime workers may also key
 * their read caches by it.
 */
export class StateVersions {
  private seq = 0;
  private readonly ctx = new Map<
    string,
    {
      version: number;
      inflight: number;
      /** Recent commits, oldest first, each starting where the one before ended. */
      log: StateChange[];
      /** The commit under way: the stable version it started from and what it writes (null: two overlapped). */
      open: { from: number; writes: StateWrites } | null;
    }
  >();

  /**
   * Called just before a batch touching `key`'s context is written, with the state it writes there (when the
   * caller does not say, the change log of the context starts over).
   */
  begin(key: string, writes?: StateWrites): void {
    const c = this.ctx.get(key) ?? { version: 0, inflight: 0, log: [], open: null };
    c.open = c.inflight === 0 && writes && !writes.overflow && writes.keys.length <= LOG_KEYS ? { from: c.version, writes } : null;
    c.version = ++this.seq;
    c.inflight++;
    this.ctx.set(key, c);
  }

  /** Called once that write has settled; `written`: it was written and synced (else it failed). */
  end(key: string, written = true): void {
    const c = this.ctx.get(key);
    if (!c) return;
    c.version = ++this.seq;
    c.inflight--;
    if (c.inflight > 0) {
      c.open = null; // commits overlapped: no entry can say what changed between two stable versions
      return;
    }
    if (c.open) {
      const { keys, values } = c.open.writes;
      // The values are the committed ones only if the batch was written (a failed one may or may not have been).
      c.log.push(written && values ? { from: c.open.from, to: c.version, keys, values } : { from: c.open.from, to: c.version, keys });
      let logged = c.log.reduce((n, e) => n + e.keys.length, 0);
      while (c.log.length > LOG_ENTRIES || logged > LOG_CONTEXT_KEYS) logged -= c.log.shift()!.keys.length;
      this.logged.delete(key);
      this.logged.add(key);
      for (const other of this.logged) {
        if (this.logged.size <= LOG_CONTEXTS) break;
        this.logged.delete(other);
        const o = this.ctx.get(other);
        if (o) o.log = [];
      }
    } else c.log = [];
    c.open = null;
    const waiting = this.waiters.get(key);
    this.waiters.delete(key);
    waiting?.forEach((wake) => wake());
  }

  private readonly waiters = new Map<string, Array<() => void>>();

  /** Resolves once no commit of the context is under way (at once when none is). */
  settled(key: string): Promise<void> {
    if (this.stable(key) !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.waiters.get(key);
      if (waiting) waiting.push(resolve);
      else this.waiters.set(key, [resolve]);
    });
  }

  /** Contexts whose log is not empty, least recently committed first. */
  private readonly logged = new Set<string>();

  /** The context's recent commits, oldest first (see {@link StateChange}); read-only. */
  changes(key: string): readonly StateChange[] {
    return this.ctx.get(key)?.log ?? [];
  }

  /** The current version (also while a commit is under way). */
  version(key: string): number {
    return this.ctx.get(key)?.version ?? 0;
  }

  /** The current version when no commit of the context is under way, else null. */
  stable(key: string): number | null {
    const c = this.ctx.get(key);
    if (!c) return 0;
    return c.inflight === 0 ? c.version : null;
  }

  /** Brackets every commit of `store` that touches a context. */
  watch(store: { onCommitting(listener: (batch: Batch) => (written: boolean) => void): void }): void {
    store.onCommitting((batch) => {
      const touched = stateKeysByContext(batch);
      for (const [k, writes] of touched) this.begin(k, writes);
      return (written) => {
        for (const k of touched.keys()) this.end(k, written);
      };
    });
  }
}

/**
 * Which methods of which contexts wrote the last time they ran (optimistically or under the lock). A method that
 * wrote goes straight to the lock (an optimistic run of it would most likely be overtaken and run again); its run
 * there tells whether it still writes, so a method that stops writing runs optimistically again. Bounded: forgets
 * everything past `max` entries.
 */
export class Writers {
  private readonly wrote = new Set<string>();
  constructor(private readonly max = 4096) {}

  note(contextKey: string, method: string, wrote: boolean): void {
    const k = `${contextKey}\u0000${method}`;
    if (!wrote) {
      this.wrote.delete(k);
      return;
    }
    if (this.wrote.size >= this.max) this.wrote.clear();
    this.wrote.add(k);
  }

  has(contextKey: string, method: string): boolean {
    return this.wrote.has(`${contextKey}\u0000${method}`);
  }
}
