import { z } from 'zod';
import { bytes, id } from './common.ts';

export const executionEvent = z.object({ kind: z.string(), data: bytes, handler: z.string().nullable() });
export const nodeEvent = z.object({
  contextId: id,
  type: z.literal('StateMutation'),
  data: z.object({ newRoot: id, events: z.array(executionEvent) }),
});

/** WebSocket frames (server-api §9.2). */
export const wsRequest = z.object({
  id: z.number().int().nonnegative().nullish(),
  method: z.enum(['subscribe', 'unsubscribe']),
  params: z.object({ contextIds: z.array(id) }),
});
export const wsResponse = z.object({ id: z.number().nullable(), result: z.unknown().optional(), error: z.unknown().optional() });

/** SSE subscription request (server-api §11.2): `id` is the session id as a string. */
export const sseSubscriptionRequest = z.object({
  id: z.string(),
  method: z.enum(['subscribe', 'unsubscribe']),
  params: z.object({ contextIds: z.array(id) }),
});
