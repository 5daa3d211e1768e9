import type { Handler } from '../handler.ts';
import type { Services } from '../services.ts';
import type { sseRoutes } from '../../wire/routes/streams.ts';
import { HttpError, jsonError } from '../errors.ts';
import { sseSubscriptionRequest } from '../../wire/events.ts';
import { parseSubscriptionPayload } from '../ws/payload.ts';
import { parseU64, type SseSessions } from './sessions.ts';
import { forbiddenSession, mayUse } from './access.ts';
import { permission } from '../../auth/index.ts';
import { maySubscribe } from '../auth/context-access.ts';
import { forbidden } from '../auth/principal.ts';

/** The payload, decoded after the session id (the envelope is the route's body schema). */
const payloadSchema = sseSubscriptionRequest.omit({ id: true });

const parseError = (data: string) => new HttpError(400, data, 'json', { error: { type: 'ParseError', data } });

/**
 * `POST /sse/subscription` (docs/events.md, SSE), in upstream's order: session id (400 "Invalid Session Id"),
 * payload (400 ParseError), session in memory (404). Changes are written to the store before the answer.
 *
 * A session restored from the store at start-up but not reconnected yet answers 404 like upstream (whose
 * memory is empty after a restart): the client must reconnect first. Ours: a session holds at most
 * `[server.limits] max_subscriptions_per_client` contexts (default 1,000); a subscribe that would exceed it
 * is refused as a whole with 429 `{"error":"…"}`.
 */
export default (s: Pick<Services, 'config'> & { sessions: SseSessions }): Handler<typeof sseRoutes.sseSubscription> =>
  async ({ body, principal }) => {
    const id = parseU64(body.id);
    if (id === null) throw jsonError(400, 'Invalid Session Id');
    const parsed = parseSubscriptionPayload(body, payloadSchema, () => 'ContextIds');
    if (!parsed.ok) throw parseError(parsed.message);
    const { sessions } = s;
    await sessions.ready;
    const session = sessions.sessions.get(id);
    if (!session || !session.resumed || session.expired()) {
      throw jsonError(404, 'Session not found. Please reconnect to SSE endpoint first.');
    }
    if (!mayUse(session, principal)) throw forbiddenSession();
    const { method, contextIds } = parsed.value;
    if (method === 'subscribe') {
      const denied = contextIds.find((c) => !maySubscribe(principal, c));
      if (denied !== undefined) throw forbidden(permission('context', 'subscribe', denied));
      const max = s.config.server.limits?.max_subscriptions_per_client ?? 1_000;
      const total = new Set([...session.subscriptions.keys(), ...contextIds]).size;
      if (total > max) {
        throw jsonError(429, `subscription limit reached: at most ${max} contexts per session`);
      }
      session.subscribe(contextIds);
      session.touch();
      await sessions.persist(session);
      return { result: { status: 'subscribed', contexts: contextIds } };
    }
    const removed = session.unsubscribe(contextIds);
    session.touch();
    await sessions.persist(session);
    return { result: { status: 'unsubscribed', unsubscribed: removed, requested: contextIds } };
  };
