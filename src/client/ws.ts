import { nodeEvent, wsErrorBody, wsSubscriptionResult } from '../wire/events.ts';
import { ResponseError, RpcError } from './errors.ts';
import type { NodeEvent } from './types.ts';

/**
 * The part of the standard WebSocket API the client uses: browsers' `WebSocket` and the `ws` package both
 * provide it. `failure` lets a factory report why a handshake was refused (e.g. an ApiError for HTTP 401).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (ev: any) => void): void;
  failure?: Error;
}

/** Opens a socket; `headers` can only be honoured outside browsers (the token is also in the URL). */
export type WebSocketFactory = (url: string, headers: Record<string, string>) => WebSocketLike;

export interface WsOptions {
  /** The socket closed (by `close()`, by the node, or by a network failure). */
  onClose?(code: number, reason: string): void;
  /** A pushed frame that is not a valid node event. */
  onError?(err: Error): void;
}

export interface WsSubscription {
  /** The contexts currently subscribed on this connection. */
  readonly contextIds: ReadonlySet<string>;
  subscribe(contextIds: string[]): Promise<string[]>;
  /** Unsubscribes the given contexts (all when omitted); resolves with the ids the node echoed. */
  unsubscribe(contextIds?: string[]): Promise<string[]>;
  close(): void;
  /** Settles when the socket is closed, with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** `http://host/x` → `ws://host/x/ws?token=…`. */
export function wsUrl(base: string, token: string | undefined): string {
  const u = new URL(base.replace(/^http/, 'ws') + '/ws');
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

/**
 * Connects to `/ws` (docs/events.md, WebSocket), subscribes to `contextIds` and resolves once the node confirmed the
 * subscription. Pushed frames `{"id":null,"result":NodeEvent}` are validated and passed to `onEvent`.
 */
export async function connectWs(
  socket: WebSocketLike,
  contextIds: string[],
  onEvent: (event: NodeEvent) => void,
  o: WsOptions = {},
): Promise<WsSubscription> {
  const pending = new Map<number, { resolve(ids: string[]): void; reject(err: Error): void }>();
  const subscribed = new Set<string>();
  let nextId = 1;
  let closeInfo: { code: number; reason: string } | null = null;
  let settleClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (settleClosed = r));

  socket.addEventListener('message', (ev: { data: unknown }) => {
    const text = typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as Uint8Array);
    let frame: { id?: unknown; result?: unknown; error?: unknown };
    try {
      frame = JSON.parse(text);
    } catch {
      o.onError?.(new ResponseError('WebSocket frame is not JSON', text));
      return;
    }
    if (frame.id === null || frame.id === undefined) {
      const e = nodeEvent.safeParse(frame.result);
      if (e.success) onEvent(e.data);
      else o.onError?.(new ResponseError('WebSocket frame is not a node event', frame, e.error.issues));
      return;
    }
    const p = pending.get(frame.id as number);
    if (!p) return;
    pending.delete(frame.id as number);
    if (frame.error !== undefined) {
      const err = wsErrorBody.safeParse(frame.error);
      p.reject(err.success ? new RpcError(err.data.type, err.data.data) : new ResponseError('bad WebSocket error frame', frame));
      return;
    }
    const r = wsSubscriptionResult.safeParse(frame.result);
    if (r.success) p.resolve(r.data.contextIds);
    else p.reject(new ResponseError('bad WebSocket answer', frame, r.error.issues));
  });
  socket.addEventListener('close', (ev: { code?: number; reason?: string }) => {
    closeInfo = { code: ev.code ?? 1006, reason: ev.reason ?? '' };
    for (const p of pending.values()) p.reject(new Error(`WebSocket closed (${closeInfo.code}${closeInfo.reason ? ` ${closeInfo.reason}` : ''})`));
    pending.clear();
    settleClosed(closeInfo);
    o.onClose?.(closeInfo.code, closeInfo.reason);
  });

  await new Promise<void>((resolve, reject) => {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      reject(socket.failure ?? err);
    };
    socket.addEventListener('open', () => {
      done = true;
      resolve();
    });
    socket.addEventListener('error', (ev: { message?: string; error?: unknown }) =>
      fail(ev.error instanceof Error ? ev.error : new Error(ev.message || 'WebSocket connection failed')),
    );
    socket.addEventListener('close', (ev: { code?: number }) => fail(new Error(`WebSocket closed during the handshake (${ev.code ?? 1006})`)));
  });

  function send(method: 'subscribe' | 'unsubscribe', ids: string[]): Promise<string[]> {
    if (closeInfo) return Promise.reject(new Error('WebSocket is closed'));
    const id = nextId++;
    return new Promise<string[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params: { contextIds: ids } }));
    });
  }

  const sub: WsSubscription = {
    contextIds: subscribed,
    async subscribe(ids) {
      const r = await send('subscribe', ids);
      for (const c of ids) subscribed.add(c);
      return r;
    },
    async unsubscribe(ids) {
      const which = ids ?? [...subscribed];
      const r = await send('unsubscribe', which);
      for (const c of which) subscribed.delete(c);
      return r;
    },
    close() {
      if (!closeInfo) socket.close(1000);
    },
    closed,
  };
  try {
    if (contextIds.length > 0) await sub.subscribe(contextIds);
  } catch (err) {
    sub.close();
    throw err;
  }
  return sub;
}

/** The WebSocket of the platform (browsers, Node ≥ 22); Node 20 needs the `ws` factory of ./node.ts. */
export const globalWebSocket: WebSocketFactory = (url) => {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!Ctor) throw new Error('no global WebSocket here: use NodeMeroClient from src/client/node.ts (the `ws` package)');
  return new Ctor(url);
};
