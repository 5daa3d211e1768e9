import { nodeEvent, sseConnectMessage } from '../wire/events.ts';
import { ApiError, ResponseError } from './errors.ts';
import { parseSse, type SseMessage } from './sse-parser.ts';
import type { RawRequestInit } from './http.ts';
import type { NodeEvent } from './types.ts';

export interface SseOptions {
  /** `Last-Event-ID` of a previous stream (`<session>-<n>`): resumes that session and replays what it missed. */
  lastEventId?: string;
  /** Reconnect (with `Last-Event-ID`) when the stream ends, as EventSource does. Default true. */
  reconnect?: boolean;
  /** Delay before the first reconnect attempt; default: the stream's `retry:` (3000 ms). Doubles up to 30 s. */
  retryMs?: number;
  /** Stream failures and reconnect failures (the subscription keeps trying while `reconnect` is on). */
  onError?(err: Error): void;
  /** A new stream is attached; `resumed` is false when the node started a new session (events may be lost). */
  onReconnect?(info: { sessionId: string; resumed: boolean }): void;
  /**
   * Also send the token as `?token=` on `GET /sse` (default true). The stream is read with fetch, which always
   * sends `Authorization: Bearer`; pass false to keep the token out of URLs (logs, proxies).
   */
  tokenInQuery?: boolean;
}

export interface SseSubscription {
  /** The current session id (u64 in decimal); it changes if the node could not resume the session. */
  readonly sessionId: string;
  /** The `id` of the last message received (`<session>-<n>`): pass it as `lastEventId` to resume later. */
  readonly lastEventId: string | undefined;
  readonly contextIds: ReadonlySet<string>;
  subscribe(contextIds: string[]): Promise<string[]>;
  /** Unsubscribes the given contexts (all when omitted); resolves with the ids actually removed. */
  unsubscribe(contextIds?: string[]): Promise<string[]>;
  close(): void;
  /** Settles when the subscription ends (close(), or the stream ended with `reconnect: false`). */
  readonly closed: Promise<void>;
}

type Iter = AsyncGenerator<SseMessage>;

/** What a subscription needs of the client (MeroClient has it). */
export interface SseClient {
  fetchRaw(path: string, init?: RawRequestInit): Promise<Response>;
  sseSubscribe(sessionId: string, contextIds: string[]): Promise<string[]>;
  sseUnsubscribe(sessionId: string, contextIds: string[]): Promise<{ unsubscribed: string[]; requested: string[] }>;
}

/**
 * Subscribes over SSE (docs/events.md, SSE) with fetch streaming — Node 20 has no EventSource, and fetch lets the
 * client send `Authorization`. Resolves once the stream is open and the contexts are subscribed.
 */
export async function subscribeSse(
  client: SseClient,
  contextIds: string[],
  onEvent: (event: NodeEvent, meta: { id: string }) => void,
  o: SseOptions = {},
): Promise<SseSubscription> {
  const wanted = new Set<string>();
  let sessionId = '';
  let lastEventId = o.lastEventId;
  let retryMs = o.retryMs;
  let stopped = false;
  let abort: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let settleClosed!: () => void;
  const closed = new Promise<void>((r) => (settleClosed = r));

  /** Opens a stream and reads up to the `connect` message; returns the iterator for the rest. */
  async function open(): Promise<{ iter: Iter; resumed: boolean }> {
    const ac = new AbortController();
    abort = ac;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await client.fetchRaw('/sse', { headers, signal: ac.signal, tokenInQuery: o.tokenInQuery ?? true, cache: 'no-store' });
    if (!res.ok || !res.body) throw new ApiError(res.status, await readError(res), 'GET', '/sse');
    const iter = parseSse(res.body);
    let resumed = res.headers.get('x-sse-reconnect') === 'true';
    sessionId = res.headers.get('x-sse-session-id') ?? '';
    // The first message is always `connect` (it carries the session id even where the header is not exposed).
    for (;;) {
      const first = await iter.next();
      if (first.done) throw new Error('SSE stream ended before the connect message');
      const m = first.value;
      track(m);
      if (!m.data) continue;
      const c = sseConnectMessage.safeParse(safeJson(m.data));
      if (!c.success) throw new ResponseError('SSE stream did not start with a connect message', m.data);
      sessionId = c.data.session_id;
      resumed = c.data.reconnect;
      break;
    }
    return { iter, resumed };
  }

  function track(m: SseMessage): void {
    if (m.id) lastEventId = m.id;
    if (m.retry && o.retryMs === undefined && /^\d+$/.test(m.retry)) retryMs = Number(m.retry);
  }

  async function pump(iter: Iter): Promise<void> {
    try {
      for await (const m of iter) {
        track(m);
        if (!m.data) continue;
        const msg = safeJson(m.data) as { result?: unknown; type?: unknown; message?: unknown } | undefined;
        if (msg && msg.result !== undefined) {
          const e = nodeEvent.safeParse(msg.result);
          if (e.success) onEvent(e.data, { id: m.id ?? '' });
          else o.onError?.(new ResponseError('SSE message is not a node event', m.data, e.error.issues));
        } else if (msg?.type === 'error') {
          o.onError?.(new Error(`SSE error message: ${String(msg.message)}`));
        }
      }
      if (!stopped) o.onError?.(new Error('SSE stream ended'));
    } catch (err) {
      if (!stopped) o.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
    if (stopped) return;
    if (o.reconnect === false) {
      stopped = true;
      settleClosed();
      return;
    }
    scheduleReconnect(retryMs ?? 3000);
  }

  function scheduleReconnect(delay: number): void {
    timer = setTimeout(async () => {
      timer = null;
      if (stopped) return;
      try {
        const { iter, resumed } = await open();
        // A resumed session keeps its subscriptions; subscribing again is idempotent and covers new sessions.
        if (wanted.size > 0) await client.sseSubscribe(sessionId, [...wanted]);
        o.onReconnect?.({ sessionId, resumed });
        void pump(iter);
      } catch (err) {
        if (stopped) return;
        o.onError?.(err instanceof Error ? err : new Error(String(err)));
        scheduleReconnect(Math.min(delay * 2, 30_000));
      }
    }, delay);
  }

  const { iter } = await open();
  try {
    if (contextIds.length > 0) await client.sseSubscribe(sessionId, contextIds);
  } catch (err) {
    stopped = true;
    (abort as AbortController | null)?.abort();
    throw err;
  }
  for (const c of contextIds) wanted.add(c);
  void pump(iter);

  return {
    get sessionId() {
      return sessionId;
    },
    get lastEventId() {
      return lastEventId;
    },
    contextIds: wanted,
    async subscribe(ids) {
      const r = await client.sseSubscribe(sessionId, ids);
      for (const c of ids) wanted.add(c);
      return r;
    },
    async unsubscribe(ids) {
      const which = ids ?? [...wanted];
      const r = await client.sseUnsubscribe(sessionId, which);
      for (const c of which) wanted.delete(c);
      return r.unsubscribed;
    },
    close() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      abort?.abort();
      settleClosed();
    },
    closed,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readError(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  return safeJson(text) ?? text;
}
