import type { Handler } from '../handler.ts';
import type { sseRoutes } from '../../wire/routes/streams.ts';
import { HttpError, jsonError, textError } from '../errors.ts';
import { parseU64, type SseSessions } from './sessions.ts';
import { nowSecs, SESSION_TTL_SECS } from './session.ts';
import { forbiddenSession, mayUse } from './access.ts';
import { ADMIN } from '../../wire/permission.ts';
import { maySubscribe } from '../auth/context-access.ts';
import { allows } from '../auth/principal.ts';

/**
 * `GET /sse/session/:session_id` (docs/events.md, SSE): 200 with `"status":"active"` for a session a client has
 * attached to since start, `"persisted"` for one known from the store only (or restored at start and not
 * reconnected yet); 410 when expired, 404 when unknown, 500 `{"error":{"type":"InternalError","data":{}}}`
 * when the store fails, 400 text for a path that is not a u64.
 *
 * `session_id` is a JSON number that may exceed 2^53, so the body is written as text with the exact digits.
 */
export default (s: { sessions: SseSessions }): Handler<typeof sseRoutes.sseSession> =>
  async ({ params, reply, principal }) => {
    const raw = params.session_id;
    const id = parseU64(raw);
    if (id === null) throw textError(400, `Invalid URL: Cannot parse \`${raw}\` to a \`u64\``);
    const { sessions } = s;
    await sessions.ready;
    let state: { subscriptions: string[]; event_counter: number; status: 'active' | 'persisted' };
    const live = sessions.sessions.get(id);
    if (live) {
      if (!mayUse(live, principal)) throw forbiddenSession();
      if (live.expired()) throw jsonError(410, 'Session expired');
      const p = live.toPersisted();
      state = { subscriptions: p.subscriptions, event_counter: p.event_counter, status: live.resumed ? 'active' : 'persisted' };
    } else {
      let p;
      try {
        p = await sessions.load(id);
      } catch {
        throw new HttpError(500, 'InternalError', 'json', { error: { type: 'InternalError', data: {} } });
      }
      if (!p) throw jsonError(404, 'Session not found');
      // A stored session's owner is not kept: only an administrator, or whoever may watch all its contexts.
      if (principal && !allows(principal, ADMIN) && !p.subscriptions.every((c) => maySubscribe(principal, c))) {
        throw forbiddenSession();
      }
      if (nowSecs() - p.last_activity > SESSION_TTL_SECS) throw jsonError(410, 'Session expired');
      state = { subscriptions: p.subscriptions, event_counter: p.event_counter, status: 'persisted' };
    }
    const json =
      `{"result":{"session_id":${id},"subscriptions":${JSON.stringify(state.subscriptions)},` +
      `"event_counter":${state.event_counter},"status":"${state.status}"}}`;
    return reply.type('application/json').send(json);
  };
