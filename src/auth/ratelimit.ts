/**
 * Login throttling for mero-auth's `user_password` provider (issue #12 item 6).
 *
 * Two independent mechanisms:
 *
 * - {@link LoginLimiter}: sliding-window failure budgets per client address, per username and per
 *   (address, username) pair. An attempt reserves a failure slot when it is admitted (so a burst of
 *   concurrent requests cannot all slip in before the first one fails); a successful login gives the slot
 *   back and clears that address+username pair. The per-username budget only blocks addresses that have
 *   themselves failed for that username a few times: a flood that burns the administrator's username from
 *   one address does not lock the administrator out when they log in from another address.
 * - {@link FairPool}: bounds concurrent argon2 work (CPU and 19 MiB per verification) with a small number
 *   of slots and a bounded queue served round-robin per client address, so one busy address cannot make
 *   another wait behind its whole backlog.
 *
 * Both are in memory and per process.
 */

/** Limits of {@link LoginLimiter}; 0 disables the corresponding budget. */
export interface LoginLimitConfig {
  enabled: boolean;
  /** Length of the sliding window, seconds. */
  windowSecs: number;
  /** Failed (or still running) login attempts one address may make in a window, over all usernames. */
  maxFailuresPerAddress: number;
  /** Failures of one username (from every address) after which the username counts as under attack. */
  maxFailuresPerUsername: number;
  /** While a username is under attack: failures an address may still make for it in a window. */
  maxFailuresPerAddressAndUsername: number;
  /** All login attempts (successes included) one address may make in a window. */
  maxAttemptsPerAddress: number;
  /** Bound on the number of tracked keys per table (oldest entries are dropped beyond it). */
  maxTrackedKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitConfig = {
  enabled: true,
  windowSecs: 60,
  maxFailuresPerAddress: 20,
  maxFailuresPerUsername: 20,
  maxFailuresPerAddressAndUsername: 3,
  maxAttemptsPerAddress: 1000,
  maxTrackedKeys: 10_000,
};

/** Timestamps (ms) per key within a sliding window; each list keeps at most `cap` newest entries. */
class SlidingLog {
  private readonly map = new Map<string, number[]>();
  private ops = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  private live(key: string, now: number): number[] | undefined {
    const l = this.map.get(key);
    if (!l) return undefined;
    const cut = now - this.windowMs;
    let i = 0;
    while (i < l.length && l[i]! <= cut) i++;
    if (i) l.splice(0, i);
    if (!l.length) {
      this.map.delete(key);
      return undefined;
    }
    return l;
  }

  count(key: string, now: number): number {
    return this.live(key, now)?.length ?? 0;
  }

  /** Seconds until fewer than `limit` entries remain in the window (≥ 1). */
  retryAfter(key: string, limit: number, now: number): number {
    const l = this.live(key, now) ?? [];
    const idx = l.length - limit; // the entry whose expiry brings the count below `limit`
    const expiry = idx >= 0 ? l[idx]! + this.windowMs : now;
    return Math.max(1, Math.ceil((expiry - now) / 1000));
  }

  add(key: string, ts: number, cap: number): void {
    if (++this.ops % 1024 === 0) this.sweep(ts);
    let l = this.live(key, ts);
    if (!l) {
      if (this.map.size >= this.maxKeys) {
        this.sweep(ts);
        // Still full: forget the least recently created key.
        if (this.map.size >= this.maxKeys) this.map.delete(this.map.keys().next().value!);
      }
      l = [];
      this.map.set(key, l);
    }
    l.push(ts);
    if (l.length > cap) l.splice(0, l.length - cap);
  }

  /** Removes one entry with timestamp `ts` (a refunded reservation). */
  remove(key: string, ts: number): void {
    const l = this.map.get(key);
    if (!l) return;
    const i = l.lastIndexOf(ts);
    if (i >= 0) l.splice(i, 1);
    if (!l.length) this.map.delete(key);
  }

  clear(key: string): void {
    this.map.delete(key);
  }

  private sweep(now: number): void {
    for (const k of [...this.map.keys()]) this.live(k, now);
  }

  get size(): number {
    return this.map.size;
  }
}

/** An admitted login attempt; hand it back to {@link LoginLimiter.success} or {@link LoginLimiter.failure}. */
export interface LoginTicket {
  readonly address: string;
  readonly username: string;
  readonly ts: number;
}

/** A refusal carries `Retry-After` seconds and whether it is the address's first refusal in the window. */
export type Admission = { ok: true; ticket: LoginTicket } | { ok: false; retryAfter: number; firstInWindow: boolean };

const pairKey = (address: string, username: string) => `${address}\u0000${username}`;

export class LoginLimiter {
  private readonly attempts: SlidingLog;
  private readonly addrFailures: SlidingLog;
  private readonly userFailures: SlidingLog;
  private readonly pairFailures: SlidingLog;
  private last = 0;
  /** When a refusal for an address was last reported (one log line per address and window). */
  private readonly reported = new Map<string, number>();

  constructor(private readonly cfg: LoginLimitConfig = DEFAULT_LOGIN_LIMITS) {
    const w = cfg.windowSecs * 1000;
    this.attempts = new SlidingLog(w, cfg.maxTrackedKeys);
    this.addrFailures = new SlidingLog(w, cfg.maxTrackedKeys);
    this.userFailures = new SlidingLog(w, cfg.maxTrackedKeys);
    this.pairFailures = new SlidingLog(w, cfg.maxTrackedKeys);
  }

  /** Monotonic, unique per call, so a reservation can be found again and refunded exactly. */
  private now(): number {
    const t = Math.max(Date.now(), this.last + 0.001);
    this.last = t;
    return t;
  }

  /**
   * Decides whether `address` may try to log in as `username` now. An admitted attempt counts as a
   * failure until {@link success} is called for its ticket.
   */
  admit(address: string, username: string): Admission {
    const r = this.check(address, username);
    if (r.ok) return r;
    const now = Date.now();
    const last = this.reported.get(address);
    const firstInWindow = last === undefined || now - last >= this.cfg.windowSecs * 1000;
    if (firstInWindow) {
      this.reported.delete(address);
      if (this.reported.size >= this.cfg.maxTrackedKeys) this.reported.delete(this.reported.keys().next().value!);
      this.reported.set(address, now);
    }
    return { ...r, firstInWindow };
  }

  private check(address: string, username: string): { ok: true; ticket: LoginTicket } | { ok: false; retryAfter: number } {
    const c = this.cfg;
    const now = this.now();
    const ticket: LoginTicket = { address, username, ts: now };
    if (!c.enabled) return { ok: true, ticket };
    const pair = pairKey(address, username);
    if (c.maxAttemptsPerAddress > 0 && this.attempts.count(address, now) >= c.maxAttemptsPerAddress) {
      return { ok: false, retryAfter: this.attempts.retryAfter(address, c.maxAttemptsPerAddress, now) };
    }
    if (c.maxFailuresPerAddress > 0 && this.addrFailures.count(address, now) >= c.maxFailuresPerAddress) {
      return { ok: false, retryAfter: this.addrFailures.retryAfter(address, c.maxFailuresPerAddress, now) };
    }
    if (
      c.maxFailuresPerUsername > 0 &&
      this.userFailures.count(username, now) >= c.maxFailuresPerUsername &&
      this.pairFailures.count(pair, now) >= c.maxFailuresPerAddressAndUsername
    ) {
      const userWait = this.userFailures.retryAfter(username, c.maxFailuresPerUsername, now);
      const pairLimit = c.maxFailuresPerAddressAndUsername;
      const retryAfter = pairLimit > 0 ? Math.min(userWait, this.pairFailures.retryAfter(pair, pairLimit, now)) : userWait;
      return { ok: false, retryAfter };
    }
    // Lists keep twice their limit (plus slack): entries beyond the limit are only needed so that refunding
    // a reservation of a concurrent success does not drop the count below what actually failed.
    const cap = (limit: number) => 2 * Math.max(1, limit) + 16;
    if (c.maxAttemptsPerAddress > 0) this.attempts.add(address, now, cap(c.maxAttemptsPerAddress));
    this.addrFailures.add(address, now, cap(c.maxFailuresPerAddress));
    this.userFailures.add(username, now, cap(c.maxFailuresPerUsername));
    this.pairFailures.add(pair, now, cap(c.maxFailuresPerAddressAndUsername));
    return { ok: true, ticket };
  }

  /** The attempt succeeded: its reservation is refunded and the address+username pair starts afresh. */
  success(t: LoginTicket): void {
    if (!this.cfg.enabled) return;
    this.addrFailures.remove(t.address, t.ts);
    this.userFailures.remove(t.username, t.ts);
    this.pairFailures.clear(pairKey(t.address, t.username));
  }

  /** The attempt failed (wrong credentials): the reservation stays as a failure. */
  failure(_t: LoginTicket): void {}

  /** The attempt never reached a verdict (server busy, internal error): refund it without clearing anything. */
  cancel(t: LoginTicket): void {
    if (!this.cfg.enabled) return;
    this.attempts.remove(t.address, t.ts);
    this.addrFailures.remove(t.address, t.ts);
    this.userFailures.remove(t.username, t.ts);
    this.pairFailures.remove(pairKey(t.address, t.username), t.ts);
  }

  /** Number of tracked keys per table (tests, metrics). */
  tracked(): { attempts: number; addresses: number; usernames: number; pairs: number } {
    return {
      attempts: this.attempts.size,
      addresses: this.addrFailures.size,
      usernames: this.userFailures.size,
      pairs: this.pairFailures.size,
    };
  }
}

/** The pool's queue is full. */
export class PoolBusyError extends Error {
  constructor() {
    super('Login service busy, retry later');
  }
}

/**
 * At most `concurrency` tasks run at once; waiting tasks are queued per group (client address) and the
 * groups are served round-robin. At most `maxQueued` tasks wait in total (`run` rejects with
 * {@link PoolBusyError} beyond, unless `force` is set — used for administrative work that must not fail).
 */
export class FairPool {
  private running = 0;
  private queued = 0;
  private readonly groups = new Map<string, Array<() => void>>();

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  async run<T>(group: string, fn: () => Promise<T>, force = false): Promise<T> {
    if (this.running >= this.concurrency) {
      if (!force && this.queued >= this.maxQueued) throw new PoolBusyError();
      this.queued++;
      await new Promise<void>((resolve) => {
        const q = this.groups.get(group);
        if (q) q.push(resolve);
        else this.groups.set(group, [resolve]);
      });
      // The releasing task handed its slot over (running was not decremented).
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.groups.entries().next();
    if (next.done) {
      this.running--;
      return;
    }
    const [group, q] = next.value;
    const wake = q.shift()!;
    // Round-robin: the group goes to the back of the line (or away when empty).
    this.groups.delete(group);
    if (q.length) this.groups.set(group, q);
    this.queued--;
    wake();
  }

  stats(): { running: number; queued: number } {
    return { running: this.running, queued: this.queued };
  }
}

/**
 * The address a login is accounted to. `socketIp` is fastify's `req.ip` (the TCP peer). With
 * `trustProxy`, the right-most `X-Forwarded-For` entry is used instead: the address the nearest proxy saw
 * (entries further left are whatever the client claimed). IPv4-mapped IPv6 addresses are unwrapped and
 * IPv6 addresses are grouped by /64, as a single host usually holds a whole /64.
 */
export function clientAddress(socketIp: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  let ip = socketIp ?? '';
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last) ip = last;
  }
  return normalizeAddress(ip);
}

export function normalizeAddress(ip: string): string {
  let a = ip.trim().toLowerCase();
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'));
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!a.includes(':')) return a || 'unknown';
  // IPv6: expand `::` and keep the first four groups (/64).
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
