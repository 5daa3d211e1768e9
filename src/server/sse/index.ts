import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { Guard, RouteDef } from '../route.ts';
import stream from './stream.ts';
import subscription from './subscription.ts';
import sessionInfo from './session-info.ts';
import { closeSessions, sessionsOf } from './sessions.ts';

/**
 * Server-sent events: `GET /sse`, `POST /sse/subscription`, `GET /sse/session/:session_id` (server-api §11).
 * They are ordinary protected routes (mounted from `routes.ts`), so the guard applies to all three. Not
 * under `NODE_PATH_PREFIX` (upstream).
 */
export const sseRoutes: RouteDef[] = [stream, subscription, sessionInfo] as RouteDef[];

/**
 * Loads the persisted sessions before the server listens, and on server close ends every open stream
 * (response ended, socket closed: shutdown never waits on a stream) and writes pending session state.
 * The guard is applied by the route table (`sseRoutes` are `protected`); the parameter is kept for callers.
 */
export async function registerSse(app: FastifyInstance, node: Node, _guard?: Guard): Promise<void> {
  const sessions = sessionsOf(node);
  await sessions.ready;
  app.addHook('onClose', async () => {
    await closeSessions(node, sessions);
  });
}
