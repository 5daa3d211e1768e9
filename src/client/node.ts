import WebSocket from 'ws';
import { ApiError, MeroClient, type ClientOptions } from './index.ts';
import { connectWs, wsUrl, type WebSocketFactory, type WebSocketLike, type WsOptions, type WsSubscription } from './ws.ts';
import type { SseOptions, SseSubscription } from './sse.ts';
import type { NodeEvent } from './types.ts';

export * from './index.ts';

/**
 * A WebSocket from the `ws` package (Node 20 has no global WebSocket). Unlike a browser's, it sends the
 * `Authorization` header on the upgrade, and a refused upgrade becomes an ApiError with the node's status.
 */
export const nodeWebSocket: WebSocketFactory = (url, headers) => {
  const ws = new WebSocket(url, { headers });
  const like = ws as unknown as WebSocketLike;
  ws.once('unexpected-response', (_req, res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => {
      let parsed: unknown = body;
      try {
        parsed = body ? JSON.parse(body) : '';
      } catch {
        /* text */
      }
      like.failure = new ApiError(res.statusCode ?? 0, parsed, 'GET', '/ws');
      ws.terminate();
    });
  });
  return like;
};

/** MeroClient whose `subscribeWs` uses the `ws` package (for Node). */
export class NodeMeroClient extends MeroClient {
  constructor(o: ClientOptions) {
    super({ webSocket: nodeWebSocket, ...o });
  }
}

/** Subscribes over WebSocket with the `ws` package, whatever WebSocket the client was configured with. */
export async function subscribeWs(
  client: MeroClient,
  contextIds: string[],
  onEvent: (event: NodeEvent) => void,
  o: WsOptions = {},
): Promise<WsSubscription> {
  const token = await client.bearerToken();
  const socket = nodeWebSocket(wsUrl(client.url, token), token ? { authorization: `Bearer ${token}` } : {});
  return connectWs(socket, contextIds, onEvent, o);
}

/** Subscribes over SSE (same as `client.subscribeSse`). */
export function subscribeSse(
  client: MeroClient,
  contextIds: string[],
  onEvent: (event: NodeEvent, meta: { id: string }) => void,
  o: SseOptions = {},
): Promise<SseSubscription> {
  return client.subscribeSse(contextIds, onEvent, o);
}
