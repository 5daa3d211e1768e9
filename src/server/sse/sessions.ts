import { randomBytes } from 'node:crypto';
import type { Node } from '../../node/node.ts';
import { Batch } from '../../store/store.ts';
import { textError } from '../errors.ts';
import { nowSecs, SESSION_TTL_SECS, SseSession, type PersistedSession } from './session.ts';

/** Keep-alive comment after this much silence on a stream (upstream: axum's default, 15 s). */
const DEFAULT_KEEPALIVE_MS = 15_000;
/** Counter/activity changes are written in one batch at most this often (subscriptions are written at once). */
const FLUSH_MS = 1_000;
const SWEEP_MS = 10 * 60_000;
/**
 * Ours: store records of sessions expired for this long are deleted (upstream keeps them forever). Until
 * then `GET /sse/session/:id` still answers 410 "Session expired" for them, as upstream.
 */
const PURGE_AFTER_EXPIRY_SECS = 7 * 86_400;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Parses a u64 the way Rust's `u64::from_str` does (optional `+`, decimal digits); null when it is not one. */
export function parseU64(s: string | undefined): bigint | null {
  if (s === undefined || !/^\+?\d+$/.test(s)) return null;
  const v = BigInt(s);
  return v <= U64_MAX ? v : null;
}

/** Store key of a session: the u64 id big-endian (column `sse`). */
export function sessionKey(id: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(id);
  return b;
}

function isPersisted(v: unknown): v is PersistedSession {
  const p = v as PersistedSession;
  return (
    !!p &&
    Array.isArray(p.subscriptions) &&
    p.subscriptions.every((s) => typeof s === 'string') &&
    Number.isSafeInteger(p.event_counter) &&
    Number.isSafeInteger(p.last_activity)
  );
}

/**
 * All SSE sessions of a server: in memory, persisted in the store's `sse` column
 * (`u64 BE → {"subscriptions":[…],"event_counter":n,"last_activity":unix_secs}`, docs/events.md, SSE).
 *
 * - Creation, subscribe and unsubscribe are written before the answer (as upstream); counter and activity
 *   changes are batched every second and on shutdown.
 * - On start the non-expired sessions are loaded and listen again for their contexts, so events published
 *   after a restart but before the client reconnects are buffered too. They report "persisted" until a
 *   client reconnects (upstream: only what is in memory is "active").
 * - At most `[server.limits] max_sse_sessions` (default 10,000) sessions are kept in memory. When full, the
 *   session detached the longest is unloaded (it stays in the store and is reloaded on reconnect); only when
 *   every session has a live stream is a new `GET /sse` refused with 429.
 */
export class SseSessions {
  readonly sessions = new Map<bigint, SseSession>();
  readonly keepAliveMs: number;
  readonly maxSessions: number;
  /** Resolves when the persisted sessions are loaded. */
  readonly ready: Promise<void>;
  private readonly loading = new Map<bigint, Promise<SseSession | null>>();
  private readonly dirty = new Set<SseSession>();
  private readonly markDirty = (s: SseSession) => void this.dirty.add(s);
  private readonly flusher: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly node: Pick<Node, 'events' | 'metrics' | 'config' | 'logger' | 'store'>) {
    const keepAlive = Number(process.env.MEROD_SSE_KEEPALIVE_MS);
    this.keepAliveMs = Number.isFinite(keepAlive) && keepAlive > 0 ? keepAlive : DEFAULT_KEEPALIVE_MS;
    this.maxSessions = node.config.server.limits?.max_sse_sessions ?? 10_000;
    this.flusher = setInterval(() => void this.flush(), FLUSH_MS);
    this.flusher.unref();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    this.ready = this.restore().catch((err) => node.logger.error({ err }, 'cannot restore SSE sessions'));
  }

  private async restore(): Promise<void> {
    const stale = new Batch();
    const at = nowSecs();
    for await (const { key, value } of this.node.store.iterate('sse')) {
      if (this.closed) return;
      let p: unknown;
      try {
        p = JSON.parse(value.toString('utf8'));
      } catch {
        p = null;
      }
      if (key.length !== 8 || !isPersisted(p)) continue;
      const idle = at - p.last_activity;
      if (idle > SESSION_TTL_SECS + PURGE_AFTER_EXPIRY_SECS) stale.delete('sse', key);
      else if (idle <= SESSION_TTL_SECS && this.sessions.size < this.maxSessions) {
        const id = key.readBigUInt64BE();
        this.sessions.set(id, this.revive(id, p));
      }
    }
    await this.node.store.commit(stale);
  }

  private revive(id: bigint, p: PersistedSession): SseSession {
    const s = new SseSession(id, this.node, this.markDirty);
    s.counter = p.event_counter;
    s.lastActivity = p.last_activity;
    s.subscribe(p.subscriptions);
    return s;
  }

  /** A new session with a random u64 id (unused in memory and in the store), written to the store. */
  async create(): Promise<SseSession> {
    this.makeRoom();
    let id: bigint;
    do id = randomBytes(8).readBigUInt64BE();
    while (this.sessions.has(id) || this.loading.has(id) || (await this.node.store.has('sse', sessionKey(id))));
    this.makeRoom();
    const s = new SseSession(id, this.node, this.markDirty);
    this.sessions.set(id, s);
    await this.persist(s);
    return s;
  }

  /**
   * The session a reconnect asks for: in memory, or loaded from the store (after a restart or an unload);
   * null when unknown or expired (an expired session is deleted). Concurrent reconnects of one id share one
   * load, so a session never exists twice.
   */
  async resume(id: bigint): Promise<SseSession | null> {
    const live = this.sessions.get(id);
    if (live) {
      if (!live.expired()) return live;
      await this.drop(id);
      return null;
    }
    let pending = this.loading.get(id);
    if (!pending) {
      pending = (async () => {
        const p = await this.load(id);
        if (!p) return null;
        if (nowSecs() - p.last_activity > SESSION_TTL_SECS) {
          await this.node.store.delete('sse', sessionKey(id));
          return null;
        }
        this.makeRoom();
        const s = this.revive(id, p);
        this.sessions.set(id, s);
        return s;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** The stored record of a session (whether or not it is in memory). */
  async load(id: bigint): Promise<PersistedSession | null> {
    const p = await this.node.store.getJson<unknown>('sse', sessionKey(id));
    return isPersisted(p) ? p : null;
  }

  /** Writes a session now (creation and subscription changes). */
  async persist(s: SseSession): Promise<void> {
    this.dirty.delete(s);
    await this.node.store.put('sse', sessionKey(s.id), JSON.stringify(s.toPersisted()));
  }

  /** Writes every session whose counter or activity changed since the last write, in one batch. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = new Batch();
    for (const s of this.dirty) batch.put('sse', sessionKey(s.id), JSON.stringify(s.toPersisted()));
    this.dirty.clear();
    try {
      await this.node.store.commit(batch);
    } catch (err) {
      this.node.logger.warn({ err }, 'cannot persist SSE sessions');
    }
  }

  /** Frees a slot when memory holds `maxSessions` sessions, or refuses with 429. */
  private makeRoom(): void {
    while (this.sessions.size >= this.maxSessions) {
      let victim: SseSession | null = null;
      for (const s of this.sessions.values()) {
        if (!s.connected && (!victim || s.detachedAt < victim.detachedAt)) victim = s;
      }
      if (!victim) throw textError(429, `too many SSE sessions (limit ${this.maxSessions})`);
      this.unload(victim);
    }
  }

  /** Drops a session from memory, keeping (and updating) its stored record. */
  private unload(s: SseSession): void {
    this.dirty.add(s);
    s.dispose();
    this.sessions.delete(s.id);
  }

  private async drop(id: bigint): Promise<void> {
    const s = this.sessions.get(id);
    if (s) {
      s.dispose();
      this.dirty.delete(s);
      this.sessions.delete(id);
    }
    await this.node.store.delete('sse', sessionKey(id));
  }

  /** Unloads expired sessions without a stream and deletes store records long expired. */
  private async sweep(): Promise<void> {
    const at = nowSecs();
    for (const s of this.sessions.values()) if (s.expired(at)) this.unload(s);
    await this.flush();
    try {
      const stale = new Batch();
      for await (const { key, value } of this.node.store.iterate('sse')) {
        let p: unknown;
        try {
          p = JSON.parse(value.toString('utf8'));
        } catch {
          continue;
        }
        if (isPersisted(p) && at - p.last_activity > SESSION_TTL_SECS + PURGE_AFTER_EXPIRY_SECS) stale.delete('sse', key);
      }
      await this.node.store.commit(stale);
    } catch (err) {
      this.node.logger.warn({ err }, 'SSE session sweep failed');
    }
  }

  /** Ends every stream, releases every hub listener and writes pending changes (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flusher);
    clearInterval(this.sweeper);
    await this.ready;
    for (const s of this.sessions.values()) s.dispose();
    await this.flush();
  }
}
