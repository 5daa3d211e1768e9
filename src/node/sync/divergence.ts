/**
 * The divergence rule (pure): given this node's (heads, root) of a context and what its peers last announced
 * in their heads heartbeats, is there a real divergence, and who repairs it?
 *
 * - Only peers with exactly the same heads count: with other heads the DAG sync still has work to do.
 * - A node whose state holds local-only structure that calimero-storage leaves (src/calimero/roots.ts: an
 *   entity born in a replay, a child listed twice) is `noisy`: its root cannot equal the others' and says
 *   nothing about its data. If this node is noisy, or every peer that differs is, the difference is the
 *   documented inherent case (docs/network.md, "Root hashes"): no repair.
 * - Otherwise the clean nodes with the same heads vote by root: the root held by the most of them wins (at a
 *   tie, the smaller root in byte order, so that two nodes agree on who moves). A node holding another root
 *   repairs from a peer that holds the winner; the others wait for it.
 *
 * The guard (`RepairGuard`) keeps a repair from looping: one repair per (context, heads) at most, and failed
 * attempts retried with a backoff a few times only.
 */
import { idKey } from '../../util/ids.ts';

/** Heads as one comparable string (a context's heads are kept sorted). */
export function headsKey(heads: Uint8Array[]): string {
  return heads.map(idKey).join(',');
}

/** What one peer announced last for a context. Roots and heads as comparable strings (hex or base58). */
export interface RootReport {
  peer: string;
  heads: string;
  root: string;
  noisy: boolean;
  at: number;
}

export interface LocalRoot {
  heads: string;
  root: string;
  noisy: boolean;
}

export type Verdict =
  /** No fresh report with our heads disagrees with our root. */
  | { kind: 'agree' }
  /** Roots differ only where a side is noisy: the inherent case, documented, not repaired. */
  | { kind: 'inherent'; peers: string[] }
  /** Others with our heads hold another root, and theirs wins: repair from one of `from`. */
  | { kind: 'repair'; root: string; from: string[] }
  /** Some peers differ, but our root wins: they repair, we wait. */
  | { kind: 'wait'; peers: string[] };

/** Reports older than this are ignored (a peer announces every `[sync] frequency_ms`). */
export const REPORT_MAX_AGE_MS = 60_000;

export function judge(local: LocalRoot, reports: Iterable<RootReport>, now: number, maxAgeMs = REPORT_MAX_AGE_MS): Verdict {
  const same = [...reports].filter((r) => r.heads === local.heads && now - r.at <= maxAgeMs);
  const differing = same.filter((r) => r.root !== local.root);
  if (differing.length === 0) return { kind: 'agree' };
  if (local.noisy || differing.every((r) => r.noisy)) return { kind: 'inherent', peers: differing.map((r) => r.peer) };
  const votes = new Map<string, string[]>([[local.root, []]]);
  for (const r of same) {
    if (r.noisy) continue;
    votes.set(r.root, [...(votes.get(r.root) ?? []), r.peer]);
  }
  const count = (root: string) => votes.get(root)!.length + (root === local.root ? 1 : 0);
  const winner = [...votes.keys()].sort((a, b) => count(b) - count(a) || (a < b ? -1 : a > b ? 1 : 0))[0]!;
  if (winner === local.root) return { kind: 'wait', peers: differing.filter((r) => !r.noisy).map((r) => r.peer) };
  return { kind: 'repair', root: winner, from: votes.get(winner)! };
}

/**
 * At most one repair per (context, heads); a failed attempt is retried after a backoff (base, 2·base, … up to
 * `maxMs`), `maxAttempts` attempts in all. Only the context's current heads are remembered (heads never return).
 */
export class RepairGuard {
  private readonly state = new Map<string, { heads: string; done: boolean; attempts: number; nextAt: number }>();

  constructor(
    private readonly maxAttempts = 3,
    private readonly baseMs = 5_000,
    private readonly maxMs = 60_000,
  ) {}

  private of(ctx: string, heads: string) {
    let s = this.state.get(ctx);
    if (!s || s.heads !== heads) {
      s = { heads, done: false, attempts: 0, nextAt: 0 };
      this.state.set(ctx, s);
    }
    return s;
  }

  /** Whether a repair of `ctx` at `heads` may start now. */
  allows(ctx: string, heads: string, now: number): boolean {
    const s = this.of(ctx, heads);
    return !s.done && s.attempts < this.maxAttempts && s.nextAt <= now;
  }

  /** A repair ended (whatever its result): never again at these heads. */
  finished(ctx: string, heads: string): void {
    this.of(ctx, heads).done = true;
  }

  /** A repair failed before changing anything: retried after a backoff while attempts remain. */
  failed(ctx: string, heads: string, now: number): void {
    const s = this.of(ctx, heads);
    s.attempts++;
    s.nextAt = now + Math.min(this.baseMs * 2 ** (s.attempts - 1), this.maxMs);
  }
}
