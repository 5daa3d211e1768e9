import WebSocket from 'ws';
import { nodeEvent } from '../wire/events.ts';
import type { z } from 'zod';
import type { MeroClient } from './index.ts';
import { parseSse } from './sse-parser.ts';

export type NodeEvent = z.infer<typeof nodeEvent>;

export interface Subscription {
  close(): void;
}

async function bearer(client: MeroClient): Promise<string | undefined> {
  return (await client.authHeader()).authorization?.replace(/^Bearer /, '');
}

/** Subscribes over WebSocket (Node: `ws` package); resolves once the node confirmed the subscription. */
export async function subscribeWs(client: MeroClient, contextIds: string[], onEvent: (e: NodeEvent) => void): Promise<Subscription> {
  const token = await bearer(client);
  const ws = new WebSocket(client.url.replace(/^http/, 'ws') + '/ws', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused: HTTP ${res.statusCode}`)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.id === 1) (f.error ? reject(new Error(JSON.stringify(f.error))) : resolve());
      else if (f.id === null && f.result) onEvent(nodeEvent.parse(f.result));
    });
    ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds } }));
  });
  return { close: () => ws.close() };
}

/**
 * Subscribes over SSE (fetch streaming; works in Node and browsers). With `lastEventId` it resumes a
 * session and receives the events it missed.
 */
export async function subscribeSse(
  client: MeroClient,
  contextIds: string[],
  onEvent: (e: NodeEvent, id: string) => void,
  o: { lastEventId?: string } = {},
): Promise<Subscription & { sessionId: string }> {
  const ac = new AbortController();
  const token = await bearer(client);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (o.lastEventId) headers['last-event-id'] = o.lastEventId;
  const res = await fetch(`${client.url}/sse`, { headers, signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`SSE refused: HTTP ${res.status}`);
  const sessionId = res.headers.get('x-sse-session-id')!;
  void (async () => {
    try {
      for await (const m of parseSse(res.body!)) {
        if (!m.data) continue;
        const msg = JSON.parse(m.data);
        if (msg.result) onEvent(nodeEvent.parse(msg.result), m.id ?? '');
      }
    } catch {
      /* closed */
    }
  })();
  await client.request('POST', '/sse/subscription', { id: sessionId, method: 'subscribe', params: { contextIds } });
  return { sessionId, close: () => ac.abort() };
}
