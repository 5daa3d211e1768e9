import type { z } from 'zod';
import { route } from '../../http/route.ts';
import { jsonrpcRequest, jsonrpcResponse } from '../jsonrpc.ts';
import { sseSessionResponse, sseSubscribeResponse, sseSubscriptionRequest, sseUnsubscribeResponse } from '../events.ts';

/** `POST /jsonrpc`: envelope errors are HTTP 4xx text; after a valid envelope, 200 with `result` or `error`. */
export const jsonrpcRoutes = {
  execute: route({
    method: 'POST',
    url: '/jsonrpc',
    access: 'protected',
    // The context, executor and method are in the body.
    permission: 'in-handler',
    body: { schema: jsonrpcRequest, errors: 'plain' },
    response: jsonrpcResponse,
  }),
};

/**
 * The envelope upstream's plain `Json<Request<Value>>` extractor needs (`id` a string): anything else is an axum
 * rejection (415 / 400 / 422 text). The payload is decoded by the handler after the session id.
 */
const subscriptionEnvelope: z.ZodType<{ id: string } & Record<string, unknown>> = sseSubscriptionRequest.pick({ id: true }).loose();

/** Server-sent events (not under `NODE_PATH_PREFIX`, as upstream). */
export const sseRoutes = {
  /** Opens the event stream; `Last-Event-ID` resumes a session. Any valid credential; subscriptions are checked. */
  sseStream: route({ method: 'GET', url: '/sse', access: 'protected', permission: 'in-handler', produces: 'text/event-stream', root: true }),
  /** Subscribes or unsubscribes a session's contexts. */
  sseSubscription: route({
    method: 'POST',
    url: '/sse/subscription',
    access: 'protected',
    permission: 'in-handler',
    body: { schema: subscriptionEnvelope, errors: 'plain' },
    response: sseSubscribeResponse.or(sseUnsubscribeResponse),
    root: true,
  }),
  /** A session's subscriptions, event counter and status (owner or administrator). */
  sseSession: route({
    method: 'GET',
    url: '/sse/session/:session_id',
    access: 'protected',
    permission: 'in-handler',
    response: sseSessionResponse,
    root: true,
  }),
};
