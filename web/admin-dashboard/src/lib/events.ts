/**
 * Live context events over SSE (server-api §11), read with fetch streaming so the request can carry
 * `Authorization: Bearer` (EventSource cannot). One connection for the whole dashboard: it keeps recording
 * while the user moves between pages, so a JSON-RPC call made in the console shows up in the live view.
 *
 *   GET /sse                → first message {"type":"connect","session_id":"<u64>","reconnect":bool}
 *   POST /sse/subscription  → {"id":"<session>","method":"subscribe","params":{"contextIds":[…]}}
 *   node events             → {"result":{"contextId","type":"StateMutation","data":{"newRoot","events":[…]}}}
 */
import { nodeEvent } from '../../../../src/wire/events.ts';
import { accessToken, accessTokenExpired, markAuthorized, refreshTokens, requireLogin } from './auth.ts';
import { ApiError, errorFromResponse, requestJson } from './http.ts';
import { authUrl } from './paths.ts';
import { readSse } from './sse.ts';

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
  error: ApiError | Error | null;
  /** Other non-event messages (connect, errors), newest last; for the raw log. */
  notices: string[];
}

const MAX_EVENTS = 500;

export class EventHub {
  private snapshot: HubSnapshot = { status: 'idle', sessionId: null, subscriptions: [], confirmed: [], events: [], error: null, notices: [] };
  private readonly listeners = new Set<() => void>();
  private readonly wanted = new Set<string>();
  private abort: AbortController | null = null;
  private lastEventId: string | null = null;
  private retryMs = 3000;
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
    if (this.snapshot.status === 'idle' || this.snapshot.status === 'closed') {
      this.connect();
      return; // subscribed on connect
    }
    if (this.snapshot.sessionId) await this.postSubscription('subscribe', [contextId]);
  }

  async unwatch(contextId: string): Promise<void> {
    this.wanted.delete(contextId);
    this.set({ subscriptions: [...this.wanted], confirmed: this.snapshot.confirmed.filter((c) => c !== contextId) });
    if (this.snapshot.sessionId) await this.postSubscription('unsubscribe', [contextId]);
  }

  clear(): void {
    this.set({ events: [] });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.abort = null;
    this.set({ status: 'closed', sessionId: null, confirmed: [] });
  }

  connect(): void {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.set({ status: 'connecting', error: null });
    void this.run(ac).catch((err: unknown) => {
      if (ac.signal.aborted) return;
      this.set({ error: err instanceof Error ? err : new Error(String(err)), sessionId: null });
      this.scheduleRetry(ac);
    });
  }

  private scheduleRetry(ac: AbortController): void {
    if (ac !== this.abort || ac.signal.aborted) return;
    this.set({ status: 'retrying', sessionId: null, confirmed: [] });
    this.timer = setTimeout(() => {
      if (ac === this.abort && !ac.signal.aborted) this.connect();
    }, this.retryMs);
  }

  private async open(signal: AbortSignal): Promise<Response> {
    if (accessTokenExpired()) await refreshTokens();
    const attempt = () => {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = accessToken();
      if (token) headers.authorization = `Bearer ${token}`;
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      return fetch(authUrl('/sse'), { headers, signal, cache: 'no-store' });
    };
    let res = await attempt();
    if (res.status === 401 && (await refreshTokens())) res = await attempt();
    if (res.status === 401) requireLogin();
    if (!res.ok || !res.body) throw await errorFromResponse(res, 'GET', '/sse');
    markAuthorized();
    return res;
  }

  private async run(ac: AbortController): Promise<void> {
    const res = await this.open(ac.signal);
    this.set({ status: 'open', error: null });
    for await (const msg of readSse(res.body!)) {
      if (ac !== this.abort) return;
      if (msg.retry !== undefined) this.retryMs = Math.max(500, msg.retry);
      if (msg.id) this.lastEventId = msg.id;
      let payload: unknown;
      try {
        payload = JSON.parse(msg.data);
      } catch {
        this.notice(`unparsable message: ${msg.data.slice(0, 200)}`);
        continue;
      }
      await this.handle(payload, msg.id);
    }
    // The server closed the stream: reconnect (same session via Last-Event-ID).
    this.notice('stream closed by the node; reconnecting');
    this.scheduleRetry(ac);
  }

  private async handle(payload: unknown, id: string | null): Promise<void> {
    const p = payload as { type?: string; session_id?: unknown; reconnect?: unknown; result?: unknown; message?: unknown };
    if (p.type === 'connect') {
      const sessionId = String(p.session_id);
      this.set({ sessionId, confirmed: [] });
      this.notice(`connected, session ${sessionId}${p.reconnect ? ' (resumed)' : ''}`);
      if (this.wanted.size > 0) {
        try {
          await this.postSubscription('subscribe', [...this.wanted]);
        } catch (err) {
          this.set({ error: err as Error });
        }
      }
      return;
    }
    if (p.type === 'error' || p.type === 'close') {
      this.notice(`${p.type}: ${String(p.message ?? (p as { reason?: unknown }).reason ?? '')}`);
      return;
    }
    const parsed = nodeEvent.safeParse(p.result);
    if (!parsed.success) {
      this.notice(`message: ${JSON.stringify(payload).slice(0, 300)}`);
      return;
    }
    const e = parsed.data;
    const live: LiveEvent = {
      seq: ++this.seq,
      id,
      receivedAt: Date.now(),
      contextId: e.contextId,
      type: e.type,
      newRoot: e.data.newRoot,
      events: e.data.events,
      raw: p.result,
    };
    this.set({ events: [live, ...this.snapshot.events].slice(0, MAX_EVENTS) });
  }

  private async postSubscription(method: 'subscribe' | 'unsubscribe', contextIds: string[]): Promise<void> {
    const sessionId = this.snapshot.sessionId;
    if (!sessionId) return;
    try {
      await requestJson('POST', authUrl('/sse/subscription'), { body: { id: sessionId, method, params: { contextIds } } });
      if (sessionId === this.snapshot.sessionId) {
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
