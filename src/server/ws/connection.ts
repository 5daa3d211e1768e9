import type { WebSocket } from 'ws';
import type { Node } from '../../node/node.ts';
import type { NodeEvent } from '../../node/events.ts';
import { wsRequest } from '../../wire/events.ts';
import { validationMessage } from '../errors.ts';

/** Close code and reason upstream sends when the client stopped answering pings. */
export const PING_TIMEOUT = { code: 1002, reason: 'Ping timeout' };

export interface WsLimits {
  maxSubscriptions: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
}

/**
 * One `/ws` connection (server-api §9): subscribe/unsubscribe frames, pushed events for subscribed contexts,
 * server pings with a pong deadline. Text frames are handled as they arrive; binary frames are ignored.
 */
export class WsConnection {
  private readonly subscriptions = new Map<string, () => void>();
  private lastPong = Date.now();
  private pinger: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly node: Node,
    private readonly limits: WsLimits,
  ) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(String(data));
    });
    socket.on('pong', () => (this.lastPong = Date.now()));
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
    if (limits.pingIntervalMs > 0) {
      this.pinger = setInterval(() => this.ping(), limits.pingIntervalMs);
      this.pinger.unref();
    }
  }

  private ping(): void {
    if (Date.now() - this.lastPong > this.limits.pingIntervalMs + this.limits.pongTimeoutMs) {
      this.socket.close(PING_TIMEOUT.code, PING_TIMEOUT.reason);
      this.dispose();
      return;
    }
    this.socket.ping();
  }

  private send(frame: unknown): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private onText(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // not JSON: dropped without a reply, as upstream
    }
    if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return;
    const rawId = (frame as { id?: unknown }).id;
    if (rawId !== undefined && rawId !== null && !(Number.isInteger(rawId) && (rawId as number) >= 0)) return;
    const id = (rawId as number | undefined) ?? null;
    const parsed = wsRequest.safeParse(frame);
    if (!parsed.success) {
      this.send({ id, error: { type: 'ParseError', data: parseErrorText(frame, parsed.error.issues) } });
      return;
    }
    const { method, params } = parsed.data;
    if (method === 'subscribe') {
      const fresh = params.contextIds.filter((c) => !this.subscriptions.has(c));
      if (this.subscriptions.size + new Set(fresh).size > this.limits.maxSubscriptions) {
        this.send({
          id,
          error: { type: 'ParseError', data: `subscription limit reached: at most ${this.limits.maxSubscriptions} contexts per connection` },
        });
        return;
      }
      for (const c of fresh) {
        if (!this.subscriptions.has(c)) this.subscriptions.set(c, this.node.events.subscribe(c, (e) => this.push(e)));
      }
    } else {
      for (const c of params.contextIds) {
        this.subscriptions.get(c)?.();
        this.subscriptions.delete(c);
      }
    }
    // Both answers echo the requested ids (upstream behaviour for unsubscribe too).
    this.send({ id, result: { contextIds: params.contextIds } });
  }

  private push(event: NodeEvent): void {
    this.send({ id: null, result: event });
    this.node.metrics.eventsDelivered.inc({ transport: 'ws' });
  }

  dispose(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }
}

/** serde-like text for a payload that does not match `{method: subscribe|unsubscribe, params: {contextIds}}`. */
export function parseErrorText(frame: unknown, issues: Parameters<typeof validationMessage>[0]): string {
  const method = (frame as { method?: unknown }).method;
  if (typeof method === 'string' && method !== 'subscribe' && method !== 'unsubscribe') {
    return `unknown variant \`${method}\`, expected \`subscribe\` or \`unsubscribe\``;
  }
  if (method === undefined) return 'missing field `method`';
  return validationMessage(issues);
}
