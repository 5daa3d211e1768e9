import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Node } from '../../node/node.ts';
import type { NodeEvent } from '../../node/events.ts';

/** Sessions idle (no stream, no subscription change) longer than this expire, as upstream (24 h). */
export const SESSION_TTL_SECS = 86_400;
/** Events kept per session for replay after a reconnect. */
export const REPLAY_BUFFER = 1_000;

export interface PersistedSession {
  subscriptions: string[];
  event_counter: number;
  last_activity: number;
}

interface Buffered {
  n: number;
  data: string;
}

const now = () => Math.floor(Date.now() / 1000);

export function sessionKey(id: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(id);
  return b;
}

/**
 * One SSE session. Unlike upstream, the session (not the HTTP stream) owns its event subscriptions, so a
 * session has exactly one forwarder however often it reconnects, and events that arrive while no stream is
 * attached are numbered and kept (bounded) for replay when the client comes back with `Last-Event-ID`.
 */
export class SseSession {
  readonly subscriptions = new Map<string, () => void>();
  counter = 0;
  lastActivity = now();
  private buffer: Buffered[] = [];
  private stream: ServerResponse | null = null;
  private detachedAt = now();

  constructor(
    readonly id: bigint,
    private readonly node: Node,
  ) {}

  get connected(): boolean {
    return this.stream !== null;
  }

  expired(at = now()): boolean {
    return !this.connected && at - Math.max(this.lastActivity, this.detachedAt) > SESSION_TTL_SECS;
  }

  subscribe(contextIds: string[]): void {
    for (const c of contextIds) {
      if (!this.subscriptions.has(c)) this.subscriptions.set(c, this.node.events.subscribe(c, (e) => this.deliver(e)));
    }
    this.lastActivity = now();
  }

  /** Returns the ids that were actually subscribed. */
  unsubscribe(contextIds: string[]): string[] {
    const removed: string[] = [];
    for (const c of contextIds) {
      const off = this.subscriptions.get(c);
      if (off) {
        off();
        this.subscriptions.delete(c);
        removed.push(c);
      }
    }
    this.lastActivity = now();
    return removed;
  }

  private deliver(event: NodeEvent): void {
    const n = ++this.counter;
    const data = JSON.stringify({ result: event });
    this.buffer.push({ n, data });
    if (this.buffer.length > REPLAY_BUFFER) this.buffer.splice(0, this.buffer.length - REPLAY_BUFFER);
    if (this.stream) {
      this.write(n, data);
      this.node.metrics.eventsDelivered.inc({ transport: 'sse' });
    }
  }

  private write(n: number, data: string): void {
    this.stream?.write(`event:message\nid:${this.id}-${n}\ndata:${data}\n\n`);
  }

  /**
   * Attaches a stream: any previous stream of this session is ended (one forwarder per session), the
   * `connect` event is sent, then the buffered events after `lastSeen` are replayed in order.
   */
  attach(stream: ServerResponse, reconnect: boolean, lastSeen: number | null): void {
    if (this.stream && this.stream !== stream) this.stream.end();
    this.stream = stream;
    const since = lastSeen ?? this.counter;
    const connect = JSON.stringify({ type: 'connect', session_id: String(this.id), reconnect });
    stream.write(`event:message\nid:${this.id}-${since}\nretry:3000\ndata:${connect}\n\n`);
    for (const b of this.buffer) if (b.n > since) this.write(b.n, b.data);
    stream.once('close', () => this.detach(stream));
  }

  detach(stream: ServerResponse): void {
    if (this.stream !== stream) return;
    this.stream = null;
    this.detachedAt = now();
  }

  end(): void {
    this.stream?.end();
    this.stream = null;
  }

  dispose(): void {
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
    this.end();
  }

  toPersisted(): PersistedSession {
    return { subscriptions: [...this.subscriptions.keys()], event_counter: this.counter, last_activity: this.lastActivity };
  }
}

/** All SSE sessions of a node: in memory, persisted in the store's `sse` column, expired after 24 h idle. */
export class SseSessions {
  readonly sessions = new Map<bigint, SseSession>();
  private sweeper: NodeJS.Timeout;

  constructor(private readonly node: Node) {
    this.sweeper = setInterval(() => this.sweep(), 600_000);
    this.sweeper.unref();
  }

  async create(): Promise<SseSession> {
    let id: bigint;
    do id = randomBytes(8).readBigUInt64BE();
    while (this.sessions.has(id));
    const s = new SseSession(id, this.node);
    this.sessions.set(id, s);
    await this.persist(s);
    return s;
  }

  async loadPersisted(id: bigint): Promise<PersistedSession | null> {
    return this.node.store.getJson<PersistedSession>('sse', sessionKey(id));
  }

  /** Finds a live session, or restores a persisted one (after a restart); null if absent or expired. */
  async resume(id: bigint): Promise<SseSession | null> {
    const live = this.sessions.get(id);
    if (live) return live.expired() ? null : live;
    const p = await this.loadPersisted(id);
    if (!p || now() - p.last_activity > SESSION_TTL_SECS) return null;
    const s = new SseSession(id, this.node);
    s.counter = p.event_counter;
    s.lastActivity = p.last_activity;
    s.subscribe(p.subscriptions);
    s.lastActivity = p.last_activity;
    this.sessions.set(id, s);
    return s;
  }

  async persist(s: SseSession): Promise<void> {
    await this.node.store.put('sse', sessionKey(s.id), JSON.stringify(s.toPersisted()));
  }

  private sweep(): void {
    const at = now();
    for (const [id, s] of this.sessions) {
      if (s.expired(at)) {
        s.dispose();
        this.sessions.delete(id);
        void this.node.store.delete('sse', sessionKey(id)).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const s of this.sessions.values()) {
      s.end();
      await this.persist(s).catch(() => undefined);
    }
  }
}

const registry = new WeakMap<Node, SseSessions>();

/** The session registry of a node (created on first use, closed with the node). */
export function sessionsOf(node: Node): SseSessions {
  let s = registry.get(node);
  if (!s) {
    const created = new SseSessions(node);
    registry.set(node, created);
    node.onClose(() => created.close());
    s = created;
  }
  return s;
}

/** Parses a u64 session id written in decimal; null when it is not one. */
export function parseSessionId(s: string | undefined): bigint | null {
  if (!s || !/^\d{1,20}$/.test(s)) return null;
  const v = BigInt(s);
  return v <= 0xffff_ffff_ffff_ffffn ? v : null;
}
