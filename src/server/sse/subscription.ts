import { z } from 'zod';
import { defineRoute } from '../route.ts';
import { HttpError, jsonError } from '../errors.ts';
import { sseSubscriptionRequest } from '../../wire/events.ts';
import { parseErrorText } from '../ws/connection.ts';
import { parseSessionId, sessionsOf } from './sessions.ts';

/** The envelope upstream's Json extractor requires: `id` must be a string; the payload is checked after. */
const envelope = z.looseObject({ id: z.string() });

/** POST /sse/subscription — subscribe/unsubscribe a live session to contexts (server-api §11.2). */
export default defineRoute({
  method: 'POST',
  url: '/sse/subscription',
  access: 'protected',
  body: { schema: envelope, errors: 'plain' },
  async handler({ node, body }) {
    const id = parseSessionId(body.id);
    if (id === null) throw jsonError(400, 'Invalid Session Id');
    const parsed = sseSubscriptionRequest.safeParse(body);
    if (!parsed.success) {
      throw new HttpError(400, '', 'json', { error: { type: 'ParseError', data: parseErrorText(body, parsed.error.issues) } });
    }
    const sessions = sessionsOf(node);
    const session = sessions.sessions.get(id);
    if (!session || session.expired()) throw jsonError(404, 'Session not found. Please reconnect to SSE endpoint first.');
    const { method, params } = parsed.data;
    if (method === 'subscribe') {
      const max = node.config.server.limits?.max_subscriptions_per_client ?? 1_000;
      const after = new Set([...session.subscriptions.keys(), ...params.contextIds]).size;
      if (after > max) throw jsonError(429, `subscription limit reached: at most ${max} contexts per session`);
      session.subscribe(params.contextIds);
      await sessions.persist(session);
      return { result: { status: 'subscribed', contexts: params.contextIds } };
    }
    const removed = session.unsubscribe(params.contextIds);
    await sessions.persist(session);
    return { result: { status: 'unsubscribed', unsubscribed: removed, requested: params.contextIds } };
  },
});

