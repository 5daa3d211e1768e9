import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Node } from '../../node/node.ts';
import { sendError, textError } from '../errors.ts';
import type { Guard } from '../route.ts';
import { WsConnection } from './connection.ts';

/**
 * WebSocket `/ws` (server-api §9). The guard runs before the upgrade (401 without a valid token in
 * embedded mode; a `token` query parameter is accepted for browsers). Connections over
 * `[server.limits] max_ws_connections` are refused with 429 before the upgrade.
 */
export async function registerWs(app: FastifyInstance, node: Node, guard?: Guard): Promise<void> {
  const ws = node.config.server.websocket!;
  const limits = node.config.server.limits;
  const maxConnections = limits?.max_ws_connections ?? 10_000;
  const live = new Set<WebSocket>();

  app.addHook('onClose', async () => {
    for (const socket of live) socket.close(1001, 'server shutting down');
  });

  app.route({
    method: 'GET',
    url: '/ws',
    exposeHeadRoute: false,
    async preValidation(req, reply) {
      if (guard) {
        const refused = await guard(req);
        if (refused) return sendError(reply, refused);
      }
      if (live.size >= maxConnections) {
        return sendError(reply, textError(429, `too many WebSocket connections (limit ${maxConnections})`));
      }
    },
    handler: (_req, reply) => reply.code(400).type('text/plain; charset=utf-8').send('Invalid WebSocket upgrade request: missing upgrade headers'),
    wsHandler: (socket) => {
      live.add(socket);
      node.metrics.wsConnections.inc();
      new WsConnection(socket, node, {
        maxSubscriptions: limits?.max_subscriptions_per_client ?? 1_000,
        pingIntervalMs: ws.ping_interval_secs * 1000,
        pongTimeoutMs: ws.pong_timeout_secs * 1000,
      });
      socket.on('close', () => live.delete(socket));
    },
  });
}
