import type { WebSocket } from 'ws';
import type { Node } from '../../node/node.ts';
import type { Listener, NodeEvent } from '../../node/events.ts';
import { wsEventFrame } from './encode.ts';
import { parseFrame } from './frame.ts';
import { subscribe, type Subscriber } from './subscribe.ts';
import { unsubscribe } from './unsubscribe.ts';
import type { Principal } from '../auth/principal.ts';

/** Close code and reason upstream sends when the client stopped answering pings (docs/events.md, WebSocket). */
export const PING_TIMEOUT = { code: 1002, reason: 'Ping timeout' } as const;
/** Ours: a client that does not read its frames (see `maxBufferedBytes`) is closed with 1013 "Try Again Later". */
export const TOO_SLOW = { code: 1013, reason: 'Client too slow' } as const;

export interface WsOptions {
  /** `[server.limits] max_subscriptions_per_client`. */
  maxSubscriptions: number;
  /** `[server.websocket] ping_interval_secs` in ms; 0 disables server pings. */
  pingIntervalMs: number;
  /** `[server.websocket] pong_timeout_secs` in ms. */
  pongTimeoutMs: number;
  /** Bytes queued for a client that is not reading, beyond which it is closed (ours; upstream blocks). */
  maxBufferedBytes: number;
}

/**
 * One `/ws` connection (docs/events.md, WebSocket): subscribe/unsubscribe frames, events pushed for the subscribed
 * contexts only, server pings with a pong deadline, client pings answered (by `ws`), binary frames ignored.
 *
 * Each subscribed context holds exactly one listener on the node's event hub; all of them are released when
 * the socket closes for any reason (client close, error, ping timeout, server shutdown).
 */
export class WsConnection implements Subscriber {
  readonly subscriptions = new Map<string, () => void>();
  readonly listener: Listener = (e) => this.push(e);
  private lastPong = Date.now();
  private pinger: NodeJS.Timeout | null = null;
  private killer: NodeJS.Timeout | null = null;
  private disposed = false;
  private readonly delivered: { inc(): void };

  constructor(
    readonly socket: WebSocket,
    readonly node: Pick<Node, 'events' | 'metrics'>,
    readonly options: WsOptions,
    /** Who opened the connection (absent: the node enforces no auth); subscriptions are checked against it. */
    readonly principal?: Principal,
  ) {
    const counts = node.metrics.delivered;
    this.delivered = { inc: () => void counts.ws++ };
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(String(data));
    });
    socket.on('pong', () => (this.lastPong = Date.now()));
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
    if (options.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.tick(), options.pingIntervalMs);
      this.pinger.unref();
    }
  }

  listen(contextId: string): () => void {
    return this.node.events.subscribe(contextId, this.listener);
  }

  /**
   * Every ping interval (upstream `handle_health_check`): if nothing answered for interval + timeout since the
   * last pong (initially since the connection opened), close with 1002 "Ping timeout"; otherwise ping.
   */
  private tick(): void {
    if (Date.now() - this.lastPong > this.options.pingIntervalMs + this.options.pongTimeoutMs) {
      this.close(PING_TIMEOUT.code, PING_TIMEOUT.reason);
      return;
    }
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  private onText(text: string): void {
    if (this.disposed) return;
    const frame = parseFrame(text);
    if (frame.kind === 'drop') return; // upstream: no answer at all
    if (frame.kind === 'invalid') {
      this.reply(frame.id, { error: { type: 'ParseError', data: frame.message } });
      return;
    }
    const { method, contextIds } = frame.payload;
    this.reply(frame.id, method === 'subscribe' ? subscribe(this, contextIds) : unsubscribe(this, contextIds));
  }

  /** `{"id":<id>,"result"|"error":…}` with the request id's exact digits. */
  private reply(id: string, body: { result: unknown } | { error: unknown }): void {
    const key = 'result' in body ? 'result' : 'error';
    this.send(`{"id":${id},"${key}":${JSON.stringify('result' in body ? body.result : body.error)}}`);
  }

  private push(event: NodeEvent): void {
    if (this.send(wsEventFrame(event))) this.delivered.inc();
  }

  /** `text`: a string, or its UTF-8 bytes (sent as a text frame all the same). */
  private send(text: string | Buffer): boolean {
    if (this.disposed || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.close(TOO_SLOW.code, TOO_SLOW.reason);
      return false;
    }
    this.socket.send(text, { binary: false });
    return true;
  }

  /**
   * Sends a close frame and releases everything now; a peer that does not complete the closing handshake
   * within the pong timeout (at most 5 s) has its socket destroyed.
   */
  close(code: number, reason: string): void {
    this.dispose();
    if (this.socket.readyState === this.socket.CLOSED) return;
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
    if (!this.killer) {
      this.killer = setTimeout(() => this.socket.terminate(), Math.min(this.options.pongTimeoutMs || 5000, 5000));
      this.killer.unref();
      this.socket.once('close', () => clearTimeout(this.killer!));
    }
  }

  /** Releases the hub listeners and timers (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }
}
