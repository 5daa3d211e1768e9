import { z } from 'zod';
import { bytes, id } from './common.ts';

export const executionEvent = z.object({ kind: z.string(), data: bytes, handler: z.string().nullable() });
export const nodeEvent = z.object({
  contextId: id,
  type: z.literal('StateMutation'),
  data: z.object({ newRoot: id, events: z.array(executionEvent) }),
});

/** WebSocket frames (docs/events.md, WebSocket). */
export const wsRequest = z.object({
  id: z.number().int().nonnegative().nullish(),
  method: z.enum(['subscribe', 'unsubscribe']),
  params: z.object({ contextIds: z.array(id) }),
});
export const wsResponse = z.object({ id: z.number().nullable(), result: z.unknown().optional(), error: z.unknown().optional() });

/** SSE subscription request (docs/events.md, SSE): `id` is the session id as a string. */
export const sseSubscriptionRequest = z.object({
  id: z.string(),
  method: z.enum(['subscribe', 'unsubscribe']),
  params: z.object({ contextIds: z.array(id) }),
});

/** WebSocket answer to subscribe/unsubscribe: `{"id":n,"result":{"contextIds":[…]}}` or `{"id":n,"error":{type,data}}`. */
export const wsSubscriptionResult = z.object({ contextIds: z.array(id) });
export const wsErrorBody = z.object({ type: z.string(), data: z.unknown().optional() });

/** SSE messages (docs/events.md, SSE): the `connect` message, node events, and the error form. */
export const sseConnectMessage = z.object({ type: z.literal('connect'), session_id: z.string(), reconnect: z.boolean() });
export const sseEventMessage = z.object({ result: nodeEvent });

/** POST /sse/subscription answers (docs/events.md, SSE). */
export const sseSubscribeResponse = z.object({ result: z.object({ status: z.literal('subscribed'), contexts: z.array(id) }) });
export const sseUnsubscribeResponse = z.object({
  result: z.object({ status: z.literal('unsubscribed'), unsubscribed: z.array(id), requested: z.array(id) }),
});

/** GET /sse/session/:id (docs/events.md, SSE); `session_id` is a u64 (may exceed 2^53 once parsed). */
export const sseSessionResponse = z.object({
  result: z.object({
    session_id: z.union([z.number(), z.string()]),
    subscriptions: z.array(id),
    event_counter: z.number().int().nonnegative(),
    status: z.enum(['active', 'persisted']),
  }),
});
