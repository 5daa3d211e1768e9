import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { RouteDef } from '../route.ts';
import stream from './stream.ts';
import subscription from './subscription.ts';
import session from './session.ts';
import { sessionsOf } from './sessions.ts';

/** Server-sent events: `/sse`, `/sse/subscription`, `/sse/session/:id` (server-api §11). */
export const sseRoutes: RouteDef[] = [stream, subscription, session] as RouteDef[];

/** Ends open SSE streams when the server closes, so shutdown never waits on them. */
export async function registerSse(app: FastifyInstance, node: Node): Promise<void> {
  app.addHook('onClose', async () => {
    for (const s of sessionsOf(node).sessions.values()) s.end();
  });
}
