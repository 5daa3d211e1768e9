import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Node } from '../../node/node.ts';
import { sendError, textError } from '../errors.ts';
import type { Guard } from '../route.ts';
import type { ServerAuth } from '../services.ts';
import { WsConnection } from './connection.ts';

/** Ours: what a client may leave unread before it is closed (1013); upstream blocks its forwarder instead. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long shutdown waits for clients to finish the closing handshake before cutting their sockets. */
const SHUTDOWN_GRACE_MS = 1000;

/**
 * Upstream's `WebSocketUpgrade` rejection for a request that is not a valid upgrade (axum 0.7 checks in this
 * order), answered as 400 text `Invalid WebSocket upgrade request: <reason>` (docs/events.md, WebSocket).
 */
function upgradeProblem(req: FastifyRequest): string | null {
  const h = req.headers;
  const value = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
  if (req.method !== 'GET') return 'Request method must be `GET`';
  if (!value(h.connection).toLowerCase().includes('upgrade')) return "Connection header did not include 'upgrade'";
  if (value(h.upgrade).toLowerCase() !== 'websocket') return "`Upgrade` header did not include 'websocket'";
  if (value(h['sec-websocket-version']) !== '13') return "`Sec-WebSocket-Version` header did not include '13'";
  if (h['sec-websocket-key'] === undefined) return '`Sec-WebSocket-Key` header missing';
  return null;
}

/**
 * WebSocket `/ws` (docs/events.md, WebSocket), under `NODE_PATH_PREFIX` when that variable is set (as upstream).
 *
 * Before the upgrade: the guard (embedded auth: 401 with an empty body), then upstream's upgrade checks
 * (400 text), then ours: over `[server.limits] max_ws_connections` (default 10,000) the upgrade is refused
 * with 429 text. After it, {@link WsConnection} serves the socket. On server close every socket gets a close
 * frame and, after a short grace, is cut, so shutdown never waits on a client.
 */
export async function registerWs(app: FastifyInstance, node: Pick<Node, 'events' | 'metrics' | 'config'>, auth: ServerAuth, guard?: Guard): Promise<void> {
  const config = node.config.server.websocket!;
  const limits = node.config.server.limits;
  const maxConnections = limits?.max_ws_connections ?? 10_000;
  const options = {
    maxSubscriptions: limits?.max_subscriptions_per_client ?? 1_000,
    pingIntervalMs: config.ping_interval_secs * 1000,
    pongTimeoutMs: config.pong_timeout_secs * 1000,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
  };
  const live = new Set<WsConnection>();
  const refuse = (status: number, text: string) => textError(status, text);

  app.route({
    method: 'GET',
    url: `${process.env.NODE_PATH_PREFIX ?? ''}/ws`,
    async preValidation(req, reply) {
      if (guard) {
        // Browsers cannot set headers on a WebSocket: `?token=` is accepted here.
        const r = await guard(req, { queryToken: true });
        if (!r.ok) return sendError(reply, r.error);
        req.principal = r.principal;
      }
      if (!req.ws) return; // a plain request: answered by `handler` below
      const problem = upgradeProblem(req);
      if (problem) return sendError(reply, refuse(400, `Invalid WebSocket upgrade request: ${problem}`));
      if (live.size >= maxConnections) {
        return sendError(reply, refuse(429, `too many WebSocket connections (limit ${maxConnections})`));
      }
    },
    // GET (or HEAD) without an upgrade.
    handler: async (req, reply) =>
      sendError(reply, refuse(400, `Invalid WebSocket upgrade request: ${upgradeProblem(req) ?? 'not an upgrade request'}`)),
    wsHandler: (socket, req) => {
      const conn = new WsConnection(socket, node, options, req.principal);
      if (live.size >= maxConnections) {
        // Several upgrades raced past the check above.
        conn.close(1013, 'Too many connections');
        return;
      }
      live.add(conn);
      node.metrics.wsConnections.inc();
      // A revoked or expired credential closes the connection (1008 policy violation).
      const untrack = auth.streams.track(req.principal, (why) =>
        conn.close(1008, why === 'expired' ? 'Token expired' : 'Credential revoked'),
      );
      socket.once('close', () => {
        untrack();
        live.delete(conn);
      });
    },
  });

  app.addHook('onClose', async () => {
    for (const conn of live) conn.close(1001, 'Server shutting down');
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of live) conn.socket.terminate();
    live.clear();
  });
}
