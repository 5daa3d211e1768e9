import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { Guard } from '../route.ts';

/** WebSocket `/ws` (server-api §9). */
export async function registerWs(app: FastifyInstance, node: Node, guard?: Guard): Promise<void> {
  void app;
  void node;
  void guard;
}
