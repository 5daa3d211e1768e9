import type { Handler } from '../handler.ts';
import type { Services } from '../services.ts';
import type { sseRoutes } from '../../wire/routes/streams.ts';
import { parseU64, type SseSessions } from './sessions.ts';
import type { SseSession } from './session.ts';
import { mayUse } from './access.ts';

/**
 * `Last-Event-ID: <session>-<n>`: upstream takes the text before the first `-` as the session (u64); we also
 * read `n`, the last event the client saw, to replay what it missed (absent or not a number: no replay).
 */
function lastEventId(header: string | string[] | undefined): { session: bigint | null; seen: number | null } {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return { session: null, seen: null };
  const dash = value.indexOf('-');
  const session = parseU64(dash < 0 ? value : value.slice(0, dash));
  const rest = dash < 0 ? '' : value.slice(dash + 1);
  const seen = /^\d{1,15}$/.test(rest) ? Number(rest) : null;
  return { session, seen };
}

/**
 * `GET /sse` — opens the event stream (docs/events.md, SSE): headers `content-type: text/event-stream`,
 * `cache-control: no-cache`, `X-SSE-Session-ID`, `X-SSE-Reconnect`; first the `connect` message, then
 * `event:message` / `id:<session>-<n>` / `data:{"result":<event>}` for the subscribed contexts, and a `:`
 * keep-alive comment after 15 s of silence (`MEROD_SSE_KEEPALIVE_MS` changes it).
 *
 * A `Last-Event-ID` naming a live or stored, unexpired session resumes it (see {@link SseSession.attach});
 * otherwise a new session is made. Ours on top of upstream: `Access-Control-Expose-Headers` names the two
 * session headers so browser code can read them, and `X-Accel-Buffering: no` keeps nginx from buffering.
 */
export default (s: Pick<Services, 'auth'> & { sessions: SseSessions }): Handler<typeof sseRoutes.sseStream> =>
  async ({ req, reply, principal }) => {
    const { sessions, auth } = s;
    await sessions.ready;
    if (req.method === 'HEAD') {
      // Headers only; no session is made for a HEAD request.
      return reply.code(200).header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send();
    }
    const { session: wanted, seen } = lastEventId(req.headers['last-event-id']);
    let session: SseSession | null = wanted !== null ? await sessions.resume(wanted) : null;
    // Another credential's session is not resumed (its buffered events are not ours to see): a new one is made.
    if (session && !mayUse(session, principal)) session = null;
    const reconnect = session !== null;
    session ??= await sessions.create();
    reply.hijack();
    if (req.socket.destroyed) return; // the client left while the session was being made (it stays resumable)

    const res = reply.raw;
    // Hijacked: headers set on the reply by hooks (CORS) are copied by hand.
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-sse-session-id': String(session.id),
      'x-sse-reconnect': String(reconnect),
      'access-control-expose-headers': 'X-SSE-Session-ID, X-SSE-Reconnect',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    session.owner = principal?.id;
    session.attach(res, reconnect, reconnect ? seen : null, sessions.keepAliveMs);
    // A revoked or expired credential ends the stream (the session stays; reconnecting needs a valid credential).
    const attached = session;
    const untrack = auth.streams.track(principal, () => attached.end());
    res.once('close', untrack);
    return reply;
  };
