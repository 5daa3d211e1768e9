import { defineRoute } from '../route.ts';
import { jsonError, textError } from '../errors.ts';
import { parseSessionId, sessionsOf, SESSION_TTL_SECS } from './sessions.ts';

/**
 * GET /sse/session/:session_id — a session's state (server-api §11.3). `session_id` is a u64 that may
 * exceed 2^53, so the JSON text is written with its exact digits.
 */
export default defineRoute({
  method: 'GET',
  url: '/sse/session/:session_id',
  access: 'protected',
  async handler({ node, params, reply }) {
    const id = parseSessionId(params.session_id);
    if (id === null) throw textError(400, `Invalid URL: Cannot parse \`${params.session_id}\` to a \`u64\``);
    const sessions = sessionsOf(node);
    const live = sessions.sessions.get(id);
    let body: { subscriptions: string[]; event_counter: number; status: string };
    if (live) {
      if (live.expired()) throw jsonError(410, 'Session expired');
      body = { subscriptions: [...live.subscriptions.keys()], event_counter: live.counter, status: 'active' };
    } else {
      const p = await sessions.loadPersisted(id);
      if (!p) throw jsonError(404, 'Session not found');
      if (Math.floor(Date.now() / 1000) - p.last_activity > SESSION_TTL_SECS) throw jsonError(410, 'Session expired');
      body = { subscriptions: p.subscriptions, event_counter: p.event_counter, status: 'persisted' };
    }
    const json = `{"result":{"session_id":${id},"subscriptions":${JSON.stringify(body.subscriptions)},"event_counter":${body.event_counter},"status":"${body.status}"}}`;
    return reply.type('application/json').send(json);
  },
});
