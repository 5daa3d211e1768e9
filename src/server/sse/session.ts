import type { ServerResponse } from 'node:http';
import type { Node } from '../../node/node.ts';
import type { Listener, NodeEvent } from '../../node/events.ts';
import { sseEventData } from '../ws/encode.ts';

/** Sessions idle longer than this are expired, as upstream (24 h, docs/events.md, SSE). */
export const SESSION_TTL_SECS = 86_400;
/** Ours: replay buffer per session — at most this many events… */
export const REPLAY_MAX_EVENTS = 1_000;
/** …and none older than this. */
export const REPLAY_MAX_AGE_MS = 5 * 60_000;
/** Ours: bytes a stream may leave unsent before it is cut (the client reconnects and gets a replay). */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/** The value stored for a session in the store's `sse` column (upstream's `PersistedSessionData`). */
export interface PersistedSession {
  subscriptions: string[];
  event_counter: number;
  last_activity: number;
}

export const nowSecs = () => Math.floor(Date.now() / 1000);

interface Buffered {
  n: number;
  at: number;
  data: string;
}

/** A bounded FIFO of numbered events (count and age limits); entries share the per-event JSON text. */
class ReplayBuffer {
  private items: Array<Buffered | undefined> = new Array(REPLAY_MAX_EVENTS);
  private head = 0;
  private size = 0;

  push(b: Buffered): void {
    this.items[(this.head + this.size) % REPLAY_MAX_EVENTS] = b;
    if (this.size < REPLAY_MAX_EVENTS) this.size++;
    else this.head = (this.head + 1) % REPLAY_MAX_EVENTS;
  }

  /** Entries numbered above `n` and younger than the age limit, oldest first. */
  after(n: number): Buffered[] {
    const oldest = Date.now() - REPLAY_MAX_AGE_MS;
    const out: Buffered[] = [];
    for (let i = 0; i < this.size; i++) {
      const b = this.items[(this.head + i) % REPLAY_MAX_EVENTS]!;
      if (b.n > n && b.at >= oldest) out.push(b);
    }
    return out;
  }
}

/** One attached HTTP response: writes frames, sends the keep-alive comment after `keepAliveMs` of silence. */
class Stream {
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    readonly res: ServerResponse,
    keepAliveMs: number,
  ) {
    this.keepAlive = setTimeout(() => {
      this.write(':\n\n');
    }, keepAliveMs);
    this.keepAlive.unref();
    res.once('close', () => clearTimeout(this.keepAlive));
  }

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  write(text: string): boolean {
    if (!this.open) return false;
    this.res.write(text);
    // Node's HTTP layer corks the socket on a write and sends at the next tick; during a fan-out that puts every
    // SSE subscriber after every WebSocket one. Sending now keeps the publish order (one writev per event anyway).
    this.res.socket?.uncork();
    this.keepAlive.refresh();
    if (this.res.writableLength > MAX_UNSENT_BYTES) {
      // The client does not read: cut it rather than buffer without bound; its reconnect replays.
      this.res.destroy();
      return false;
    }
    return true;
  }

  /** Ends the response and then closes its socket, so server shutdown does not wait on a keep-alive socket. */
  end(): void {
    clearTimeout(this.keepAlive);
    if (!this.open) return;
    const socket = this.res.socket;
    this.res.end(() => socket?.destroySoon());
  }
}

/**
 * One SSE session (docs/events.md, SSE).
 *
 * Improvements over upstream, which spawns one event forwarder per `GET /sse` that never exits (so a
 * session reconnected N times receives every event N+1 times) and drops events while the client is away:
 * - the session itself, not the HTTP stream, owns one hub listener per subscribed context, so there is exactly
 *   one forwarder per session; attaching a new stream ends the previous one;
 * - every event for a subscribed context is numbered when it happens (connected or not) and kept in a
 *   bounded buffer ({@link REPLAY_MAX_EVENTS} events, {@link REPLAY_MAX_AGE_MS}); a reconnect with
 *   `Last-Event-ID: <session>-<n>` replays the buffered events after `n`, in order. If the client was away
 *   longer than the buffer covers, it gets what is left and sees the id jump;
 * - ids are strictly increasing per session across reconnects and restarts: real events start at 1 (upstream's
 *   first event reuses `<session>-0`, the connect id), and the counter never moves backwards (a client that
 *   saw a higher id than the persisted counter, e.g. after a crash, moves it up).
 */
export class SseSession {
  readonly subscriptions = new Map<string, () => void>();
  /** Id of the last numbered event (0: none yet). */
  counter = 0;
  /** Unix seconds of creation / subscription change / stream attach or detach (expiry base). */
  lastActivity = nowSecs();
  /** A client attached a stream since this process started (status "active"); restored-only is "persisted". */
  resumed = false;
  /** Milliseconds when the last stream went away (eviction order). */
  detachedAt = Date.now();
  /**
   * Principal id of the credential that last attached a stream (ours; in memory only). Another credential
   * cannot resume, change or read this session.
   */
  owner: string | undefined;
  private stream: Stream | null = null;
  private readonly buffer = new ReplayBuffer();
  private readonly listener: Listener = (e) => this.deliver(e);
  private disposed = false;
  private readonly delivered: { inc(): void };

  constructor(
    readonly id: bigint,
    private readonly node: Pick<Node, 'events' | 'metrics'>,
    /** Called when state worth persisting changed without an immediate write (counter, activity). */
    private readonly dirty: (s: SseSession) => void,
  ) {
    const counts = node.metrics.delivered;
    this.delivered = { inc: () => void counts.sse++ };
  }

  get connected(): boolean {
    return this.stream?.open ?? false;
  }

  expired(at = nowSecs()): boolean {
    return !this.connected && at - this.lastActivity > SESSION_TTL_SECS;
  }

  touch(): void {
    this.lastActivity = nowSecs();
  }

  subscribe(contextIds: Iterable<string>): void {
    if (this.disposed) return;
    for (const c of contextIds) {
      if (!this.subscriptions.has(c)) this.subscriptions.set(c, this.node.events.subscribe(c, this.listener));
    }
  }

  /** Returns the ids that were subscribed and are now removed, in request order. */
  unsubscribe(contextIds: string[]): string[] {
    const removed: string[] = [];
    for (const c of contextIds) {
      const off = this.subscriptions.get(c);
      if (off) {
        this.subscriptions.delete(c);
        if (!this.disposed) off();
        removed.push(c);
      }
    }
    return removed;
  }

  private deliver(event: NodeEvent): void {
    const n = ++this.counter;
    const data = sseEventData(event);
    this.buffer.push({ n, at: Date.now(), data });
    if (this.stream && this.writeEvent(this.stream, n, data)) this.delivered.inc();
    this.dirty(this);
  }

  private writeEvent(stream: Stream, n: number, data: string): boolean {
    return stream.write(`event:message\nid:${this.id}-${n}\ndata:${data}\n\n`);
  }

  /**
   * Attaches a response (after its headers are written): ends the previous stream of this session, sends
   * the `connect` message, then replays the buffered events after `lastSeen`.
   *
   * The connect message carries `id:<session>-<k>`, k = the position the client resumes from: 0 for a new
   * session (exactly upstream's first event), the client's own last id on a reconnect (so an EventSource
   * that drops again right away still asks for the right events), or the current counter when the client
   * did not say (nothing is replayed, as upstream).
   */
  attach(res: ServerResponse, reconnect: boolean, lastSeen: number | null, keepAliveMs: number): void {
    if (lastSeen !== null && lastSeen > this.counter) this.counter = lastSeen;
    const since = lastSeen ?? this.counter;
    this.stream?.end();
    const stream = new Stream(res, keepAliveMs);
    this.stream = stream;
    this.resumed = true;
    this.touch();
    this.dirty(this);
    const connect = JSON.stringify({ type: 'connect', session_id: String(this.id), reconnect });
    stream.write(`event:message\nid:${this.id}-${since}\nretry:3000\ndata:${connect}\n\n`);
    for (const b of this.buffer.after(since)) {
      if (this.writeEvent(stream, b.n, b.data)) this.delivered.inc();
    }
    res.once('close', () => {
      if (this.stream !== stream) return;
      this.stream = null;
      this.detachedAt = Date.now();
      this.touch();
      this.dirty(this);
    });
  }

  /** Ends the attached stream, if any (the session stays). */
  end(): void {
    this.stream?.end();
    this.stream = null;
  }

  /** Ends the stream and releases the hub listeners (idempotent). */
  dispose(): void {
    this.end();
    if (this.disposed) return;
    this.disposed = true;
    for (const off of this.subscriptions.values()) off();
  }

  toPersisted(): PersistedSession {
    return { subscriptions: [...this.subscriptions.keys()], event_counter: this.counter, last_activity: this.lastActivity };
  }
}
