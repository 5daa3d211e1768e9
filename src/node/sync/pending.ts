/**
 * Received entries waiting for their parents, per context, and the order they become applicable in. Pure
 * bookkeeping: whether a parent is applied and how an entry is applied are the caller's (`drain`'s arguments).
 */
import { idKey } from '../../util/ids.ts';
import type { Delta } from './codec.ts';
import { isFinal, type ApplyOutcome } from './membership.ts';

export interface PendingEntry {
  delta: Delta;
  raw: Uint8Array;
  /** The peer it came from (to fetch its application from); null for our own. */
  peer: string | null;
  at: number;
}

/**
 * What a drain is given (the buffer's, the spool's): whether an entry outside it is applied, how to apply one,
 * and who hears of a refusal.
 */
export type DrainOps = [
  isApplied: (id: Uint8Array) => Promise<boolean>,
  apply: (e: PendingEntry) => Promise<ApplyOutcome>,
  onRefused: (e: PendingEntry, outcome: ApplyOutcome) => void,
];

export interface PendingLimits {
  /** Entries kept per context; the oldest goes first. */
  maxPerContext: number;
  /** How long an entry may wait for its parents. */
  ttlMs: number;
  /** Refused entry ids remembered (so they are not fetched again); forgotten all at once past this. */
  maxRejected: number;
}

export const DEFAULT_LIMITS: PendingLimits = { maxPerContext: Number(process.env.MEROD_SYNC_PENDING_MAX) || 10_000, ttlMs: 300_000, maxRejected: 100_000 };

/** Applied before `b`: lower HLC first, then lower id (a topological order, as parents have lower HLCs). */
export function byHlc(a: PendingEntry, b: PendingEntry): number {
  return a.delta.hlc < b.delta.hlc ? -1 : a.delta.hlc > b.delta.hlc ? 1 : Buffer.compare(a.delta.id, b.delta.id);
}

export class PendingDag {
  private readonly byContext = new Map<string, Map<string, PendingEntry>>();
  private readonly rejected = new Set<string>();

  /**
   * `onEvict` receives the entry a full context's buffer pushes out (the oldest), so that it is kept elsewhere
   * (spool.ts) rather than lost.
   */
  constructor(
    private readonly limits: PendingLimits = DEFAULT_LIMITS,
    private readonly onEvict: (e: PendingEntry) => void = () => undefined,
  ) {}

  /** Whether a context's buffer is full (the next add evicts). */
  full(ctx: Uint8Array): boolean {
    return this.countOf(ctx) >= this.limits.maxPerContext;
  }

  add(e: PendingEntry): void {
    const ck = idKey(e.delta.contextId);
    let m = this.byContext.get(ck);
    if (!m) this.byContext.set(ck, (m = new Map()));
    if (m.has(idKey(e.delta.id))) return;
    if (m.size >= this.limits.maxPerContext) {
      const oldest = m.keys().next().value;
      if (oldest !== undefined) {
        this.onEvict(m.get(oldest)!);
        m.delete(oldest);
      }
    }
    const k = idKey(e.delta.id);
    if (!m.has(k)) m.set(k, e);
  }

  has(ctx: Uint8Array, id: Uint8Array): boolean {
    return Boolean(this.byContext.get(idKey(ctx))?.has(idKey(id)));
  }

  isRejected(id: Uint8Array): boolean {
    return this.rejected.has(idKey(id));
  }

  /** Drops what a context has waiting (it was left or deleted). */
  forget(ctx: Uint8Array): void {
    this.byContext.delete(idKey(ctx));
  }

  /** Drops entries that waited longer than the TTL. */
  expire(now = Date.now()): void {
    for (const [ck, m] of this.byContext) {
      for (const [k, p] of m) if (now - p.at > this.limits.ttlMs) m.delete(k);
      if (m.size === 0) this.byContext.delete(ck);
    }
  }

  /** Entries of one context waiting. */
  countOf(ctx: Uint8Array): number {
    return this.byContext.get(idKey(ctx))?.size ?? 0;
  }

  /** Entries waiting, over all contexts. */
  count(): number {
    let n = 0;
    for (const m of this.byContext.values()) n += m.size;
    return n;
  }

  /**
   * Applies every waiting entry of `ctx` whose parents are applied, in (hlc, id) order, until none is ready.
   * `isApplied` answers for entries outside this buffer; `apply` applies one entry. A refused entry leaves the
   * buffer and is reported to `onRefused`; a final refusal is remembered (membership.ts `isFinal`), so the entry
   * is not fetched again, and its descendants wait until they expire. After a passing one, a later sync fetches
   * the entry again.
   */
  async drain(ctx: Uint8Array, ...[isApplied, apply, onRefused]: DrainOps): Promise<void> {
    const ck = idKey(ctx);
    const applied = new Set<string>();
    const ready = async (e: PendingEntry) => {
      for (const parent of e.delta.parents) if (!applied.has(idKey(parent)) && !(await isApplied(parent))) return false;
      return true;
    };
    for (;;) {
      const m = this.byContext.get(ck);
      if (!m || m.size === 0) return;
      // One scan for the entries that are ready now; then only the children of what gets applied are looked at.
      const children = new Map<string, PendingEntry[]>();
      const queue: PendingEntry[] = [];
      for (const p of m.values()) {
        for (const parent of p.delta.parents) {
          const k = idKey(parent);
          let list = children.get(k);
          if (!list) children.set(k, (list = []));
          list.push(p);
        }
        if (await ready(p)) queue.push(p);
      }
      if (queue.length === 0) return;
      queue.sort(byHlc);
      while (queue.length > 0) {
        const p = queue.shift()!;
        const key = idKey(p.delta.id);
        if (!m.has(key)) continue;
        m.delete(key);
        const outcome = await apply(p);
        if (!outcome.ok) {
          if (isFinal(outcome)) {
            if (this.rejected.size > this.limits.maxRejected) this.rejected.clear();
            this.rejected.add(key);
          }
          onRefused(p, outcome);
          continue;
        }
        applied.add(key);
        const next: PendingEntry[] = [];
        for (const c of children.get(key) ?? []) if (m.has(idKey(c.delta.id)) && (await ready(c))) next.push(c);
        if (next.length > 0) {
          queue.push(...next);
          queue.sort(byHlc);
        }
      }
    }
  }
}
