/**
 * Live context events over SSE (docs/events.md, SSE) through the client's `subscribeSse` (fetch streaming, so the
 * request carries `Authorization: Bearer`, which EventSource cannot; no token in the URL). One subscription
 * for the whole dashboard: it keeps recording while the user moves between pages, so a JSON-RPC call made in
 * the console shows up in the live view. The client reconnects by itself with `Last-Event-ID` and subscribes
 * the contexts again; this hub only adds what the pages show (status, confirmed subscriptions, a log).
 */
import { ApiError, client, type NodeEvent } from './api.ts';
import type { SseSubscription } from '../../../../src/client/index.ts';

export interface ExecutionEventView {
  kind: string;
  data: number[];
  handler: string | null;
}

export interface LiveEvent {
  seq: number;
  /** SSE `id:` (`<session>-<counter>`). */
  id: string | null;
  receivedAt: number;
  contextId: string;
  type: string;
  newRoot: string;
  events: ExecutionEventView[];
  raw: unknown;
}

export type HubStatus = 'idle' | 'connecting' | 'open' | 'retrying' | 'closed';

export interface HubSnapshot {
  status: HubStatus;
  sessionId: string | null;
  subscriptions: string[];
  /** Subscriptions the node confirmed for the current session. */
  confirmed: string[];
  events: LiveEvent[];
  error: Error | null;
  /** Other non-event messages (connect, errors), newest last; for the raw log. */
  notices: string[];
}

const MAX_EVENTS = 500;
const RETRY_MS = 3000;

export class EventHub {
  private snapshot: HubSnapshot = { status: 'idle', sessionId: null, subscriptions: [], confirmed: [], events: [], error: null, notices: [] };
  private readonly listeners = new Set<() => void>();
  private readonly wanted = new Set<string>();
  private sub: SseSubscription | null = null;
  /** Bumped by connect()/stop(): callbacks of an older subscription are ignored. */
  private generation = 0;
  private lastEventId: string | undefined;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;

  get(): HubSnapshot {
    return this.snapshot;
  }

  subscribeListener(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<HubSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  private notice(text: string): void {
    const notices = [...this.snapshot.notices, `${new Date().toLocaleTimeString()} ${text}`].slice(-50);
    this.set({ notices });
  }

  /** Subscribes to a context's events (opening the stream if needed). */
  async watch(contextId: string): Promise<void> {
    this.wanted.add(contextId);
    this.set({ subscriptions: [...this.wanted] });
    if (!this.sub) {
      if (this.snapshot.status !== 'connecting' && this.snapshot.status !== 'retrying') this.connect();
      return; // subscribed when the stream opens
    }
    await this.change('subscribe', [contextId]);
  }

  async unwatch(contextId: string): Promise<void> {
    this.wanted.delete(contextId);
    this.set({ subscriptions: [...this.wanted], confirmed: this.snapshot.confirmed.filter((c) => c !== contextId) });
    if (this.sub) await this.change('unsubscribe', [contextId]);
  }

  clear(): void {
    this.set({ events: [] });
  }

  stop(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sub?.close();
    this.sub = null;
    this.set({ status: 'closed', sessionId: null, confirmed: [] });
  }

  /** (Re)opens the stream, resuming the last session when the node still has it. */
  connect(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const gen = ++this.generation;
    const old = this.sub;
    if (old) this.lastEventId = old.lastEventId ?? this.lastEventId;
    old?.close();
    this.sub = null;
    this.set({ status: 'connecting', error: null });
    const mine = () => gen === this.generation;
    client
      .subscribeSse([...this.wanted], (e, meta) => mine() && this.onEvent(e, meta.id), {
        lastEventId: this.lastEventId,
        tokenInQuery: false,
        onError: (err) => {
          if (!mine()) return;
          this.set({ status: 'retrying', error: err, confirmed: [] });
          this.notice(`${err.message}; reconnecting`);
        },
        onReconnect: ({ sessionId, resumed }) => {
          if (!mine()) return;
          this.set({ status: 'open', error: null, sessionId, confirmed: [...(this.sub?.contextIds ?? [])] });
          this.notice(`connected, session ${sessionId}${resumed ? ' (resumed)' : ''}`);
        },
      })
      .then(
        (sub) => {
          if (!mine()) return sub.close();
          this.sub = sub;
          this.set({ status: 'open', error: null, sessionId: sub.sessionId, confirmed: [...sub.contextIds] });
          this.notice(`connected, session ${sub.sessionId}`);
          // Contexts added while the stream was opening.
          const missing = [...this.wanted].filter((c) => !sub.contextIds.has(c));
          if (missing.length) void this.change('subscribe', missing).catch((err: unknown) => this.set({ error: err as Error }));
        },
        (err: unknown) => {
          if (!mine()) return;
          this.set({ status: 'retrying', error: err instanceof Error ? err : new Error(String(err)), sessionId: null, confirmed: [] });
          this.timer = setTimeout(() => mine() && this.connect(), RETRY_MS);
        },
      );
  }

  private onEvent(e: NodeEvent, id: string): void {
    const live: LiveEvent = {
      seq: ++this.seq,
      id: id || null,
      receivedAt: Date.now(),
      contextId: e.contextId,
      type: e.type,
      newRoot: e.data.newRoot,
      events: e.data.events,
      raw: e,
    };
    this.set({ events: [live, ...this.snapshot.events].slice(0, MAX_EVENTS) });
  }

  private async change(method: 'subscribe' | 'unsubscribe', contextIds: string[]): Promise<void> {
    const sub = this.sub;
    if (!sub) return;
    try {
      if (method === 'subscribe') await sub.subscribe(contextIds);
      else await sub.unsubscribe(contextIds);
      if (sub === this.sub) {
        const confirmed = new Set(this.snapshot.confirmed);
        for (const c of contextIds) {
          if (method === 'subscribe' && this.wanted.has(c)) confirmed.add(c);
          else confirmed.delete(c);
        }
        this.set({ confirmed: [...confirmed] });
      }
      this.notice(`${method}d ${contextIds.length === 1 ? contextIds[0] : `${contextIds.length} contexts`}`);
    } catch (err) {
      // The session is gone from the node's memory (restart): reconnect, which subscribes again.
      if (err instanceof ApiError && err.status === 404) this.connect();
      else throw err;
    }
  }
}

export const hub = new EventHub();
