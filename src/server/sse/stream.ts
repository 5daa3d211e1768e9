import { defineRoute } from '../route.ts';
import { textError } from '../errors.ts';
import { parseSessionId, sessionsOf, type SseSession } from './sessions.ts';

/** Comment line keeping idle streams open through proxies (upstream: axum's default, every 15 s). */
const KEEPALIVE_MS = Number(process.env.MEROD_SSE_KEEPALIVE_MS ?? 15_000);

/**
 * GET /sse — opens the event stream. `Last-Event-ID: <session>-<n>` resumes that session (live, or restored
 * from the store after a restart) and replays the events after `n` that it missed; otherwise a new session.
 */
export default defineRoute({
  method: 'GET',
  url: '/sse',
  access: 'protected',
  async handler({ node, req, reply }) {
    const sessions = sessionsOf(node);
    const header = req.headers['last-event-id'];
    const [sid, seen] = typeof header === 'string' ? header.split('-', 2) : [];
    const wanted = parseSessionId(sid);
    let session: SseSession | null = wanted !== null ? await sessions.resume(wanted) : null;
    const reconnect = session !== null;
    if (!session) {
      const max = node.config.server.limits?.max_sse_sessions ?? 10_000;
      if (sessions.sessions.size >= max) throw textError(429, `too many SSE sessions (limit ${max})`);
      session = await sessions.create();
    }
    const lastSeen = reconnect && seen !== undefined && /^\d+$/.test(seen) ? Math.min(Number(seen), session.counter) : null;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-sse-session-id': String(session.id),
      'x-sse-reconnect': String(reconnect),
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'X-SSE-Session-ID, X-SSE-Reconnect',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    session.attach(res, reconnect, lastSeen);
    const keepalive = setInterval(() => res.write(':\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    res.once('close', () => {
      clearInterval(keepalive);
      void sessions.persist(session!).catch(() => undefined);
    });
  },
});
