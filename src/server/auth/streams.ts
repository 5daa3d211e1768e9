import type { Principal } from './principal.ts';

export type StreamEnd = 'revoked' | 'expired';

interface Tracked {
  principal: Principal;
  close(reason: StreamEnd): void;
  timer?: NodeJS.Timeout;
}

/** setTimeout's longest delay; a later expiry is re-armed when the timer fires. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Streams (WebSocket connections, SSE streams) opened with a credential, closed when that credential stops
 * holding: at once when the node learns of a key change (embedded mero-auth, wallet keys), at the latest after
 * `recheckMs` otherwise (a revocation at an external mero-auth), and when the token expires.
 */
export class StreamAuth {
  private readonly open = new Set<Tracked>();
  private readonly interval: NodeJS.Timeout;
  private pending: Promise<void> | null = null;
  private again = false;
  private readonly offChange?: () => void;

  constructor(recheckMs: number, onChange?: (listener: () => void) => () => void) {
    this.interval = setInterval(() => void this.recheck(), recheckMs);
    this.interval.unref();
    this.offChange = onChange?.(() => void this.recheck());
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * Follows a stream of `principal` (nothing to follow without one); returns the function that forgets it. The
   * credential is checked once more now: a revocation between the request's check and this call (the stream's
   * set-up awaits the store) ran its recheck before the stream was followed, and would otherwise leave it open
   * until the next periodic one.
   */
  track(principal: Principal | undefined, close: (reason: StreamEnd) => void): () => void {
    if (!principal) return () => {};
    const t: Tracked = { principal, close };
    this.open.add(t);
    this.arm(t);
    void principal.stillValid().then(
      (ok) => ok || this.end(t, 'revoked'),
      () => this.end(t, 'revoked'),
    );
    return () => this.forget(t);
  }

  private arm(t: Tracked): void {
    if (t.principal.expiresAt === undefined) return;
    const ms = t.principal.expiresAt * 1000 - Date.now();
    if (ms <= 0) return this.end(t, 'expired');
    t.timer = setTimeout(() => (ms > MAX_TIMER_MS ? this.arm(t) : this.end(t, 'expired')), Math.min(ms, MAX_TIMER_MS));
    t.timer.unref();
  }

  private forget(t: Tracked): void {
    if (t.timer) clearTimeout(t.timer);
    this.open.delete(t);
  }

  private end(t: Tracked, reason: StreamEnd): void {
    if (!this.open.has(t)) return;
    this.forget(t);
    t.close(reason);
  }

  /**
   * Checks every followed credential once (each principal object once, however many streams share it) and
   * closes the streams whose credential no longer holds. Calls during a check run one more check after it.
   */
  recheck(): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        const byPrincipal = new Map<Principal, Tracked[]>();
        for (const t of this.open) {
          const group = byPrincipal.get(t.principal);
          if (group) group.push(t);
          else byPrincipal.set(t.principal, [t]);
        }
        await Promise.all(
          [...byPrincipal].map(async ([principal, streams]) => {
            const ok = await principal.stillValid().catch(() => false);
            if (!ok) for (const t of streams) this.end(t, 'revoked');
          }),
        );
      } while (this.again);
    })().finally(() => (this.pending = null));
    return this.pending;
  }

  close(): void {
    clearInterval(this.interval);
    this.offChange?.();
    for (const t of [...this.open]) this.forget(t);
  }
}
